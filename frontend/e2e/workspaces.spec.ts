// Workspaces with two people in two browsers: inviting, accepting, roles, removal.
import type { BrowserContext, Page } from "@playwright/test";
import {
  cards,
  dialog,
  expect,
  heading,
  LIVE,
  logIn,
  openSwitcher,
  PASSWORD,
  shot,
  test,
  uniqueEmail,
  type Account,
  type Api,
  type Person,
} from "./support/fixtures";
import { linkIn, mailTo } from "./support/mail";

const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);

/** Opens the header's switcher and follows the link to the named workspace. */
async function switchTo(page: Page, name: string): Promise<void> {
  await (await openSwitcher(page)).getByRole("link", { name: new RegExp(`^${name}`) }).click();
  await expect(page.locator(".workspace-name")).toHaveText(name);
}

test("invite by link; the invitee signs up from it, accepts, and both work on the same project", async ({
  page,
  api,
  loggedIn,
  newPerson,
  monitor,
}) => {
  monitor.allowHttp(410); // the used link, at the end
  // Ann makes a workspace and a project in it, all in the browser.
  await page.getByRole("button", { name: /^Workspace:/ }).click();
  await shot(page, "workspace-switcher");
  await page.getByRole("button", { name: "+ New workspace" }).click();
  await dialog(page).getByLabel("Name").fill("Garden club");
  await dialog(page).getByRole("button", { name: "Create workspace" }).click();
  await expect(page.locator(".workspace-name")).toHaveText("Garden club");
  await expect(page.getByRole("button", { name: "Workspace: Garden club" })).toBeVisible();
  await page.getByRole("button", { name: "New project" }).click();
  await dialog(page).getByLabel("Name").fill("Seed swap");
  await dialog(page).getByRole("button", { name: "Create project" }).click();
  await expect(cards(page)).toHaveText(["Seed swap"]);
  const workspaceId = new URL(page.url()).pathname.split("/")[2]!;

  // The project is in that workspace, not in Ann's personal one.
  const annToken = await api.login(loggedIn.email, loggedIn.password);
  const inWorkspace = await api.call("GET", `/projects?workspace=${workspaceId}`, { token: annToken });
  expect(inWorkspace.json.items.map((p: { name: string }) => p.name)).toEqual(["Seed swap"]);

  // The invitation, and its link to copy.
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Members" }).click();
  await expect(heading(page, "Members")).toBeVisible();
  const bobEmail = uniqueEmail("bob");
  await page.getByLabel("Email", { exact: true }).fill(bobEmail);
  await page.getByLabel("Role", { exact: true }).selectOption("member");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const linkBox = page.getByLabel(`Invitation link for ${bobEmail}`);
  await expect(linkBox).toBeVisible();
  const link = await linkBox.inputValue();
  expect(link).toMatch(new RegExp(`^${new URL(page.url()).origin}/invite/[^/]+$`));
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
  await page.getByRole("button", { name: "Copy link" }).click();
  await expect(page.getByText(/^Copied\./)).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
  await expect(page.getByRole("list", { name: "Open invitations" })).toContainText(bobEmail);
  await shot(page, "members", { fullPage: true });

  // Bob, in his own browser, has never been here: he signs up from the invitation.
  const bob = await newPerson();
  await bob.page.goto(link);
  await expect(heading(bob.page, "Join Garden club")).toBeVisible();
  await expect(bob.page.getByText("Ann Example invited you to join Garden club on Project Connect as a member.")).toBeVisible();
  await shot(bob.page, "invitation-logged-out");
  await bob.page.getByRole("link", { name: "Create an account" }).click();
  await expect(heading(bob.page, "Create an account")).toBeVisible();
  await bob.page.getByLabel("Name").fill("Bob Builder");
  await bob.page.getByLabel("Email").fill(bobEmail);
  await bob.page.getByLabel("Password").fill(PASSWORD);
  await bob.page.getByRole("button", { name: "Create account" }).click();
  // Back on the invitation, now logged in.
  await expect(heading(bob.page, "Join Garden club")).toBeVisible();
  await expect(bob.page.getByText(`You’re logged in as ${bobEmail}.`)).toBeVisible();
  await shot(bob.page, "invitation-logged-in");
  // The invited address must be his: he is asked to follow the link mailed at sign-up.
  monitor.allowHttp(403);
  await bob.page.getByRole("button", { name: "Accept and join" }).click();
  await expect(bob.page.getByRole("alert")).toContainText(`follow the link we mailed to ${bobEmail}`);
  await shot(bob.page, "invitation-unverified");
  await bob.page.goto(linkIn(await mailTo(bobEmail, /Confirm your email address/), "/verify-email"));
  await expect(bob.page.getByText("your email address is confirmed")).toBeVisible();
  await bob.page.goto(link);
  await bob.page.getByRole("button", { name: "Accept and join" }).click();
  await expect(bob.page).toHaveURL(new RegExp(`/w/${workspaceId}$`));
  await expect(bob.page.locator(".workspace-context")).toContainText("You’re a member");
  await expect(cards(bob.page)).toHaveText(["Seed swap"]);

  // Bob adds a task; Ann sees it, and Bob sees hers.
  await cards(bob.page).getByRole("link", { name: "Seed swap" }).click();
  await bob.page.getByLabel("New task").fill("Bring tomato seeds");
  await bob.page.getByLabel("New task").press("Enter");
  await expect(bob.page.getByRole("checkbox", { name: "Bring tomato seeds" })).toBeVisible();
  await page.getByRole("navigation", { name: "Workspace" }).getByRole("link", { name: "Projects" }).click();
  await cards(page).getByRole("link", { name: "Seed swap" }).click();
  await expect(page.getByRole("checkbox", { name: "Bring tomato seeds" })).toBeVisible();
  await page.getByLabel("New task").fill("Book the village hall");
  await page.getByLabel("New task").press("Enter");
  await expect(page.getByRole("checkbox", { name: "Book the village hall" })).toBeVisible();
  await bob.page.reload();
  await expect(bob.page.getByRole("checkbox", { name: "Book the village hall" })).toBeVisible();

  // Ann's members page lists Bob; the used invitation is no longer open.
  await page.goto(`/w/${workspaceId}/members`);
  const members = page.getByRole("list", { name: "Members of Garden club" });
  await expect(members).toContainText("Bob Builder");
  await expect(page.getByLabel("Role of Bob Builder")).toHaveValue("member");
  await expect(page.getByText("No open invitations.")).toBeVisible();
  // The used link says so.
  await bob.page.goto(link);
  await expect(heading(bob.page, "This invitation can’t be used any more")).toBeVisible();
});

test("a viewer sees no edit controls, and the server refuses their writes", async ({ page, api, loggedIn, newPerson }) => {
  const annToken = await api.login(loggedIn.email, loggedIn.password);
  const workspaceId = await api.createWorkspace(annToken, "Book club");
  const projectId = await api.createProjectIn(annToken, workspaceId, "Reading list");
  await api.createTask(annToken, projectId, "Pick the first book", true);
  await api.createTask(annToken, projectId, "Find a café");
  const vicEmail = uniqueEmail("vic");
  const vicToken = await api.join(annToken, workspaceId, vicEmail, "Vic Viewer", "viewer");

  const vic = await newPerson();
  await logIn(vic.page, vicEmail, PASSWORD);
  await switchTo(vic.page, "Book club");
  await expect(vic.page.locator(".workspace-context")).toContainText("You’re a viewer");
  await expect(cards(vic.page)).toHaveText(["Reading list"]);
  await expect(vic.page.getByRole("button", { name: "New project" })).toHaveCount(0);
  await expect(vic.page.getByRole("button", { name: /^(Edit|Delete) / })).toHaveCount(0);
  await shot(vic.page, "viewer-projects");

  await cards(vic.page).getByRole("link", { name: "Reading list" }).click();
  await expect(heading(vic.page, "Reading list")).toBeVisible();
  await expect(vic.page.getByText("Find a café")).toBeVisible();
  await expect(vic.page.getByText("View only")).toBeVisible();
  const main = vic.page.getByRole("main");
  // Filtering is reading: the filter bar's are the only controls a viewer gets.
  await expect(main.getByRole("search", { name: "Filter tasks" })).toBeVisible();
  const controlsOutsideFilters = () =>
    vic.page.evaluate(
      () =>
        [...document.querySelectorAll("main input, main button, main textarea, main select")].filter(
          (control) => !control.closest('[role="search"]'),
        ).length,
    );
  await expect.poll(controlsOutsideFilters).toBe(0);
  await expect(main.getByRole("img", { name: "Done", exact: true })).toHaveCount(1);
  await shot(vic.page, "viewer-project");

  await vic.page.goto(`/w/${workspaceId}/members`);
  await expect(vic.page.getByRole("list", { name: "Members of Book club" })).toContainText("Ann Example");
  await expect(vic.page.getByRole("heading", { name: "Invite someone" })).toHaveCount(0);
  await expect(vic.page.getByRole("main").getByRole("combobox")).toHaveCount(0);
  await expect(vic.page.getByRole("button", { name: /^(Remove|Make) / })).toHaveCount(0);
  await expect(vic.page.getByLabel("Workspace name")).toHaveCount(0);
  await expect(vic.page.getByRole("button", { name: "Leave workspace" })).toBeVisible();
  await expect(vic.page.getByRole("button", { name: "Delete workspace" })).toHaveCount(0);

  // The controls are missing because the server would refuse: it does, naming the role.
  const edit = await api.call("PATCH", `/projects/${projectId}`, { token: vicToken, body: { name: "Mine now" } });
  expect(edit.status).toBe(403);
  expect(edit.json.required_role).toBe("member");
  const create = await api.call("POST", `/workspaces/${workspaceId}/projects`, { token: vicToken, body: { name: "Sneaky" } });
  expect(create.status).toBe(403);
  const tasks = await api.call("GET", `/projects/${projectId}/tasks`, { token: vicToken });
  const firstTask = tasks.json.items[0].id as string;
  const toggle = await api.call("PATCH", `/projects/${projectId}/tasks/${firstTask}`, { token: vicToken, body: { done: false } });
  expect(toggle.status).toBe(403);
  const invite = await api.call("POST", `/workspaces/${workspaceId}/invitations`, {
    token: vicToken,
    body: { email: uniqueEmail("eve"), role: "viewer" },
  });
  expect(invite.status).toBe(403);

  // Promoted, the same page offers the controls after its next load.
  const members = await api.call("GET", `/workspaces/${workspaceId}/members`, { token: annToken });
  const vicId = members.json.items.find((m: { email: string }) => m.email === vicEmail).user_id as string;
  await page.goto(`/w/${workspaceId}/members`);
  await page.getByLabel("Role of Vic Viewer").selectOption("member");
  await expect(page.getByRole("status").filter({ hasText: "Vic Viewer is now a member." })).toBeAttached();
  expect((await api.call("GET", `/workspaces/${workspaceId}/members`, { token: annToken })).json.items.find(
    (m: { user_id: string }) => m.user_id === vicId,
  ).role).toBe("member");
  await vic.page.goto(`/p/${projectId}`);
  await expect(vic.page.getByRole("checkbox", { name: "Find a café" })).toBeVisible();
  await expect(vic.page.getByLabel("New task")).toBeVisible();
});

/** Ann's workspace "Band" with the project "Summer tour" (one task), Bob a member, his browser on it. */
async function bandWithBob(api: Api, ann: Account, newPerson: () => Promise<Person>, prepare?: (context: BrowserContext) => Promise<unknown>) {
  const { ownerToken: annToken, workspaceId, projectId, memberEmail: bobEmail } = await api.sharedProject(ann, {
    workspace: "Band",
    project: "Summer tour",
    task: "Book the van",
    member: "Bob Drummer",
  });
  const bob = await newPerson();
  await prepare?.(bob.context);
  await logIn(bob.page, bobEmail, PASSWORD);
  await bob.page.goto(`/p/${projectId}`);
  await expect(bob.page.getByRole("checkbox", { name: "Book the van" })).toBeVisible();
  return { annToken, workspaceId, projectId, bob };
}

async function removeBob(page: Page, workspaceId: string, screenshot = false): Promise<void> {
  await page.goto(`/w/${workspaceId}/members`);
  await page.getByRole("button", { name: "Remove Bob Drummer" }).click();
  const confirm = page.getByRole("alertdialog", { name: "Remove Bob Drummer?" });
  await expect(confirm).toBeVisible();
  if (screenshot) await shot(page, "remove-member-dialog");
  await confirm.getByRole("button", { name: "Remove" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByRole("list", { name: "Members of Band" })).not.toContainText("Bob Drummer");
}

test("removal takes access away in the member's open page at once", async ({ page, api, loggedIn, newPerson, monitor }) => {
  const { workspaceId, bob } = await bandWithBob(api, loggedIn, newPerson);

  // Ann removes Bob while his page is open.
  const mark = monitor.mark();
  await removeBob(page, workspaceId, true);

  // Bob's page, untouched: it says so at once (live), without asking anything that fails.
  await expect(heading(bob.page, "Your access to “Band” has ended")).toBeVisible(LIVE);
  await expect(bob.page.getByRole("checkbox", { name: "Book the van" })).toHaveCount(0);
  expect(monitor.since(mark, (r) => r.status >= 400)).toEqual([]);
  // The workspace is gone from his switcher and its page.
  await expect(await openSwitcher(bob.page)).not.toContainText("Band");
  await bob.page.keyboard.press("Escape");
  await bob.page.getByRole("link", { name: "Go to your projects" }).click();
  await expect(heading(bob.page, "Projects")).toBeVisible();
  monitor.allowHttp(404);
  await bob.page.goto(`/w/${workspaceId}`);
  await expect(heading(bob.page, "Workspace not found")).toBeVisible();
});

test("without live updates, removal takes effect in the member's open page on its next request", async ({
  page,
  api,
  loggedIn,
  newPerson,
  monitor,
}) => {
  monitor.allowHttp(404, 503);
  // Bob's browser cannot open the live stream (the server refuses it, as when it is unwell).
  const { workspaceId, bob } = await bandWithBob(api, loggedIn, newPerson, (context) =>
    context.route("**/events/stream", (route) =>
      route.fulfill({ status: 503, contentType: "application/problem+json", body: '{"status":503}', headers: { "Retry-After": "60" } }),
    ),
  );
  await removeBob(page, workspaceId);

  // Bob's page, untouched since: its next request is refused, and the page says so.
  const mark = monitor.mark();
  // A click, not check(): the refusal may undo the tick before Playwright could look at it.
  await bob.page.getByRole("checkbox", { name: "Book the van" }).click();
  await expect(heading(bob.page, "Project not found")).toBeVisible();
  expect(monitor.since(mark, (r) => r.status === 404).length).toBeGreaterThan(0);
  expect(monitor.since(mark, (r) => r.status < 300 && r.path.startsWith("/projects/"))).toEqual([]);
  // The workspace is gone from his switcher and its page.
  await bob.page.getByRole("link", { name: "Back to projects" }).click();
  await expect(await openSwitcher(bob.page)).not.toContainText("Band");
  await bob.page.goto(`/w/${workspaceId}`);
  await expect(heading(bob.page, "Workspace not found")).toBeVisible();
});

test("revoking an invitation stops its link at once; another account cannot use it", async ({ page, api, loggedIn, newPerson, monitor }) => {
  monitor.allowHttp(403, 404, 410);
  const annToken = await api.login(loggedIn.email, loggedIn.password);
  const workspaceId = await api.createWorkspace(annToken, "Choir");
  const invited = uniqueEmail("carol");
  const token = await api.invite(annToken, workspaceId, invited, "admin");

  // Someone logged in with another address is told, and offered a way out.
  const mallory = uniqueEmail("mallory");
  await api.register(mallory, PASSWORD, "Mallory");
  const other = await newPerson();
  await logIn(other.page, mallory, PASSWORD);
  await other.page.goto(`/invite/${token}`);
  await expect(heading(other.page, "Join Choir")).toBeVisible();
  await expect(other.page.getByText("as an admin")).toBeVisible();
  await other.page.getByRole("button", { name: "Accept and join" }).click();
  await expect(other.page.getByText("Invited with another address?")).toBeVisible();
  await expect(other.page.getByRole("alert")).toBeVisible();

  await page.goto(`/w/${workspaceId}/members`);
  await page.getByRole("button", { name: `Revoke the invitation for ${invited}` }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Revoke invitation" }).click();
  await expect(page.getByText("No open invitations.")).toBeVisible();

  const carol = await newPerson();
  await carol.page.goto(`/invite/${token}`);
  await expect(heading(carol.page, "This invitation can’t be used any more")).toBeVisible();
  await shot(carol.page, "invitation-gone");
  await carol.page.goto("/invite/not-a-real-token");
  await expect(heading(carol.page, "This invitation link isn’t valid")).toBeVisible();
});

test("deleting the account says which workspaces go and who inherits the others", async ({ page, api, loggedIn, newPerson }) => {
  const annToken = await api.login(loggedIn.email, loggedIn.password);
  const shared = await api.createWorkspace(annToken, "Allotment");
  await api.createProjectIn(annToken, shared, "Compost rota");
  await api.createWorkspace(annToken, "Solo notes");
  const bobEmail = uniqueEmail("bob");
  const bobToken = await api.join(annToken, shared, bobEmail, "Bob Gardener", "admin");

  await page.getByRole("link", { name: "Account" }).click();
  await page.getByRole("button", { name: "Delete account…" }).click();
  const d = page.getByRole("alertdialog");
  await expect(d.getByRole("list", { name: "Deleted with your account" })).toContainText("Personal");
  await expect(d.getByRole("list", { name: "Deleted with your account" })).toContainText("Solo notes");
  await expect(d.getByRole("list", { name: "Passed on to a new owner" })).toHaveText(
    `Allotment → goes to Bob Gardener (${bobEmail})`,
  );
  await expect(d.getByLabel("Password")).toBeFocused();
  await shot(page, "delete-account-workspaces");
  await d.getByLabel("Password").fill(loggedIn.password);
  await d.getByRole("button", { name: "Delete my account" }).click();
  await expect(heading(page, "Log in")).toBeVisible();

  // Bob now owns it (the projects service hears of the deletion through the outbox), and is told so.
  await expect
    .poll(async () => (await api.call("GET", `/workspaces/${shared}`, { token: bobToken })).json.my_role)
    .toBe("owner");
  const bob = await newPerson();
  await logIn(bob.page, bobEmail, PASSWORD);
  await switchTo(bob.page, "Allotment");
  await expect(bob.page.locator(".workspace-context")).toContainText("You’re an owner");
  await expect(bob.page.getByText(/Ann Example’s account was deleted on .*: you own this workspace now\./)).toBeVisible();
  await expect(cards(bob.page)).toHaveText(["Compost rota"]);
});

test("phone width: workspace pages and the invitation fit and stay usable", async ({ page, api, loggedIn, newPerson }) => {
  const annToken = await api.login(loggedIn.email, loggedIn.password);
  const workspaceId = await api.createWorkspace(annToken, "Neighbourhood association of Upper Little Hampton");
  await api.createProjectIn(annToken, workspaceId, "Street party");
  await api.join(annToken, workspaceId, uniqueEmail("bob"), "Bob With A Rather Long Display Name", "admin");
  const pending = uniqueEmail("someone.with.a.long.address");
  const token = await api.invite(annToken, workspaceId, pending, "viewer");

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`/w/${workspaceId}`);
  await expect(cards(page)).toHaveText(["Street party"]);
  expect(await overflow(page), "the workspace page scrolls sideways").toBeLessThanOrEqual(0);
  await shot(page, "workspace-phone", { fullPage: true });
  const switcher = await openSwitcher(page);
  await expect(switcher).toBeVisible();
  expect(await overflow(page), "the switcher scrolls sideways").toBeLessThanOrEqual(0);
  await shot(page, "switcher-phone");
  await page.keyboard.press("Escape");
  await expect(switcher).toHaveCount(0);

  await page.goto(`/w/${workspaceId}/members`);
  await expect(page.getByRole("list", { name: /^Members of/ })).toContainText("Bob With A Rather Long Display Name");
  await page.getByLabel("Email", { exact: true }).fill(uniqueEmail("dan"));
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  await expect(page.getByRole("button", { name: "Copy link" })).toBeVisible();
  await expect(page.getByRole("list", { name: "Open invitations" })).toContainText(pending);
  expect(await overflow(page), "the members page scrolls sideways").toBeLessThanOrEqual(0);
  await shot(page, "members-phone", { fullPage: true });

  const guest = await newPerson();
  await guest.page.setViewportSize({ width: 390, height: 844 });
  await guest.page.goto(`/invite/${token}`);
  await expect(heading(guest.page, /^Join /)).toBeVisible();
  expect(await overflow(guest.page), "the invitation page scrolls sideways").toBeLessThanOrEqual(0);
  await shot(guest.page, "invitation-phone", { fullPage: true });
});
