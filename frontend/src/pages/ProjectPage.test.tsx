import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { deferred, json, mockApi, problem, project, renderAt, task } from "../test/utils";
import { ProjectPage } from "./ProjectPage";

const P = project({ task_count: 2, done_count: 1, progress: 50 });
const tasks = [task({ id: "t1", title: "Dig", done: false }), task({ id: "t2", title: "Plant", done: true })];

function server() {
  return mockApi()
    .on("GET", `/projects/${P.id}`, () => json(P))
    .on("GET", `/projects/${P.id}/tasks`, () => json({ items: tasks, next_cursor: null }));
}

function renderPage() {
  return renderAt(<ProjectPage />, { path: "/p/:projectId", route: `/p/${P.id}` });
}

const progress = () => screen.getByRole("progressbar", { name: "Progress of Garden" });

beforeEach(() => {
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
    expect(await screen.findByRole("alert")).toHaveTextContent("Couldn’t complete “Dig”");
  });

  it("keeps a successful toggle and refetches the counts", async () => {
    const api = server().on("PATCH", `/projects/${P.id}/tasks/t1`, () => json({ ...tasks[0], done: true }));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("checkbox", { name: "Dig" }));
    const patch = api.calls.find((r) => r.method === "PATCH");
    await waitFor(() => expect(api.count("GET", `/projects/${P.id}`)).toBeGreaterThan(1)); // invalidated
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
    const api = mockApi()
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
    mockApi()
      .on("GET", /^\/projects\/.+\/tasks$/, () => problem(404))
      .on("GET", /^\/projects\/.+/, () => problem(404));
    renderPage();
    expect(await screen.findByRole("heading", { name: "Project not found" })).toBeInTheDocument();
    const card = screen.getByRole("heading", { name: "Project not found" }).parentElement!;
    expect(within(card).getByRole("link", { name: "Back to projects" })).toHaveAttribute("href", "/");
  });
});
