import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import type { Notification } from "../../api/client";
import { createQueryClient } from "../../api/queries";
import { resetSessionForTests, setAccessToken } from "../../api/session";
import { json, mockApi } from "../../test/utils";
import { NotificationBell } from "./NotificationBell";

const notification = (overrides: Partial<Notification> = {}): Notification => ({
  id: "n1",
  kind: "assigned",
  created_at: "2026-11-30T10:00:00Z",
  read_at: null,
  actor: { id: "u1", name: "Bob" },
  workspace: { id: "w1", name: "Garden club" },
  project: { id: "p1", name: "Garden" },
  task: { id: "t1", title: "Fix login" },
  comment_id: null,
  due_date: null,
  ...overrides,
});

/** A server whose notifications the test holds: marking read changes what it answers. */
function server(items: Notification[]) {
  const api = mockApi()
    .on("GET", "/notifications", () =>
      json({ items, next_cursor: null, unread_count: items.filter((n) => n.read_at === null).length }),
    )
    .on("POST", /^\/notifications\/[^/]+\/read$/, (request) => {
      const id = new URL(request.url).pathname.split("/")[2];
      items = items.map((n) => (n.id === id ? { ...n, read_at: "2026-12-01T00:00:00Z" } : n));
      return new Response(null, { status: 204 });
    })
    .on("POST", "/notifications/read-all", () => {
      items = items.map((n) => ({ ...n, read_at: n.read_at ?? "2026-12-01T00:00:00Z" }));
      return new Response(null, { status: 204 });
    });
  render(
    <QueryClientProvider client={createQueryClient()}>
      <MemoryRouter initialEntries={["/"]}>
        <NotificationBell />
        <Routes>
          <Route path="/" element={<p>home</p>} />
          <Route path="/p/:projectId/t/:taskId" element={<p>the task</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return api;
}

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

describe("NotificationBell", () => {
  it("says how many are unread, and shows no badge at none", async () => {
    server([notification({ read_at: "2026-11-30T11:00:00Z" })]);
    const bell = await screen.findByRole("button", { name: "Notifications" });
    expect(bell.querySelector(".bell-badge")).toBeNull();
  });

  it("counts the unread; following one leads to its task, marks it read, and the count falls", async () => {
    const api = server([notification(), notification({ id: "n2", kind: "commented", comment_id: "c1", actor: { id: "u2", name: "Cy" } })]);
    const user = userEvent.setup();
    const bell = await screen.findByRole("button", { name: "Notifications, 2 unread" });
    expect(bell).toHaveTextContent("2");
    await user.click(bell);
    const list = screen.getByRole("list", { name: "Latest notifications" });
    expect(within(list).getAllByRole("listitem")).toHaveLength(2);
    const assigned = within(list).getByRole("link", { name: /Bob assigned you ‘Fix login’$/ });
    expect(assigned).toHaveTextContent(/^Unread: /);
    await user.click(assigned);
    expect(screen.getByText("the task")).toBeInTheDocument();
    expect(await screen.findByRole("button", { name: "Notifications, 1 unread" })).toBeInTheDocument();
    expect(api.count("POST", "/notifications/n1/read")).toBe(1);
    // The panel closed on the way; what it shows now has the one read.
    await user.click(screen.getByRole("button", { name: "Notifications, 1 unread" }));
    expect(screen.getByRole("link", { name: /Bob assigned you ‘Fix login’$/ })).not.toHaveTextContent(/Unread/);
  });

  it("Mark all read clears the count", async () => {
    const api = server([notification(), notification({ id: "n2" })]);
    const user = userEvent.setup();
    await user.click(await screen.findByRole("button", { name: "Notifications, 2 unread" }));
    await user.click(screen.getByRole("button", { name: "Mark all read" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Notifications" })).toBeInTheDocument());
    expect(api.count("POST", "/notifications/read-all")).toBe(1);
    expect(screen.getByRole("button", { name: "Mark all read" })).toBeDisabled();
  });
});
