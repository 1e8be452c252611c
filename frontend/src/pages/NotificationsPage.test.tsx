import { screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { deferred, json, mockApi, problem, renderAt } from "../test/utils";
import { NotificationSettings } from "./NotificationsPage";

const ALL_ON = { assigned: true, mentioned: true, commented: true, invited: true, due_soon: true, overdue: true };

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

describe("NotificationSettings", () => {
  it("turns a kind off at once and saves only that kind", async () => {
    let sent: unknown = null;
    mockApi()
      .on("GET", "/notifications/preferences", () => json({ kinds: ALL_ON }))
      .on("PUT", "/notifications/preferences", async (request) => {
        sent = await request.json();
        return json({ kinds: { ...ALL_ON, mentioned: false } });
      });
    renderAt(<NotificationSettings />);
    await userEvent.setup().click(await screen.findByRole("checkbox", { name: /Mentions/ }));
    expect(screen.getByRole("checkbox", { name: /Mentions/ })).not.toBeChecked();
    await waitFor(() => expect(sent).toEqual({ kinds: { mentioned: false } }));
    expect(screen.getByRole("checkbox", { name: /Assigned to you/ })).toBeChecked();
  });

  it("puts the setting back and says so when the save fails", async () => {
    const answer = deferred<Response>();
    mockApi()
      .on("GET", "/notifications/preferences", () => json({ kinds: ALL_ON }))
      .on("PUT", "/notifications/preferences", () => answer.promise);
    renderAt(<NotificationSettings />);
    await userEvent.setup().click(await screen.findByRole("checkbox", { name: /Comments/ }));
    // Optimistic: off while the save is on its way.
    expect(screen.getByRole("checkbox", { name: /Comments/ })).not.toBeChecked();
    answer.resolve(problem(500));
    expect(await screen.findByRole("alert")).toHaveTextContent("not saved");
    expect(screen.getByRole("checkbox", { name: /Comments/ })).toBeChecked();
  });
});
