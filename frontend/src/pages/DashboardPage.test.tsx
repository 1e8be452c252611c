import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { json, mockApi, problem, project, renderAt, workspace, WORKSPACE_ID } from "../test/utils";
import { clearToasts, Toaster } from "../components/Toast";
import { DashboardPage } from "./DashboardPage";

const named = (i: number) => project({ id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, name: `Project ${i}` });

/** The workspace page's API: the workspace itself, then whatever the test adds. */
const mock = (role = "owner") =>
  mockApi().on("GET", `/workspaces/${WORKSPACE_ID}`, () => json(workspace({ my_role: role })));

const renderPage = () => renderAt(<DashboardPage />, { path: "/w/:workspaceId", route: `/w/${WORKSPACE_ID}` });

beforeEach(() => {
  clearToasts();
  resetSessionForTests();
  setAccessToken("token");
});

describe("DashboardPage", () => {
  it("shows an empty state with a way to start", async () => {
    mock().on("GET", "/projects", () => json({ items: [], next_cursor: null }));
    renderPage();
    expect(await screen.findByRole("heading", { name: "No projects yet" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create your first project" })).toBeInTheDocument();
  });

  it("loads the next page with next_cursor", async () => {
    const api = mock().on("GET", "/projects", (r) => {
      const cursor = new URL(r.url).searchParams.get("cursor");
      return cursor === "page-2"
        ? json({ items: [named(3)], next_cursor: null })
        : json({ items: [named(1), named(2)], next_cursor: "page-2" });
    });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByRole("link", { name: "Project 2" })).toBeInTheDocument();
    await user.click(screen.getByRole("button", { name: "Load more projects" }));
    expect(await screen.findByRole("link", { name: "Project 3" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Load more projects" })).not.toBeInTheDocument();
    expect(within(screen.getByRole("list", { name: "Projects in Garden club" })).getAllByRole("listitem")).toHaveLength(3);
    const urls = api.calls.map((r) => new URL(r.url)).filter((u) => u.pathname === "/projects");
    expect(urls[0]!.searchParams.get("cursor")).toBeNull();
    // Pages as large as the API allows: few people ever need a second one.
    expect(urls[0]!.searchParams.get("limit")).toBe("100");
    expect(urls[1]!.searchParams.get("cursor")).toBe("page-2");
  });

  it("deletes at once, then Undo in the toast brings the project back", async () => {
    let items = [named(1), named(2)];
    const api = mock()
      .on("GET", "/projects", () => json({ items, next_cursor: null }))
      .on("GET", /^\/workspaces\/.+\/trash$/, () => json({ items: [], next_cursor: null }))
      .on("DELETE", /^\/projects\/.+/, () => {
        items = items.slice(1);
        return new Response(null, { status: 204 });
      })
      .on("POST", /^\/projects\/.+\/restore$/, () => {
        items = [named(1), ...items];
        return json(named(1));
      });
    const user = userEvent.setup();
    renderAt(
      <>
        <DashboardPage />
        <Toaster />
      </>,
      { path: "/w/:workspaceId", route: `/w/${WORKSPACE_ID}` },
    );
    await user.click(await screen.findByRole("button", { name: "Delete Project 1" }));
    // The trash makes it undoable: no "are you sure?".
    expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole("link", { name: "Project 1" })).not.toBeInTheDocument());
    expect(api.count("DELETE", /^\/projects\/.+/)).toBe(1);
    const toast = screen.getByRole("status", { name: "Notifications" });
    expect(within(toast).getByText("Project moved to trash")).toBeInTheDocument();
    await user.click(within(toast).getByRole("button", { name: "Undo" }));
    expect(await screen.findByRole("link", { name: "Project 1" })).toBeInTheDocument();
    expect(api.count("POST", `/projects/${named(1).id}/restore`)).toBe(1);
  });

  it("asks the API for what the search box and the sort say, and a refused archive keeps the project", async () => {
    const api = mock()
      .on("GET", "/projects", () => json({ items: [named(1)], next_cursor: null }))
      .on("POST", /^\/projects\/.+\/archive$/, () => problem(404, { detail: "Not found." }));
    const user = userEvent.setup();
    renderPage();
    await user.type(await screen.findByLabelText("Search projects"), "tour{Enter}");
    await user.selectOptions(screen.getByLabelText("Sort projects"), "updated");
    await waitFor(() => {
      const last = new URL(api.calls.filter((r) => new URL(r.url).pathname === "/projects").at(-1)!.url).searchParams;
      expect([last.get("q"), last.get("sort"), last.get("archived")]).toEqual(["tour", "updated", null]);
    });
    await user.click(screen.getByRole("button", { name: "Archive Project 1" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Couldn’t archive the project");
    expect(screen.getByRole("link", { name: "Project 1" })).toBeInTheDocument();
  });

  it("creates a project and shows the API's field error in the dialog", async () => {
    mock()
      .on("GET", "/projects", () => json({ items: [], next_cursor: null }))
      .on("POST", `/workspaces/${WORKSPACE_ID}/projects`, () =>
        problem(422, { errors: [{ field: "name", code: "string_too_long", message: "Keep it under 200 characters." }] }),
      );
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: "New project" }));
    const dialog = screen.getByRole("dialog", { name: "New project" });
    await user.type(within(dialog).getByLabelText("Name"), "Too long, says the server");
    await user.click(within(dialog).getByRole("button", { name: "Create project" }));
    const name = within(dialog).getByLabelText("Name");
    await waitFor(() => expect(name).toHaveAccessibleDescription(/Keep it under 200 characters/));
    expect(name).toHaveFocus();
  });

  it("reports a failed list plainly, with a way to retry", async () => {
    let fail = true;
    mock().on("GET", "/projects", () =>
      fail ? problem(429, { detail: "Slow down." }, { "Retry-After": "5" }) : json({ items: [named(1)], next_cursor: null }),
    );
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByRole("alert")).toHaveTextContent("Too many requests. Please wait 5 seconds and try again.");
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByRole("link", { name: "Project 1" })).toBeInTheDocument();
  });

  it("lists and creates the projects of the workspace in the address", async () => {
    let items: ReturnType<typeof project>[] = [];
    const api = mock()
      .on("GET", "/projects", () => json({ items, next_cursor: null }))
      .on("POST", `/workspaces/${WORKSPACE_ID}/projects`, async (r) => {
        const body = (await r.json()) as { name: string };
        items = [named(7)];
        return json(project({ ...named(7), name: body.name }), 201);
      });
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText("Everything in Garden club, newest first.")).toBeInTheDocument();
    await user.click(await screen.findByRole("button", { name: "New project" }));
    await user.type(within(screen.getByRole("dialog")).getByLabelText("Name"), "Project 7");
    await user.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Create project" }));
    expect(await screen.findByRole("link", { name: "Project 7" })).toBeInTheDocument();
    expect(api.count("POST", `/workspaces/${WORKSPACE_ID}/projects`)).toBe(1);
    const lists = api.calls.filter((r) => new URL(r.url).pathname === "/projects");
    expect(lists.length).toBeGreaterThan(0);
    for (const r of lists) expect(new URL(r.url).searchParams.get("workspace")).toBe(WORKSPACE_ID);
  });

  it("shows a viewer the projects without any controls", async () => {
    mock("viewer").on("GET", "/projects", () =>
      json({ items: [project({ ...named(1), my_role: "viewer" })], next_cursor: null }),
    );
    renderPage();
    expect(await screen.findByRole("link", { name: "Project 1" })).toBeInTheDocument();
    expect(screen.getByText(/You’re a viewer/)).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "New project" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /Edit|Delete/ })).not.toBeInTheDocument();
  });

  it("says so when the workspace is gone or the person was removed from it", async () => {
    mockApi()
      .on("GET", `/workspaces/${WORKSPACE_ID}`, () => problem(404, { detail: "No such workspace." }))
      .on("GET", "/projects", () => problem(404));
    renderPage();
    expect(await screen.findByRole("heading", { name: "Workspace not found" })).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Go to your projects" })).toHaveAttribute("href", "/");
  });
});
