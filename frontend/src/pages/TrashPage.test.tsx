import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { clearToasts } from "../components/Toast";
import { json, ME, member, mockApi, renderAt, workspace, WORKSPACE_ID } from "../test/utils";
import { TrashPage } from "./TrashPage";

const trashed = {
  kind: "task",
  id: "t1",
  project_id: "11111111-1111-4111-8111-111111111111",
  title: "Dig <b>beds</b>",
  deleted_by: ME,
  deleted_at: "2026-11-01T10:00:00Z",
  purge_at: "2026-12-01T10:00:00Z",
};

function server(role: string) {
  let items = [trashed];
  const api = mockApi()
    .on("GET", `/workspaces/${WORKSPACE_ID}`, () => json(workspace({ my_role: role })))
    .on("GET", `/workspaces/${WORKSPACE_ID}/members`, () => json({ items: [member()], next_cursor: null }))
    .on("GET", `/workspaces/${WORKSPACE_ID}/trash`, () => json({ items, next_cursor: null }))
    .on("POST", `/projects/${trashed.project_id}/tasks/t1/restore`, () => {
      items = [];
      return json({});
    });
  renderAt(<TrashPage />, { path: "/w/:workspaceId/trash", route: `/w/${WORKSPACE_ID}/trash` });
  return api;
}

beforeEach(() => {
  clearToasts();
  resetSessionForTests();
  setAccessToken("token");
});

describe("TrashPage", () => {
  it("lists who deleted what and when it goes; Restore takes it out of the trash", async () => {
    const api = server("member");
    const list = await screen.findByRole("list", { name: "Trash of Garden club" });
    const item = within(list).getByRole("listitem");
    expect(item).toHaveTextContent("Dig <b>beds</b>");
    expect(item).toHaveTextContent(/Deleted by Ann on .* purged on/);
    await userEvent.setup().click(within(item).getByRole("button", { name: "Restore Dig <b>beds</b>" }));
    expect(await screen.findByRole("heading", { name: "The trash is empty" })).toBeInTheDocument();
    expect(api.count("POST", `/projects/${trashed.project_id}/tasks/t1/restore`)).toBe(1);
  });

  it("offers a viewer no Restore", async () => {
    server("viewer");
    await screen.findByRole("list", { name: "Trash of Garden club" });
    expect(screen.queryByRole("button", { name: /Restore/ })).not.toBeInTheDocument();
  });
});
