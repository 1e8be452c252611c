import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { deferred, json, ME, member, mockApi, problem, project, renderAt, task, workspace } from "../test/utils";
import { clearToasts, Toaster } from "../components/Toast";
import { ProjectPage } from "./ProjectPage";

const P = project({ task_count: 2, done_count: 1, progress: 50 });
const tasks = [task({ id: "t1", title: "Dig", done: false }), task({ id: "t2", title: "Plant", done: true })];

/** The API as every page sees it: the person's workspaces (for the breadcrumb) and more. */
const mock = () =>
  mockApi()
    .on("GET", "/workspaces", () => json({ items: [workspace()] }))
    .on("GET", "/auth/me", () => json({ id: ME, email: "me@example.com", display_name: "Me" }))
    .on("GET", /^\/workspaces\/[^/]+\/members$/, () => json({ items: [member()], next_cursor: null }))
    .on("GET", /^\/workspaces\/[^/]+\/labels$/, () => json({ items: [] }));

function server(p: ReturnType<typeof project> = P) {
  return mock()
    .on("GET", `/projects/${P.id}`, () => json(p))
    .on("GET", `/projects/${P.id}/tasks`, () => json({ items: tasks, next_cursor: null }));
}

function renderPage() {
  return renderAt(<ProjectPage />, { path: "/p/:projectId", route: `/p/${P.id}` });
}

const progress = () => screen.getByRole("progressbar", { name: "Progress of Garden" });

beforeEach(() => {
  clearToasts();
  resetSessionForTests();
  setAccessToken("token");
});

describe("ProjectPage", () => {
  it("shows the project, its progress and its tasks", async () => {
    server();
    renderPage();
    expect(await screen.findByRole("heading", { level: 1, name: "Garden" })).toBeInTheDocument();
    expect(progress()).toHaveAttribute("aria-valuenow", "50");
    expect(screen.getByText("1 of 2 tasks done")).toBeInTheDocument();
    expect(screen.getByRole("checkbox", { name: "Dig" })).not.toBeChecked();
    expect(screen.getByRole("checkbox", { name: "Plant" })).toBeChecked();
  });

  it("toggles a task optimistically and rolls back when the server refuses", async () => {
    const answer = deferred<Response>();
    server().on("PATCH", `/projects/${P.id}/tasks/t1`, () => answer.promise);
    const user = userEvent.setup();
    renderPage();
    const dig = await screen.findByRole("checkbox", { name: "Dig" });

    await user.click(dig);
    // At once, before the server has answered: the task and the progress bar move.
    expect(dig).toBeChecked();
    await waitFor(() => expect(progress()).toHaveAttribute("aria-valuenow", "100"));
    expect(screen.getByText("2 of 2 tasks done")).toBeInTheDocument();

    answer.resolve(problem(500, { title: "Internal Server Error" }));

    await waitFor(() => expect(dig).not.toBeChecked());
    expect(progress()).toHaveAttribute("aria-valuenow", "50");
    expect(await screen.findByRole("alert")).toHaveTextContent(/Not saved: couldn’t complete “Dig”/);
  });

  it("keeps a successful toggle and refetches the counts", async () => {
    const api = server().on("PATCH", `/projects/${P.id}/tasks/t1`, () => json({ ...tasks[0], done: true }));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("checkbox", { name: "Dig" }));
    await waitFor(() => expect(api.count("GET", `/projects/${P.id}`)).toBeGreaterThan(1)); // invalidated
    const patch = api.calls.find((r) => r.method === "PATCH");
    expect(await patch!.json()).toEqual({ done: true });
  });

  it("shows the API's field error at the new-task field", async () => {
    server().on("POST", `/projects/${P.id}/tasks`, () =>
      problem(422, { errors: [{ field: "title", code: "string_too_long", message: "String should have at most 500 characters" }] }),
    );
    const user = userEvent.setup();
    renderPage();
    const input = await screen.findByLabelText("New task");
    await user.type(input, "Something");
    await user.click(screen.getByRole("button", { name: "Add task" }));
    await waitFor(() => expect(input).toHaveAttribute("aria-invalid", "true"));
    expect(input).toHaveAccessibleDescription(/at most 500 characters/);
  });

  it("renames a task in place", async () => {
    const current = tasks.map((t) => ({ ...t }));
    const api = mock()
      .on("GET", `/projects/${P.id}`, () => json(P))
      .on("GET", `/projects/${P.id}/tasks`, () => json({ items: current, next_cursor: null }))
      .on("PATCH", `/projects/${P.id}/tasks/t1`, () => {
        current[0]!.title = "Dig deeper";
        return json(current[0]);
      });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Rename Dig" }));
    const field = screen.getByLabelText("Rename “Dig”");
    expect(field).toHaveFocus();
    await user.clear(field);
    await user.type(field, "Dig deeper{Enter}");
    expect(await screen.findByRole("checkbox", { name: "Dig deeper" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Rename Dig deeper" })).toHaveFocus();
    const patch = api.calls.find((r) => r.method === "PATCH");
    expect(await patch!.json()).toEqual({ title: "Dig deeper" });
  });

  it("says so when the project does not exist", async () => {
    mock()
      .on("GET", /^\/projects\/.+\/tasks$/, () => problem(404))
      .on("GET", /^\/projects\/.+/, () => problem(404));
    renderPage();
    expect(await screen.findByRole("heading", { name: "Project not found" })).toBeInTheDocument();
    const card = screen.getByRole("heading", { name: "Project not found" }).parentElement!;
    expect(within(card).getByRole("link", { name: "Back to projects" })).toHaveAttribute("href", "/");
  });

  it("toggles only from the checkbox: a click on the title does nothing", async () => {
    const api = server();
    const user = userEvent.setup();
    renderPage();
    const box = await screen.findByRole("checkbox", { name: "Dig" });
    await user.click(screen.getByText("Dig"));
    expect(box).not.toBeChecked();
    expect(api.count("PATCH", `/projects/${P.id}/tasks/t1`)).toBe(0);
  });

  it("deletes a task at once, then Undo in the toast brings it back", async () => {
    let current = tasks;
    const api = mock()
      .on("GET", `/projects/${P.id}`, () => json(P))
      .on("GET", `/projects/${P.id}/tasks`, () => json({ items: current, next_cursor: null }))
      .on("DELETE", `/projects/${P.id}/tasks/t1`, () => {
        current = tasks.filter((t) => t.id !== "t1");
        return new Response(null, { status: 204 });
      })
      .on("POST", `/projects/${P.id}/tasks/t1/restore`, () => {
        current = tasks;
        return json(tasks[0]);
      });
    const user = userEvent.setup();
    renderAt(
      <>
        <ProjectPage />
        <Toaster />
      </>,
      { path: "/p/:projectId", route: `/p/${P.id}` },
    );
    await user.click(await screen.findByRole("button", { name: "Delete Dig" }));
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("checkbox", { name: "Dig" })).not.toBeInTheDocument());
    expect(api.count("DELETE", `/projects/${P.id}/tasks/t1`)).toBe(1);
    const toast = screen.getByRole("status", { name: "Notifications" });
    expect(within(toast).getByText("Task moved to trash")).toBeInTheDocument();
    await user.click(within(toast).getByRole("button", { name: "Undo" }));
    expect(await screen.findByRole("checkbox", { name: "Dig" })).toBeInTheDocument();
    expect(api.count("POST", `/projects/${P.id}/tasks/t1/restore`)).toBe(1);
  });

  it("opens one rename box at a time", async () => {
    server();
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Rename Dig" }));
    await user.click(screen.getByRole("button", { name: "Rename Plant" }));
    expect(screen.getAllByRole("textbox", { name: /^Rename/ })).toHaveLength(1);
    expect(screen.getByLabelText("Rename “Plant”")).toHaveFocus();
    expect(screen.getByRole("checkbox", { name: "Dig" })).toBeInTheDocument();
  });

  it("shows a task added to a long project next to the input, not after unloaded pages", async () => {
    const older = Array.from({ length: 3 }, (_, i) => task({ id: `old-${i}`, title: `Older ${i}` }));
    const created = task({ id: "new", title: "Brand new" });
    mock()
      .on("GET", `/projects/${P.id}`, () => json({ ...P, task_count: 250 }))
      .on("GET", `/projects/${P.id}/tasks`, () => json({ items: older, next_cursor: "more" }))
      .on("POST", `/projects/${P.id}/tasks`, () => json(created, 201));
    const user = userEvent.setup();
    renderPage();
    await user.type(await screen.findByLabelText("New task"), "Brand new{Enter}");
    const added = await screen.findByRole("list", { name: "Added just now" });
    expect(within(added).getByRole("checkbox", { name: "Brand new" })).toBeInTheDocument();
    // The list refetched after the write still ends before the new task: it stays apart, once.
    await waitFor(() => expect(screen.getAllByRole("checkbox", { name: "Brand new" })).toHaveLength(1));
    expect(screen.getByRole("button", { name: "Load more tasks" })).toBeInTheDocument();
  });

  it("empties the new-task box at once and never wipes what is typed next", async () => {
    const answer = deferred<Response>();
    server().on("POST", `/projects/${P.id}/tasks`, () => answer.promise);
    const user = userEvent.setup();
    renderPage();
    const input = await screen.findByLabelText("New task");
    await user.type(input, "One{Enter}");
    expect(input).toHaveValue("");
    await user.type(input, "Two");
    answer.resolve(json(task({ id: "one", title: "One" }), 201));
    expect(await screen.findByRole("checkbox", { name: "One" })).toBeInTheDocument();
    expect(input).toHaveValue("Two");
  });

  it("asks for the tasks with the URL's filters, and a filter changes the URL and the request", async () => {
    const api = server();
    const user = userEvent.setup();
    renderAt(<ProjectPage />, { path: "/p/:projectId", route: `/p/${P.id}?assignee=me&q=dig&sort=due_date` });
    expect(await screen.findByText("Dig")).toBeInTheDocument();
    const first = new URL(api.calls.find((r) => new URL(r.url).pathname === `/projects/${P.id}/tasks`)!.url);
    expect(first.searchParams.getAll("assignee")).toEqual(["me"]);
    expect(first.searchParams.get("q")).toBe("dig");
    expect(first.searchParams.get("sort")).toBe("due_date");
    expect(screen.getByRole("searchbox", { name: "Title contains" })).toHaveValue("dig");

    await user.click(screen.getByRole("checkbox", { name: "Overdue" }));
    await waitFor(() =>
      expect(
        api.calls.some((r) => new URL(r.url).pathname === `/projects/${P.id}/tasks` && new URL(r.url).searchParams.get("overdue") === "true"),
      ).toBe(true),
    );
    await user.click(screen.getByRole("button", { name: "Clear all" }));
    await waitFor(() => expect(screen.getByRole("searchbox", { name: "Title contains" })).toHaveValue(""));
  });

  it("shows a viewer the project and its tasks with no controls", async () => {
    server(project({ ...P, my_role: "viewer" }));
    renderPage();
    expect(await screen.findByRole("heading", { level: 1, name: "Garden" })).toBeInTheDocument();
    expect(await screen.findByText("Dig")).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Done" })).toBeInTheDocument();
    expect(screen.getByRole("img", { name: "Not done" })).toBeInTheDocument();
    expect(screen.getByText("View only")).toBeInTheDocument();
    // Filtering is reading: the only controls are the filter bar's.
    const bar = screen.getByRole("search", { name: "Filter tasks" });
    const outside = (el: HTMLElement) => !bar.contains(el);
    expect(screen.queryAllByRole("checkbox").filter(outside)).toEqual([]);
    expect(screen.queryAllByRole("button").filter(outside)).toEqual([]);
    expect(screen.queryByLabelText("New task")).not.toBeInTheDocument();
    // The way back names the project's workspace.
    expect(await screen.findByRole("link", { name: /Projects in Garden club/ })).toHaveAttribute(
      "href",
      `/w/${P.workspace_id}`,
    );
  });
});
