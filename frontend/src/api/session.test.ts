import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { json, mockApi, problem, project } from "../test/utils";
import { api } from "./client";
import { act, renderHook } from "@testing-library/react";
import { resetConnectionForTests, useConnection } from "./connection";
import { ApiError, describeError, isAbort, NetworkError, RequestTimeout } from "./errors";
import {
  getAccessToken,
  mayHaveSession,
  onSessionEnd,
  refreshAccessToken,
  resetSessionForTests,
  setAccessToken,
} from "./session";

const bearer = (r: Request) => r.headers.get("Authorization");

beforeEach(() => resetSessionForTests());
afterEach(() => resetSessionForTests());

describe("the API client's session handling", () => {
  it("sends the access token it holds in memory", async () => {
    const server = mockApi().on("GET", "/projects", () => json({ items: [], next_cursor: null }));
    setAccessToken("token-1");
    await api.listProjects(null);
    expect(bearer(server.calls[0]!)).toBe("Bearer token-1");
  });

  it("shares one refresh between concurrent 401s, then retries each request once", async () => {
    let releaseRefresh!: () => void;
    const refreshGate = new Promise<void>((r) => (releaseRefresh = r));
    const server = mockApi()
      .on("GET", /^\/projects/, (r) =>
        bearer(r) === "Bearer fresh"
          ? json(r.url.includes("/projects/") ? project() : { items: [project()], next_cursor: null })
          : problem(401),
      )
      .on("POST", "/auth/refresh", async () => {
        await refreshGate;
        return json({ access_token: "fresh", refresh_token: "r2", token_type: "bearer", expires_in: 600 });
      });
    setAccessToken("stale");

    const pending = Promise.all([
      api.listProjects(null),
      api.getProject(project().id),
      api.getProject(project().id),
    ]);
    // Let all three fail with 401 before the refresh answers.
    await vi.waitFor(() => expect(server.count("GET", /^\/projects/)).toBe(3));
    releaseRefresh();
    const [list, one, two] = await pending;

    expect(server.count("POST", "/auth/refresh")).toBe(1);
    expect(list.items).toHaveLength(1);
    expect(one.name).toBe("Garden");
    expect(two.name).toBe("Garden");
    const retries = server.calls.filter((r) => r.method === "GET").slice(3);
    expect(retries.map(bearer)).toEqual(["Bearer fresh", "Bearer fresh", "Bearer fresh"]);
    expect(getAccessToken()).toBe("fresh");
  });

  it("a 401 that arrives after another request already refreshed reuses the new token", async () => {
    let releaseSlow!: () => void;
    const slowGate = new Promise<void>((r) => (releaseSlow = r));
    const server = mockApi()
      .on("GET", "/projects", (r) =>
        bearer(r) === "Bearer fresh" ? json({ items: [], next_cursor: null }) : problem(401),
      )
      .on("GET", /^\/projects\/.+/, async (r) => {
        if (bearer(r) === "Bearer fresh") return json(project());
        await slowGate; // answers 401 only after the other request has refreshed
        return problem(401);
      })
      .on("POST", "/auth/refresh", () =>
        json({ access_token: "fresh", refresh_token: "r2", token_type: "bearer", expires_in: 600 }),
      );
    setAccessToken("stale");
    const slow = api.getProject(project().id);
    await api.listProjects(null); // 401, refresh, retry
    releaseSlow();
    await expect(slow).resolves.toMatchObject({ name: "Garden" });
    expect(server.count("POST", "/auth/refresh")).toBe(1);
  });

  it("ends the session once when the refresh is refused, and the requests fail with 401", async () => {
    const server = mockApi()
      .on("GET", /^\/projects/, () => problem(401))
      .on("POST", "/auth/refresh", () => problem(401));
    const ended = vi.fn();
    onSessionEnd(ended);
    setAccessToken("revoked");

    const results = await Promise.allSettled([api.listProjects(null), api.getProject(project().id)]);

    expect(server.count("POST", "/auth/refresh")).toBe(1);
    for (const r of results) {
      expect(r.status).toBe("rejected");
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(ApiError);
      expect(((r as PromiseRejectedResult).reason as ApiError).status).toBe(401);
    }
    expect(ended).toHaveBeenCalledTimes(1);
    expect(ended).toHaveBeenCalledWith("expired");
    expect(getAccessToken()).toBeNull();
    expect(mayHaveSession()).toBe(false);
  });

  it("goes back to login when the retried request is refused again", async () => {
    mockApi()
      .on("GET", "/auth/me", () => problem(401))
      .on("POST", "/auth/refresh", () =>
        json({ access_token: "fresh", refresh_token: "r2", token_type: "bearer", expires_in: 600 }),
      );
    const ended = vi.fn();
    onSessionEnd(ended);
    setAccessToken("stale");
    await expect(api.me()).rejects.toMatchObject({ status: 401 });
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("does not refresh for a failed login", async () => {
    const server = mockApi().on("POST", "/auth/login", () =>
      problem(401, { detail: "The email or password is incorrect." }),
    );
    await expect(api.login({ email: "a@example.com", password: "nope nope" })).rejects.toMatchObject({ status: 401 });
    expect(server.count("POST", "/auth/refresh")).toBe(0);
  });

  it("keeps the tokens out of web storage", async () => {
    mockApi().on("POST", "/auth/login", () =>
      json({ access_token: "secret-access", refresh_token: "secret-refresh", token_type: "bearer", expires_in: 600 }),
    );
    await api.login({ email: "a@example.com", password: "violet kettle orbit" });
    expect(getAccessToken()).toBe("secret-access");
    const stored = JSON.stringify({ ...window.localStorage }) + JSON.stringify({ ...window.sessionStorage });
    expect(stored).not.toContain("secret");
  });

  it("refreshAccessToken is single-flight", async () => {
    const server = mockApi().on("POST", "/auth/refresh", () =>
      json({ access_token: "t", refresh_token: "r", token_type: "bearer", expires_in: 600 }),
    );
    const [a, b] = await Promise.all([refreshAccessToken(), refreshAccessToken()]);
    expect(a).toBe("t");
    expect(b).toBe("t");
    expect(server.count("POST", "/auth/refresh")).toBe(1);
  });

  it("reports network failures and 429s plainly", async () => {
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));
    setAccessToken("t");
    const offline = await api.listProjects(null).catch((e: unknown) => e);
    expect(offline).toBeInstanceOf(NetworkError);
    expect(describeError(offline)).toMatch(/can’t reach/i);

    mockApi().on("POST", "/auth/login", () => problem(429, { detail: "Too many attempts." }, { "Retry-After": "42" }));
    const limited = await api.login({ email: "a@example.com", password: "x" }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ApiError);
    expect((limited as ApiError).retryAfter).toBe(42);
    expect(describeError(limited)).toBe("Too many requests. Please wait 42 seconds and try again.");
  });

  it("gives up on a request that gets no answer within the timeout", async () => {
    vi.useFakeTimers();
    try {
      window.localStorage.setItem("projectconnect.request-timeout-ms", "2000");
      vi.stubGlobal("fetch", () => new Promise<Response>(() => {}));
      setAccessToken("t");
      const pending = api.createTask("p1", "Hanging").catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(1999);
      let settled = false;
      void pending.then(() => (settled = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      const error = await pending;
      expect(error).toBeInstanceOf(RequestTimeout);
      expect(describeError(error)).toMatch(/didn’t answer in time/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("defaults to a 15 s timeout on calls made without a session too", async () => {
    vi.useFakeTimers();
    try {
      vi.stubGlobal("fetch", () => new Promise<Response>(() => {}));
      const pending = api.login({ email: "a@example.com", password: "x" }).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(15_000);
      expect(await pending).toBeInstanceOf(RequestTimeout);
    } finally {
      vi.useRealTimers();
    }
  });

  it("stops waiting when the caller aborts, without calling it a network failure", async () => {
    vi.stubGlobal("fetch", () => new Promise<Response>(() => {}));
    setAccessToken("t");
    const controller = new AbortController();
    const pending = api.deleteProject("p1", controller.signal).catch((e: unknown) => e);
    controller.abort();
    const error = await pending;
    expect(isAbort(error)).toBe(true);
    expect(error).not.toBeInstanceOf(NetworkError);
  });

  it("tells the connection store which API gets no answer, and when it answers again", async () => {
    resetConnectionForTests();
    const { result } = renderHook(() => useConnection());
    expect(result.current).toBe("online");
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));
    setAccessToken("t");
    await act(() => api.listProjects(null).catch(() => undefined));
    expect(result.current).toBe("unreachable");
    // The auth service answering says nothing about the projects service.
    mockApi()
      .on("GET", "/auth/me", () => json({ id: "u1", email: "a@example.com", display_name: null, created_at: "2026-01-01T00:00:00Z" }))
      .on("GET", "/projects", () => json({ items: [], next_cursor: null }));
    await act(() => api.me());
    expect(result.current).toBe("unreachable");
    await act(() => api.listProjects(null));
    expect(result.current).toBe("online");
  });

  it("counts /workspaces and /invitations as the projects service", async () => {
    resetConnectionForTests();
    const { result } = renderHook(() => useConnection());
    vi.stubGlobal("fetch", () => Promise.reject(new TypeError("Failed to fetch")));
    setAccessToken("t");
    await act(() => api.createProject("w1", { name: "On the train" }).catch(() => undefined));
    expect(result.current).toBe("unreachable");
    // Its project list answering again means the service is back: no banner left behind.
    mockApi().on("GET", "/projects", () => json({ items: [], next_cursor: null }));
    await act(() => api.listProjects(null));
    expect(result.current).toBe("online");
  });

});
