import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { vi } from "vitest";
import { createQueryClient } from "../api/queries";

type Handler = (request: Request) => Response | Promise<Response>;

export interface MockApi {
  /** Every request the app made, in order. */
  calls: Request[];
  on(method: string, path: string | RegExp, handler: Handler): MockApi;
  count(method: string, path: string | RegExp): number;
}

function matches(path: string | RegExp, pathname: string) {
  return typeof path === "string" ? path === pathname : path.test(pathname);
}

/** Replaces fetch with a tiny router; unmatched requests fail the test loudly. */
export function mockApi(): MockApi {
  const routes: { method: string; path: string | RegExp; handler: Handler }[] = [];
  const api: MockApi = {
    calls: [],
    on(method, path, handler) {
      routes.unshift({ method, path, handler });
      return api;
    },
    count(method, path) {
      return api.calls.filter((r) => r.method === method && matches(path, new URL(r.url).pathname)).length;
    },
  };
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    api.calls.push(request.clone());
    const { pathname } = new URL(request.url);
    const route = routes.find((r) => r.method === request.method && matches(r.path, pathname));
    if (!route) throw new Error(`unexpected request ${request.method} ${pathname}`);
    return route.handler(request);
  });
  return api;
}

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": status >= 400 ? "application/problem+json" : "application/json", ...headers },
  });
}

export function problem(status: number, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return json({ type: "about:blank", title: `HTTP ${status}`, status, ...extra }, status, headers);
}

/** A promise with its resolve function, to hold a response until the test says so. */
export function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

export function renderAt(
  element: ReactElement,
  { path = "/", route = "/", queryClient = createQueryClient() }: { path?: string; route?: string; queryClient?: QueryClient } = {},
) {
  const result = render(
    <QueryClientProvider client={queryClient}>
      <MemoryRouter initialEntries={[route]}>
        <Routes>
          <Route path={path} element={element} />
          <Route path="*" element={<p>elsewhere</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { ...result, queryClient };
}

export const WORKSPACE_ID = "33333333-3333-4333-8333-333333333333";
export const ME = "44444444-4444-4444-8444-444444444444";

export const workspace = (overrides: Record<string, unknown> = {}) => ({
  id: WORKSPACE_ID,
  name: "Garden club",
  created_at: "2026-01-01T00:00:00Z",
  created_by: ME,
  personal: false,
  my_role: "owner",
  member_count: 2,
  inherited_from: null,
  deleted_with_account: null,
  successor: null,
  ...overrides,
});

export const member = (overrides: Record<string, unknown> = {}) => ({
  user_id: ME,
  display_name: "Ann",
  email: "ann@example.com",
  role: "owner",
  joined_at: "2026-01-01T00:00:00Z",
  ...overrides,
});

export const project = (overrides: Record<string, unknown> = {}) => ({
  id: "11111111-1111-4111-8111-111111111111",
  workspace_id: WORKSPACE_ID,
  created_by: ME,
  my_role: "owner",
  name: "Garden",
  description: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  task_count: 2,
  done_count: 1,
  progress: 50,
  archived_at: null,
  ...overrides,
});

export const task = (overrides: Record<string, unknown> = {}) => ({
  id: "22222222-2222-4222-8222-222222222222",
  project_id: "11111111-1111-4111-8111-111111111111",
  created_by: ME,
  title: "Dig",
  done: false,
  status: overrides.done ? "done" : "todo",
  priority: "none",
  description: null,
  due_date: null,
  completed_at: null,
  assignees: [],
  labels: [],
  position: "a0",
  version: 1,
  comment_count: 0,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
  ...overrides,
});
