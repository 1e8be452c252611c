import { QueryClientProvider, type InfiniteData } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { beforeEach, describe, expect, it } from "vitest";
import { deferred, json, mockApi, problem, project } from "../test/utils";
import type { Project, ProjectPage } from "./client";
import { ApiError, NetworkError } from "./errors";
import { createQueryClient, queryKeys, shouldRetry, useUpdateProject } from "./queries";
import { resetSessionForTests, setAccessToken } from "./session";

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

describe("query defaults", () => {
  it("never retries a 4xx, retries network and server errors twice", () => {
    const notFound = new ApiError(404, { title: "Not Found", status: 404 });
    const limited = new ApiError(429, { title: "Too Many Requests", status: 429 });
    const broken = new ApiError(503, { title: "Service Unavailable", status: 503 });
    expect(shouldRetry(0, notFound)).toBe(false);
    expect(shouldRetry(0, limited)).toBe(false);
    expect(shouldRetry(0, broken)).toBe(true);
    expect(shouldRetry(0, new NetworkError())).toBe(true);
    expect(shouldRetry(2, new NetworkError())).toBe(false);
  });

  it("refetches on window focus", () => {
    const options = createQueryClient().getDefaultOptions().queries;
    expect(options?.refetchOnWindowFocus).toBe(true);
  });
});

describe("useUpdateProject", () => {
  function setup() {
    const queryClient = createQueryClient();
    const original = project({ name: "Garden", description: "Vegetables" }) as Project;
    queryClient.setQueryData(queryKeys.project(original.id), original);
    queryClient.setQueryData<InfiniteData<ProjectPage, string | null>>(queryKeys.projectList(), {
      pages: [{ items: [original], next_cursor: null }],
      pageParams: [null],
    });
    const wrapper = ({ children }: { children: ReactNode }) => (
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    );
    const names = () => ({
      detail: queryClient.getQueryData<Project>(queryKeys.project(original.id))?.name,
      list: queryClient.getQueryData<InfiniteData<ProjectPage>>(queryKeys.projectList())?.pages[0]?.items[0]?.name,
    });
    return { queryClient, original, wrapper, names };
  }

  it("edits the detail and the list at once, and rolls both back on error", async () => {
    const answer = deferred<Response>();
    const { original, wrapper, names } = setup();
    mockApi().on("PATCH", `/projects/${original.id}`, () => answer.promise);
    const { result } = renderHook(() => useUpdateProject(), { wrapper });

    act(() => result.current.mutate({ projectId: original.id, changes: { name: "Allotment" } }));
    await waitFor(() => expect(names()).toEqual({ detail: "Allotment", list: "Allotment" }));

    answer.resolve(problem(422, { errors: [{ field: "name", code: "too_long", message: "Too long" }] }));
    await waitFor(() => expect(result.current.isError).toBe(true));
    expect(names()).toEqual({ detail: "Garden", list: "Garden" });
  });

  it("keeps the edit and invalidates both queries on success", async () => {
    const { queryClient, original, wrapper } = setup();
    mockApi().on("PATCH", `/projects/${original.id}`, () => json({ ...original, name: "Allotment" }));
    const { result } = renderHook(() => useUpdateProject(), { wrapper });
    await act(() => result.current.mutateAsync({ projectId: original.id, changes: { name: "Allotment" } }));
    expect(queryClient.getQueryState(queryKeys.project(original.id))?.isInvalidated).toBe(true);
    expect(queryClient.getQueryState(queryKeys.projectList())?.isInvalidated).toBe(true);
  });
});
