import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import type { NotificationPreferences } from "../api/client";
import { createQueryClient } from "../api/queries";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { deferred, json, mockApi, problem, renderAt } from "../test/utils";
import { NotificationSettings } from "./NotificationsPage";

const ALL_ON: NotificationPreferences = {
  kinds: { assigned: true, mentioned: true, commented: true, invited: true, due_soon: true, overdue: true },
  mail: { assigned: true, mentioned: true, commented: true, due_soon: true, overdue: true },
  mail_frequency: "instant",
};

const kind = (name: string) => screen.getByRole("group", { name });
const inApp = (name: string) => within(kind(name)).getByRole("checkbox", { name: "In the app" });
const byMail = (name: string) => within(kind(name)).getByRole("checkbox", { name: "By mail" });
const mailChoice = (name: string) => within(screen.getByRole("group", { name: "Mail" })).getByRole("radio", { name });

/** The settings, shown as `saved`; each PUT's body is kept in `sent` and answered by `answer`. */
async function renderSettings(saved: NotificationPreferences, answer: (change: Partial<NotificationPreferences>) => Promise<Response> | Response) {
  const sent: unknown[] = [];
  mockApi()
    .on("GET", "/notifications/preferences", () => json(saved))
    .on("PUT", "/notifications/preferences", async (request) => {
      const change = (await request.json()) as Partial<NotificationPreferences>;
      sent.push(change);
      return answer(change);
    });
  const queryClient = createQueryClient();
  renderAt(<NotificationSettings />, { queryClient });
  await screen.findByRole("group", { name: "Mentions" });
  return { sent, queryClient };
}

beforeEach(() => {
  resetSessionForTests();
  setAccessToken("token");
});

describe("NotificationSettings", () => {
  it("turns a kind off in the app at once and saves only that kind", async () => {
    const { sent } = await renderSettings(ALL_ON, () => json({ ...ALL_ON, kinds: { ...ALL_ON.kinds, mentioned: false } }));
    await userEvent.setup().click(inApp("Mentions"));
    expect(inApp("Mentions")).not.toBeChecked();
    await waitFor(() => expect(sent).toEqual([{ kinds: { mentioned: false } }]));
    expect(inApp("Assigned to you")).toBeChecked();
    // Nothing of the kind is made, so none is mailed: its mail switch cannot be used.
    expect(byMail("Mentions")).toBeChecked();
    expect(byMail("Mentions")).toBeDisabled();
    expect(byMail("Assigned to you")).toBeEnabled();
  });

  it("stops mailing a kind at once and saves only that kind's mail", async () => {
    const { sent } = await renderSettings(ALL_ON, () => json({ ...ALL_ON, mail: { ...ALL_ON.mail, overdue: false } }));
    await userEvent.setup().click(byMail("Overdue"));
    expect(byMail("Overdue")).not.toBeChecked();
    await waitFor(() => expect(sent).toEqual([{ mail: { overdue: false } }]));
    expect(inApp("Overdue")).toBeChecked();
    expect(byMail("Due tomorrow")).toBeChecked();
  });

  it("has no mail switch for invitations: they are always mailed", async () => {
    await renderSettings(ALL_ON, () => json(ALL_ON));
    expect(inApp("Invitations")).toBeChecked();
    expect(within(kind("Invitations")).queryByRole("checkbox", { name: "By mail" })).not.toBeInTheDocument();
    expect(kind("Invitations")).toHaveTextContent("Always mailed.");
  });

  it("saves how mail comes; with none, the kinds' mail switches cannot be used", async () => {
    const { sent } = await renderSettings(ALL_ON, (change) => json({ ...ALL_ON, ...change }));
    expect(mailChoice("As it happens")).toBeChecked();
    const user = userEvent.setup();
    await user.click(mailChoice("Daily summary"));
    expect(mailChoice("Daily summary")).toBeChecked();
    await waitFor(() => expect(sent).toEqual([{ mail_frequency: "daily" }]));
    expect(byMail("Mentions")).toBeEnabled();

    await user.click(mailChoice("Never"));
    await waitFor(() => expect(sent).toEqual([{ mail_frequency: "daily" }, { mail_frequency: "off" }]));
    expect(byMail("Mentions")).toBeDisabled();
    expect(byMail("Mentions")).toBeChecked();
    expect(inApp("Mentions")).toBeEnabled();
  });

  it("puts an in-app setting back and says so when the save fails", async () => {
    const answer = deferred<Response>();
    await renderSettings(ALL_ON, () => answer.promise);
    await userEvent.setup().click(inApp("Comments"));
    // Optimistic: off while the save is on its way.
    expect(inApp("Comments")).not.toBeChecked();
    answer.resolve(problem(500));
    expect(await screen.findByRole("alert")).toHaveTextContent("not saved");
    expect(inApp("Comments")).toBeChecked();
  });

  it("puts the mail settings back and says so when the save fails", async () => {
    const answer = deferred<Response>();
    await renderSettings(ALL_ON, () => answer.promise);
    const user = userEvent.setup();
    await user.click(mailChoice("Never"));
    expect(mailChoice("Never")).toBeChecked();
    expect(byMail("Comments")).toBeDisabled();
    answer.resolve(problem(500));
    expect(await screen.findByRole("alert")).toHaveTextContent("not saved");
    expect(mailChoice("As it happens")).toBeChecked();
    expect(byMail("Comments")).toBeEnabled();
  });
});

describe("NotificationSettings, changes in quick succession", () => {
  it("keeps a change shown while an earlier one's answer arrives", async () => {
    const answers = [deferred<Response>(), deferred<Response>()];
    const { sent, queryClient } = await renderSettings(ALL_ON, () => answers[sent.length - 1]!.promise);
    const user = userEvent.setup();
    await user.click(inApp("Mentions"));
    await user.click(byMail("Overdue"));
    await waitFor(() => expect(sent).toHaveLength(2));
    // The first answer knows nothing of the second change.
    answers[0]!.resolve(json({ ...ALL_ON, kinds: { ...ALL_ON.kinds, mentioned: false } }));
    await waitFor(() => expect(queryClient.isMutating()).toBe(1));
    expect(byMail("Overdue")).not.toBeChecked();
    answers[1]!.resolve(json({ kinds: { ...ALL_ON.kinds, mentioned: false }, mail: { ...ALL_ON.mail, overdue: false }, mail_frequency: "instant" }));
    await waitFor(() => expect(inApp("Mentions")).not.toBeChecked());
    expect(byMail("Overdue")).not.toBeChecked();
  });
});
