import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { firstLoad } from "./feedback";

const query = (state: Partial<Parameters<typeof firstLoad>[0]>) => ({
  isPending: false,
  isLoadingError: false,
  fetchStatus: "idle" as const,
  error: null,
  refetch: vi.fn(() => Promise.resolve()),
  ...state,
});

describe("firstLoad", () => {
  it("shows the page's words while the first load runs, and says so when it waits for the connection", () => {
    const { unmount } = render(<>{firstLoad(query({ isPending: true, fetchStatus: "fetching" }), "Loading the trash…")}</>);
    expect(screen.getByRole("status")).toHaveTextContent("Loading the trash…");
    unmount();
    render(<>{firstLoad(query({ isPending: true, fetchStatus: "paused" }), "Loading the trash…")}</>);
    expect(screen.getByRole("status")).toHaveTextContent("Waiting for your connection…");
  });

  it("shows a failed first load's error, and Try again asks again", () => {
    const failed = query({ isLoadingError: true, error: new TypeError("Failed to fetch") });
    render(<>{firstLoad(failed, "Loading…")}</>);
    expect(screen.getByRole("alert")).toBeInTheDocument();
    fireEvent.click(screen.getByRole("button", { name: "Try again" }));
    expect(failed.refetch).toHaveBeenCalledOnce();
  });

  it("is nothing once there is data, so the page shows its content", () => {
    expect(firstLoad(query({}), "Loading…")).toBeNull();
  });
});
