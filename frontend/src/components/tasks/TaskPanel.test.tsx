import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import { createQueryClient } from "../../api/queries";
import { resetSessionForTests, setAccessToken } from "../../api/session";
import { ProjectPage } from "../../pages/ProjectPage";
import { json, ME, member, mockApi, problem, project, task, workspace } from "../../test/utils";
import { TaskPanel } from "./TaskPanel";

const P = project();
const T = task({ id: "t1", title: "Dig", version: 3 });

function server() {
  let current = { ...T };
  return {
    api: mockApi()
      .on("GET", "/workspaces", () => json({ items: [workspace()] }))
      .on("GET", /\/members$/, () => json({ items: [member()], next_cursor: null }))
      .on("GET", /\/labels$/, () => json({ items: [] }))
      .on("GET", `/projects/${P.id}`, () => json(P))
      .on("GET", `/projects/${P.id}/tasks`, () => json({ items: [current], next_cursor: null }))
      .on("GET", `/projects/${P.id}/tasks/t1`, () => json(current))
      .on("GET", "/auth/me", () => json({ id: ME, email: "me@example.com", display_name: "Me" }))
      .on("GET", `/projects/${P.id}/tasks/t1/comments`, () => json({ items: [], next_cursor: null }))
      .on("GET", `/projects/${P.id}/tasks/t1/activity`, () => json({ items: [], next_cursor: null })),
    /** Someone else's change, on the server only. */
    changeElsewhere(changes: Record<string, unknown>) {
      current = { ...current, ...changes, version: current.version + 1 };
    },
    current: () => current,
  };
}

function renderPanel() {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <MemoryRouter initialEntries={[`/p/${P.id}/t/t1`]}>
        <Routes>
          <Route path="/p/:projectId" element={<ProjectPage />}>
            <Route path="t/:taskId" element={<TaskPanel />} />
          </Route>
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

describe("TaskPanel saves with If-Match", () => {
  it("sends the version it shows; a 412 offers Overwrite, which re-sends without If-Match", async () => {
    const s = server();
    const sent: { ifMatch: string | null; body: unknown }[] = [];
    s.api.on("PATCH", `/projects/${P.id}/tasks/t1`, async (request) => {
      const ifMatch = request.headers.get("if-match");
      const body = (await request.json()) as Record<string, unknown>;
      sent.push({ ifMatch, body });
      if (ifMatch && ifMatch !== `"${s.current().version}"`) return problem(412, { title: "Precondition Failed" });
      s.changeElsewhere(body);
      return json(s.current());
    });
    const user = userEvent.setup();
    renderPanel();
    const panel = await screen.findByRole("dialog", { name: "Dig" });
    s.changeElsewhere({ description: "Theirs" });

    await user.selectOptions(within(panel).getByLabelText("Priority"), "high");
    const conflict = await within(panel).findByRole("alertdialog", { name: /Someone changed this task/ });
    expect(sent[0]).toEqual({ ifMatch: '"3"', body: { priority: "high" } });
    // Not saved: the field shows what the server has.
    await waitFor(() => expect(within(panel).getByLabelText("Priority")).toHaveValue("none"));

    await user.click(within(conflict).getByRole("button", { name: "Overwrite" }));
    await waitFor(() => expect(sent).toHaveLength(2));
    expect(sent[1]).toEqual({ ifMatch: null, body: { priority: "high" } });
    await waitFor(() => expect(within(panel).getByLabelText("Priority")).toHaveValue("high"));
    expect(within(panel).queryByRole("alertdialog")).toBeNull();
    expect(s.current()).toMatchObject({ priority: "high", description: "Theirs" });
  });

  it("Reload drops the change and shows the other person's version", async () => {
    const s = server();
    s.api.on("PATCH", `/projects/${P.id}/tasks/t1`, () => problem(412, { title: "Precondition Failed" }));
    const user = userEvent.setup();
    renderPanel();
    const panel = await screen.findByRole("dialog", { name: "Dig" });
    s.changeElsewhere({ title: "Dig deeper", priority: "urgent" });

    await user.selectOptions(within(panel).getByLabelText("Priority"), "low");
    const conflict = await within(panel).findByRole("alertdialog");
    await user.click(within(conflict).getByRole("button", { name: "Reload" }));
    await waitFor(() => expect(within(panel).getByLabelText("Priority")).toHaveValue("urgent"));
    expect(within(panel).getByLabelText("Title")).toHaveValue("Dig deeper");
    expect(s.api.count("PATCH", `/projects/${P.id}/tasks/t1`)).toBe(1);
  });
});
