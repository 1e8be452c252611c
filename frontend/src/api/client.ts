import createClient from "openapi-fetch";
import type { components as AuthComponents, paths as AuthPaths } from "./auth";
import { apiErrorFrom, NetworkError } from "./errors";
import type { components as ProjectComponents, paths as ProjectPaths } from "./projects";
import { DEFAULT_LISTING, listingQuery, type ProjectListing } from "./projectListing";
import { apiOrigin, authenticatedFetch, endSession, send, setAccessToken } from "./session";

export type User = AuthComponents["schemas"]["UserPublic"];
export type Project = ProjectComponents["schemas"]["ProjectPublic"];
export type ProjectPage = ProjectComponents["schemas"]["ProjectPage"];
export type ProjectCreate = ProjectComponents["schemas"]["ProjectCreate"];
export type ProjectUpdate = ProjectComponents["schemas"]["ProjectUpdate"];
export type Task = ProjectComponents["schemas"]["TaskPublic"];
export type TaskPage = ProjectComponents["schemas"]["TaskPage"];
export type TaskUpdate = ProjectComponents["schemas"]["TaskUpdate"];
export type TaskStatus = Task["status"];
export type TaskPriority = Task["priority"];
export type Label = ProjectComponents["schemas"]["LabelPublic"];
export type LabelCreate = ProjectComponents["schemas"]["LabelCreate"];
export type Role = ProjectComponents["schemas"]["MemberPublic"]["role"];
export type Workspace = ProjectComponents["schemas"]["WorkspacePublic"];
export type Member = ProjectComponents["schemas"]["MemberPublic"];
export type MemberPage = ProjectComponents["schemas"]["MemberPage"];
export type Invitation = ProjectComponents["schemas"]["InvitationPublic"];
export type InvitationCreated = ProjectComponents["schemas"]["InvitationCreated"];
export type InvitationPage = ProjectComponents["schemas"]["InvitationPage"];
export type InvitationPreview = ProjectComponents["schemas"]["InvitationPreview"];
export type TrashItem = ProjectComponents["schemas"]["TrashItemPublic"];
export type TrashPage = ProjectComponents["schemas"]["TrashPage"];
export type SearchHit = ProjectComponents["schemas"]["SearchHit"];
export type SearchResults = ProjectComponents["schemas"]["SearchResults"];
export type Span = ProjectComponents["schemas"]["Span"];
export type MyTasks = ProjectComponents["schemas"]["MyTasks"];
export type MyTask = ProjectComponents["schemas"]["MyTaskPublic"];
export type Comment = ProjectComponents["schemas"]["CommentPublic"];
export type CommentPage = ProjectComponents["schemas"]["CommentPage"];
export type ActivityEntry = ProjectComponents["schemas"]["ActivityPublic"];
export type ActivityPage = ProjectComponents["schemas"]["ActivityPage"];
export type Notification = ProjectComponents["schemas"]["NotificationPublic"];
export type NotificationKind = Notification["kind"];
export type NotificationPage = ProjectComponents["schemas"]["NotificationPage"];
export type NotificationPreferences = ProjectComponents["schemas"]["NotificationPreferences"];
export type NotificationPreferencesUpdate = ProjectComponents["schemas"]["NotificationPreferencesUpdate"];
export type MailFrequency = NotificationPreferences["mail_frequency"];
/** GET /projects/{id}/tasks's filters and sort (see taskFilters.ts). */
export type TaskQuery = Omit<NonNullable<ProjectPaths["/projects/{project_id}/tasks"]["get"]["parameters"]["query"]>, "cursor" | "limit">;

// Same origin in every deployment: the gateway (or `projectconnect dev`) serves the APIs
// under /auth and /projects next to the app. Only static assets may come from a CDN.
const baseUrl = apiOrigin();

/** For calls made without a session: register, login. */
const publicAuth = createClient<AuthPaths>({
  baseUrl,
  credentials: "same-origin",
  fetch: send,
});

/** For the one projects call made without a session: an invitation's preview. */
const publicProjects = createClient<ProjectPaths>({ baseUrl, credentials: "same-origin", fetch: send });

/** For calls that carry the access token (refreshed once on a 401). */
const auth = createClient<AuthPaths>({ baseUrl, credentials: "same-origin", fetch: authenticatedFetch });
const projects = createClient<ProjectPaths>({ baseUrl, credentials: "same-origin", fetch: authenticatedFetch });

interface Outcome<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call; otherwise throws ApiError (or NetworkError). */
async function call<T>(pending: Promise<Outcome<T>>): Promise<T> {
  let outcome: Outcome<T>;
  try {
    outcome = await pending;
  } catch (error) {
    if (error instanceof NetworkError) throw error;
    if (error instanceof TypeError) throw new NetworkError(error);
    throw error;
  }
  if (!outcome.response.ok) throw apiErrorFrom(outcome.response, outcome.error);
  return outcome.data as T;
}

// As many as the API gives at once: most people see all their projects in one request.
export const PROJECT_PAGE_SIZE = 100;
const TASK_PAGE_SIZE = 100;

export const api = {
  // --- auth -------------------------------------------------------------------------
  async register(body: { email: string; password: string; display_name?: string | null }): Promise<User> {
    return call(publicAuth.POST("/auth/register", { body }));
  },
  /** Logs in; the access token is kept in memory, the refresh cookie by the browser. */
  async login(body: { email: string; password: string }): Promise<void> {
    const tokens = await call(publicAuth.POST("/auth/login", { body }));
    setAccessToken(tokens.access_token);
  },
  async logout(): Promise<void> {
    await call(auth.POST("/auth/logout"));
    endSession("logged-out");
  },
  async logoutEverywhere(): Promise<void> {
    await call(auth.POST("/auth/logout-all"));
    endSession("logged-out");
  },
  me(): Promise<User> {
    return call(auth.GET("/auth/me"));
  },
  updateMe(body: { display_name: string | null }): Promise<User> {
    return call(auth.PATCH("/auth/me", { body }));
  },
  async changePassword(body: { current_password: string; new_password: string }): Promise<void> {
    await call(auth.POST("/auth/me/password", { body }));
  },
  async deleteAccount(body: { password: string }, signal?: AbortSignal): Promise<void> {
    await call(auth.DELETE("/auth/me", { body, signal }));
    endSession("account-deleted");
  },

  /** Mails a reset link if the address has an account; the same answer either way. */
  async forgotPassword(body: { email: string }): Promise<void> {
    await call(publicAuth.POST("/auth/password/forgot", { body }));
  },
  /** Sets a new password with a mailed link's token; every session ends, this one too. */
  async resetPassword(body: { token: string; new_password: string }): Promise<void> {
    await call(publicAuth.POST("/auth/password/reset", { body }));
    endSession("password-reset");
  },
  /** Follows a verification (or email-change) link. */
  async verifyEmail(body: { token: string }): Promise<void> {
    await call(publicAuth.POST("/auth/email/verify", { body }));
  },
  /** Mails a new verification link to the account's address; 429 when asked too often. */
  async resendVerification(): Promise<void> {
    await call(auth.POST("/auth/me/email/verification"));
  },
  /** Holds `email` as pending and mails it a link; the address changes once it is followed. */
  changeEmail(body: { email: string; password: string }): Promise<User> {
    return call(auth.POST("/auth/me/email", { body }));
  },

  // --- projects ---------------------------------------------------------------------
  /** Projects of one workspace (every workspace the caller can see without one). */
  listProjects(
    cursor: string | null,
    workspaceId: string | null = null,
    listing: ProjectListing = DEFAULT_LISTING,
    limit = PROJECT_PAGE_SIZE,
  ): Promise<ProjectPage> {
    return call(
      projects.GET("/projects", {
        params: {
          query: {
            limit,
            ...(workspaceId ? { workspace: workspaceId } : {}),
            ...listingQuery(listing),
            ...(cursor ? { cursor } : {}),
          },
        },
      }),
    );
  },
  getProject(projectId: string): Promise<Project> {
    return call(projects.GET("/projects/{project_id}", { params: { path: { project_id: projectId } } }));
  },
  createProject(workspaceId: string, body: ProjectCreate, signal?: AbortSignal): Promise<Project> {
    return call(
      projects.POST("/workspaces/{workspace_id}/projects", { params: { path: { workspace_id: workspaceId } }, body, signal }),
    );
  },
  updateProject(projectId: string, body: ProjectUpdate): Promise<Project> {
    return call(projects.PATCH("/projects/{project_id}", { params: { path: { project_id: projectId } }, body }));
  },
  async deleteProject(projectId: string, signal?: AbortSignal): Promise<void> {
    await call(projects.DELETE("/projects/{project_id}", { params: { path: { project_id: projectId } }, signal }));
  },
  /** Out of the default list, or back into it; kept whole either way. */
  archiveProject(projectId: string, archived: boolean): Promise<Project> {
    const params = { params: { path: { project_id: projectId } } };
    return call(
      archived
        ? projects.POST("/projects/{project_id}/archive", params)
        : projects.POST("/projects/{project_id}/unarchive", params),
    );
  },
  /** Back from the trash, with its tasks. */
  restoreProject(projectId: string): Promise<Project> {
    return call(projects.POST("/projects/{project_id}/restore", { params: { path: { project_id: projectId } } }));
  },
  listTasks(projectId: string, cursor: string | null, filters: TaskQuery = {}, limit = TASK_PAGE_SIZE): Promise<TaskPage> {
    return call(
      projects.GET("/projects/{project_id}/tasks", {
        params: { path: { project_id: projectId }, query: { ...filters, limit, ...(cursor ? { cursor } : {}) } },
      }),
    );
  },
  createTask(projectId: string, title: string): Promise<Task> {
    return call(
      projects.POST("/projects/{project_id}/tasks", { params: { path: { project_id: projectId } }, body: { title } }),
    );
  },
  getTask(projectId: string, taskId: string): Promise<Task> {
    return call(
      projects.GET("/projects/{project_id}/tasks/{task_id}", { params: { path: { project_id: projectId, task_id: taskId } } }),
    );
  },
  /** With `version`, only if the task is still at it (If-Match); a 412 ApiError otherwise. */
  updateTask(projectId: string, taskId: string, body: TaskUpdate, version: number | null = null): Promise<Task> {
    return call(
      projects.PATCH("/projects/{project_id}/tasks/{task_id}", {
        params: {
          path: { project_id: projectId, task_id: taskId },
          ...(version === null ? {} : { header: { "if-match": `"${version}"` } }),
        },
        body,
      }),
    );
  },
  async deleteTask(projectId: string, taskId: string, signal?: AbortSignal): Promise<void> {
    await call(
      projects.DELETE("/projects/{project_id}/tasks/{task_id}", {
        params: { path: { project_id: projectId, task_id: taskId } },
        signal,
      }),
    );
  },
  /** Back from the trash; 409 `project_in_trash` while its project is there too. */
  restoreTask(projectId: string, taskId: string): Promise<Task> {
    return call(
      projects.POST("/projects/{project_id}/tasks/{task_id}/restore", {
        params: { path: { project_id: projectId, task_id: taskId } },
      }),
    );
  },

  // --- search and My tasks ----------------------------------------------------------
  /** Tasks and projects the caller may see; `q` of at least 2 characters. */
  search(
    q: string,
    { cursor = null, limit = 20, signal }: { cursor?: string | null; limit?: number; signal?: AbortSignal } = {},
  ): Promise<SearchResults> {
    return call(projects.GET("/search", { params: { query: { q, limit, ...(cursor ? { cursor } : {}) } }, signal }));
  },
  /** The caller's tasks grouped by due date, relative to `today` (their local date). */
  myTasks(today: string, includeDone = false): Promise<MyTasks> {
    return call(projects.GET("/me/tasks", { params: { query: { today, include_done: includeDone } } }));
  },

  /** A task's comments, oldest first. */
  listComments(projectId: string, taskId: string, cursor: string | null): Promise<CommentPage> {
    return call(
      projects.GET("/projects/{project_id}/tasks/{task_id}/comments", {
        params: { path: { project_id: projectId, task_id: taskId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    );
  },
  addComment(projectId: string, taskId: string, body: string): Promise<Comment> {
    return call(
      projects.POST("/projects/{project_id}/tasks/{task_id}/comments", {
        params: { path: { project_id: projectId, task_id: taskId } },
        body: { body },
      }),
    );
  },
  editComment(projectId: string, taskId: string, commentId: string, body: string): Promise<Comment> {
    return call(
      projects.PATCH("/projects/{project_id}/tasks/{task_id}/comments/{comment_id}", {
        params: { path: { project_id: projectId, task_id: taskId, comment_id: commentId } },
        body: { body },
      }),
    );
  },
  async deleteComment(projectId: string, taskId: string, commentId: string): Promise<void> {
    await call(
      projects.DELETE("/projects/{project_id}/tasks/{task_id}/comments/{comment_id}", {
        params: { path: { project_id: projectId, task_id: taskId, comment_id: commentId } },
      }),
    );
  },
  /** A task's history, newest first. */
  listActivity(projectId: string, taskId: string, cursor: string | null): Promise<ActivityPage> {
    return call(
      projects.GET("/projects/{project_id}/tasks/{task_id}/activity", {
        params: { path: { project_id: projectId, task_id: taskId }, query: { limit: 30, ...(cursor ? { cursor } : {}) } },
      }),
    );
  },

  // --- notifications ----------------------------------------------------------------
  /** The caller's notifications, newest first, with how many are unread in all. */
  listNotifications(cursor: string | null, { unread = false, limit = 20 }: { unread?: boolean; limit?: number } = {}): Promise<NotificationPage> {
    return call(projects.GET("/notifications", { params: { query: { limit, unread, ...(cursor ? { cursor } : {}) } } }));
  },
  async markNotificationRead(notificationId: string): Promise<void> {
    await call(projects.POST("/notifications/{notification_id}/read", { params: { path: { notification_id: notificationId } } }));
  },
  async markAllNotificationsRead(): Promise<void> {
    await call(projects.POST("/notifications/read-all"));
  },
  notificationPreferences(): Promise<NotificationPreferences> {
    return call(projects.GET("/notifications/preferences"));
  },
  /** Saves what `change` names (the rest keeps its setting); answers every setting as saved. */
  updateNotificationPreferences(change: NotificationPreferencesUpdate): Promise<NotificationPreferences> {
    return call(projects.PUT("/notifications/preferences", { body: change }));
  },

  // --- workspaces -------------------------------------------------------------------
  /** The caller's workspaces, personal first; `owned` adds what deleting the account would do. */
  async listWorkspaces(owned = false): Promise<Workspace[]> {
    const page = await call(projects.GET("/workspaces", { params: { query: owned ? { role: "owner" } : {} } }));
    return page.items;
  },
  getWorkspace(workspaceId: string): Promise<Workspace> {
    return call(projects.GET("/workspaces/{workspace_id}", { params: { path: { workspace_id: workspaceId } } }));
  },
  createWorkspace(name: string, signal?: AbortSignal): Promise<Workspace> {
    return call(projects.POST("/workspaces", { body: { name }, signal }));
  },
  renameWorkspace(workspaceId: string, name: string): Promise<Workspace> {
    return call(
      projects.PATCH("/workspaces/{workspace_id}", { params: { path: { workspace_id: workspaceId } }, body: { name } }),
    );
  },
  listTrash(workspaceId: string, cursor: string | null): Promise<TrashPage> {
    return call(
      projects.GET("/workspaces/{workspace_id}/trash", {
        params: { path: { workspace_id: workspaceId }, query: { limit: 50, ...(cursor ? { cursor } : {}) } },
      }),
    );
  },
  async deleteWorkspace(workspaceId: string, signal?: AbortSignal): Promise<void> {
    await call(projects.DELETE("/workspaces/{workspace_id}", { params: { path: { workspace_id: workspaceId } }, signal }));
  },
  async listLabels(workspaceId: string): Promise<Label[]> {
    const list = await call(
      projects.GET("/workspaces/{workspace_id}/labels", { params: { path: { workspace_id: workspaceId } } }),
    );
    return list.items;
  },
  createLabel(workspaceId: string, body: LabelCreate): Promise<Label> {
    return call(
      projects.POST("/workspaces/{workspace_id}/labels", { params: { path: { workspace_id: workspaceId } }, body }),
    );
  },
  listMembers(workspaceId: string, cursor: string | null): Promise<MemberPage> {
    return call(
      projects.GET("/workspaces/{workspace_id}/members", {
        params: { path: { workspace_id: workspaceId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
  },
  changeRole(workspaceId: string, userId: string, role: Role): Promise<Member> {
    return call(
      projects.PATCH("/workspaces/{workspace_id}/members/{user_id}", {
        params: { path: { workspace_id: workspaceId, user_id: userId } },
        body: { role },
      }),
    );
  },
  async removeMember(workspaceId: string, userId: string, signal?: AbortSignal): Promise<void> {
    await call(
      projects.DELETE("/workspaces/{workspace_id}/members/{user_id}", {
        params: { path: { workspace_id: workspaceId, user_id: userId } },
        signal,
      }),
    );
  },
  async leaveWorkspace(workspaceId: string, signal?: AbortSignal): Promise<void> {
    await call(
      projects.POST("/workspaces/{workspace_id}/leave", { params: { path: { workspace_id: workspaceId } }, signal }),
    );
  },
  async transferOwnership(workspaceId: string, userId: string, signal?: AbortSignal): Promise<void> {
    await call(
      projects.POST("/workspaces/{workspace_id}/transfer", {
        params: { path: { workspace_id: workspaceId } },
        body: { user_id: userId },
        signal,
      }),
    );
  },
  listInvitations(workspaceId: string, cursor: string | null): Promise<InvitationPage> {
    return call(
      projects.GET("/workspaces/{workspace_id}/invitations", {
        params: { path: { workspace_id: workspaceId }, query: { limit: 100, ...(cursor ? { cursor } : {}) } },
      }),
    );
  },
  invite(workspaceId: string, body: { email: string; role: Role }, signal?: AbortSignal): Promise<InvitationCreated> {
    return call(
      projects.POST("/workspaces/{workspace_id}/invitations", {
        params: { path: { workspace_id: workspaceId } },
        body,
        signal,
      }),
    );
  },
  async revokeInvitation(workspaceId: string, invitationId: string, signal?: AbortSignal): Promise<void> {
    await call(
      projects.DELETE("/workspaces/{workspace_id}/invitations/{invitation_id}", {
        params: { path: { workspace_id: workspaceId, invitation_id: invitationId } },
        signal,
      }),
    );
  },
  /** What an invitation offers: works without a session. */
  previewInvitation(token: string): Promise<InvitationPreview> {
    return call(publicProjects.GET("/invitations/{token}", { params: { path: { token } } }));
  },
  acceptInvitation(token: string): Promise<Workspace> {
    return call(projects.POST("/invitations/{token}/accept", { params: { path: { token } } }));
  },
};
