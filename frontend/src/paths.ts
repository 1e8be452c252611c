// The app's own page paths, built in one place (App.tsx routes them).

/** A project's page; `search` keeps its view and filters (`?view=board&status=todo`). */
export function projectPath(projectId: string, search = ""): string {
  return `/p/${projectId}${search}`;
}

/** A task's panel over its project's page, which `search` keeps as it was. */
export function taskPath(projectId: string, taskId: string, search = ""): string {
  return `/p/${projectId}/t/${taskId}${search}`;
}

/** A workspace's dashboard. */
export function workspacePath(workspaceId: string): string {
  return `/w/${workspaceId}`;
}

/**
 * The notifications page. Not `/notifications`: that path (and all under it) is the
 * API's in every deployment, so a reload there would never reach the app.
 */
export const NOTIFICATIONS_PATH = "/inbox";
