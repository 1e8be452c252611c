import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { clearToasts, showToast, Toaster, TOAST_MS } from "./Toast";

const region = () => screen.getByRole("status", { name: "Notifications" });

beforeEach(() => {
  vi.useFakeTimers();
  clearToasts();
});

afterEach(() => {
  vi.useRealTimers();
});

describe("Toaster", () => {
  it("shows a toast in a live region, then takes it away after about 8 seconds", () => {
    render(<Toaster />);
    act(() => void showToast("Task moved to trash", { label: "Undo", run: () => {} }));
    expect(within(region()).getByText("Task moved to trash")).toBeInTheDocument();
    act(() => vi.advanceTimersByTime(TOAST_MS - 100));
    expect(within(region()).getByText("Task moved to trash")).toBeInTheDocument();
    act(() => vi.advanceTimersByTime(200));
    expect(within(region()).queryByText("Task moved to trash")).not.toBeInTheDocument();
  });

  it("does not take focus; Undo is focusable, runs once and closes the toast", () => {
    const run = vi.fn();
    render(
      <>
        <button type="button">Elsewhere</button>
        <Toaster />
      </>,
    );
    screen.getByRole("button", { name: "Elsewhere" }).focus();
    act(() => void showToast("Task moved to trash", { label: "Undo", run }));
    expect(screen.getByRole("button", { name: "Elsewhere" })).toHaveFocus();
    const undo = within(region()).getByRole("button", { name: "Undo" });
    undo.focus();
    expect(undo).toHaveFocus();
    fireEvent.click(undo);
    expect(run).toHaveBeenCalledTimes(1);
    expect(within(region()).queryByText("Task moved to trash")).not.toBeInTheDocument();
  });

  it("stays while focus is on it, and goes after the rest of its time once focus leaves", () => {
    render(<Toaster />);
    act(() => void showToast("Project moved to trash", { label: "Undo", run: () => {} }));
    act(() => vi.advanceTimersByTime(5_000));
    const undo = within(region()).getByRole("button", { name: "Undo" });
    act(() => undo.focus());
    act(() => vi.advanceTimersByTime(TOAST_MS * 2));
    expect(within(region()).getByText("Project moved to trash")).toBeInTheDocument();
    act(() => undo.blur());
    act(() => vi.advanceTimersByTime(TOAST_MS - 5_000 + 100));
    expect(within(region()).queryByText("Project moved to trash")).not.toBeInTheDocument();
  });
});
