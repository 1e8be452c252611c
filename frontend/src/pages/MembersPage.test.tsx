import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { json, ME, member, mockApi, renderAt, workspace, WORKSPACE_ID } from "../test/utils";
import { invitationLink, MembersPage } from "./MembersPage";

const OWNER = member({ user_id: "owner-1", display_name: "Olga Owner", email: "olga@example.com", role: "owner" });
const ADMIN = member({ user_id: "admin-1", display_name: "Adam Admin", email: "adam@example.com", role: "admin" });
const BOB = member({ user_id: "bob-1", display_name: "Bob", email: "bob@example.com", role: "member" });

function server(myRole: string, me: ReturnType<typeof member>) {
  const base = `/workspaces/${WORKSPACE_ID}`;
  return mockApi()
    .on("GET", base, () => json(workspace({ my_role: myRole, member_count: 3 })))
    .on("GET", "/auth/me", () =>
      json({ id: me.user_id, email: me.email, display_name: me.display_name, created_at: "2026-01-01T00:00:00Z" }),
    )
    .on("GET", `${base}/members`, () => json({ items: [OWNER, ADMIN, BOB].map((m) => (m.user_id === me.user_id ? me : m)), next_cursor: null }))
    .on("GET", `${base}/invitations`, () => json({ items: [], next_cursor: null }));
}

const renderPage = () =>
  renderAt(<MembersPage />, { path: "/w/:workspaceId/members", route: `/w/${WORKSPACE_ID}/members` });

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

describe("MembersPage", () => {
  it("builds the invitation link on the app's own address", () => {
    expect(invitationLink({ token: "abc-DEF_1" }, "https://pc.example")).toBe("https://pc.example/invite/abc-DEF_1");
  });

  it("gives an admin what an admin may do, and no more", async () => {
    const api = server("admin", ADMIN).on("POST", `/workspaces/${WORKSPACE_ID}/invitations`, async (r) => {
      const body = (await r.json()) as { email: string; role: string };
      return json(
        {
          id: "inv-1",
          email: body.email,
          role: body.role,
          invited_by: { user_id: ADMIN.user_id, display_name: "Adam Admin", email: ADMIN.email },
          created_at: "2026-01-01T00:00:00Z",
          expires_at: "2026-01-08T00:00:00Z",
          status: "pending",
          token: "tok-123",
          url: "http://internal:8001/invite/tok-123",
        },
        201,
      );
    });
    const user = userEvent.setup();
    renderPage();
    const list = await screen.findByRole("list", { name: "Members of Garden club" });
    // The owner: out of an admin's reach.
    expect(within(list).queryByRole("combobox", { name: "Role of Olga Owner" })).not.toBeInTheDocument();
    expect(within(list).queryByRole("button", { name: "Remove Olga Owner" })).not.toBeInTheDocument();
    // A member: any role up to admin, or removal; ownership is not an admin's to give.
    const bobRole = within(list).getByRole("combobox", { name: "Role of Bob" });
    expect(within(bobRole).getAllByRole("option").map((o) => o.textContent)).toEqual(["Admin", "Member", "Viewer"]);
    expect(within(list).getByRole("button", { name: "Remove Bob" })).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Make .* the owner$/ })).not.toBeInTheDocument();
    // Their own row: no controls.
    expect(within(list).queryByRole("combobox", { name: "Role of Adam Admin" })).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Delete workspace" })).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Leave workspace" })).toBeInTheDocument();

    const role = screen.getByRole("combobox", { name: "Role" });
    expect(within(role).getAllByRole("option").map((o) => o.textContent)).toEqual(["Admin", "Member", "Viewer"]);
    await user.type(screen.getByLabelText("Email"), "new@example.com");
    await user.selectOptions(role, "viewer");
    await user.click(screen.getByRole("button", { name: "Invite" }));
    const link = await screen.findByLabelText("Invitation link for new@example.com");
    expect(link).toHaveValue(`${window.location.origin}/invite/tok-123`);
    const post = api.calls.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({ email: "new@example.com", role: "viewer" });
  });

  it("lets an owner transfer ownership after confirming", async () => {
    const api = server("owner", OWNER).on("POST", `/workspaces/${WORKSPACE_ID}/transfer`, () => new Response(null, { status: 204 }));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Make Bob the owner" }));
    const dialog = screen.getByRole("alertdialog", { name: "Make Bob the owner?" });
    expect(within(dialog).getByText(/You stay on as an admin/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole("button", { name: "Transfer ownership" }));
    await waitFor(() => expect(screen.queryByRole("alertdialog")).not.toBeInTheDocument());
    const post = api.calls.find((r) => r.method === "POST")!;
    expect(await post.json()).toEqual({ user_id: "bob-1" });
    expect(screen.getByRole("button", { name: "Delete workspace" })).toBeInTheDocument();
  });

  it("shows a viewer who belongs, with no controls but leaving", async () => {
    server("viewer", member({ user_id: ME, display_name: "Vic", email: "vic@example.com", role: "viewer" }));
    renderPage();
    expect(await screen.findByRole("list", { name: "Members of Garden club" })).toHaveTextContent("Olga Owner");
    expect(screen.queryByRole("heading", { name: "Invite someone" })).not.toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Open invitations" })).not.toBeInTheDocument();
    expect(screen.queryByRole("combobox")).not.toBeInTheDocument();
    expect(screen.queryByRole("button", { name: /^Remove / })).not.toBeInTheDocument();
    expect(screen.queryByLabelText("Workspace name")).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Leave workspace" })).toBeInTheDocument();
  });
});
