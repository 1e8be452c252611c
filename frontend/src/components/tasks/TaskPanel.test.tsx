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

describe("TaskPanel comments", () => {
  const OTHER = "55555555-5555-4555-8555-555555555555";
  const comment = (id: string, author: string, body: string) => ({
    id,
    task_id: "t1",
    author_id: author,
    body,
    created_at: "2026-01-01T10:00:00Z",
    updated_at: null,
  });

  function withComments(role: string) {
    const s = server();
    s.api
      .on("GET", `/projects/${P.id}`, () => json({ ...P, my_role: role }))
      .on("GET", /\/members$/, () =>
        json({ items: [member(), member({ user_id: OTHER, display_name: "Bob", email: "bob@example.com" })], next_cursor: null }),
      )
      .on("GET", `/projects/${P.id}/tasks/t1/comments`, () =>
        json({ items: [comment("c1", OTHER, "Bob's **note**"), comment("c2", ME, "Mine")], next_cursor: null }),
      );
    return s;
  }

  it("a viewer reads comments but gets no composer and no actions", async () => {
    withComments("viewer");
    renderPanel();
    const panel = await screen.findByRole("dialog", { name: "Dig" });
    expect(await within(panel).findByText("note")).toBeInTheDocument();
    expect(within(panel).queryByLabelText("Add a comment")).toBeNull();
    expect(within(panel).queryByRole("button", { name: "Edit" })).toBeNull();
    expect(within(panel).queryByRole("button", { name: "Delete" })).toBeNull();
  });

  it("an admin edits only their own comments but deletes anyone's", async () => {
    withComments("admin");
    renderPanel();
    const panel = await screen.findByRole("dialog", { name: "Dig" });
    expect(await within(panel).findByLabelText("Add a comment")).toBeInTheDocument();
    const items = await within(panel).findAllByRole("listitem");
    const bobs = items.find((li) => li.textContent?.includes("note"))!;
    const mine = items.find((li) => li.textContent?.includes("Mine"))!;
    expect(within(bobs).queryByRole("button", { name: "Edit" })).toBeNull();
    expect(within(bobs).getByRole("button", { name: "Delete" })).toBeInTheDocument();
    expect(within(mine).getByRole("button", { name: "Edit" })).toBeInTheDocument();
  });

  it("a member deletes only their own; Ctrl+Enter posts", async () => {
    const s = withComments("member");
    const posted: unknown[] = [];
    s.api.on("POST", `/projects/${P.id}/tasks/t1/comments`, async (request) => {
      const body = (await request.json()) as { body: string };
      posted.push(body);
      return json(comment("c3", ME, body.body), 201);
    });
    const user = userEvent.setup();
    renderPanel();
    const panel = await screen.findByRole("dialog", { name: "Dig" });
    const items = await within(panel).findAllByRole("listitem");
    const bobs = items.find((li) => li.textContent?.includes("note"))!;
    expect(within(bobs).queryByRole("button", { name: "Delete" })).toBeNull();
    await user.type(within(panel).getByLabelText("Add a comment"), "  Done!  {Control>}{Enter}{/Control}");
    await waitFor(() => expect(posted).toEqual([{ body: "Done!" }]));
    await waitFor(() => expect(within(panel).getByLabelText("Add a comment")).toHaveValue(""));
  });
});
