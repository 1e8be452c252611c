import { useId, useState } from "react";
import type { MailFrequency, NotificationKind, NotificationPreferences } from "../api/client";
import { NOTIFICATION_KINDS } from "../api/notificationText";
import {
  useMarkAllNotificationsRead,
  useMarkNotificationRead,
  useNotificationPreferences,
  useNotifications,
  useUpdateNotificationPreferences,
} from "../api/queries";
import { ErrorAlert, firstLoad, LoadMore } from "../components/feedback";
import { NotificationItem } from "../components/notifications/NotificationItem";
import { useDocumentTitle } from "../hooks";

/** The notifications page: every notification, page by page, and which kinds show or are mailed. */
export function NotificationsPage() {
  useDocumentTitle("Notifications");
  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Notifications</h1>
          <p className="muted">What others did that concerns you, and reminders of your due dates.</p>
        </div>
      </div>
      <div className="notifications-page">
        <NotificationHistory />
        <NotificationSettings />
      </div>
    </>
  );
}

function NotificationHistory() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const list = useNotifications(unreadOnly);
  const markRead = useMarkNotificationRead();
  const markAll = useMarkAllNotificationsRead();
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  const unread = list.data?.pages[0]?.unread_count ?? 0;

  return (
    <section className="card notifications-history" aria-labelledby="notifications-history-title">
      <div className="notifications-toolbar">
        <h2 id="notifications-history-title">{unread > 0 ? `All notifications (${unread} unread)` : "All notifications"}</h2>
        <label className="checkbox-label">
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
        </label>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => markAll.mutate()} disabled={unread === 0 || markAll.isPending}>
          Mark all read
        </button>
      </div>
      {markRead.error || markAll.error ? <ErrorAlert error={markRead.error ?? markAll.error} /> : null}
      {firstLoad(list, "Loading notifications…") ??
        (items.length === 0 ? (
          <p className="muted">{unreadOnly ? "Nothing unread." : "No notifications yet."}</p>
        ) : (
          <>
            <ul className="notification-list" aria-label="Notifications">
              {items.map((n) => (
                <NotificationItem key={n.id} notification={n} onOpen={(n) => n.read_at === null && markRead.mutate(n.id)} />
              ))}
            </ul>
            {list.isFetchNextPageError || list.isRefetchError ? <ErrorAlert error={list.error} /> : null}
            <LoadMore query={list} what="notifications" />
          </>
        ))}
    </section>
  );
}

const MAIL_FREQUENCIES: readonly { value: MailFrequency; label: string }[] = [
  { value: "instant", label: "As it happens" },
  { value: "daily", label: "Daily summary" },
  { value: "off", label: "Never" },
];

/** Whether `kind` is mailed; undefined for a kind that has no choice (an invitation is always mailed). */
function mailed(mail: NotificationPreferences["mail"], kind: NotificationKind): boolean | undefined {
  return (mail as Partial<Record<NotificationKind, boolean>>)[kind];
}

/**
 * Per kind, whether it shows in the app and whether it is mailed, and how mail comes: each
 * change saved at once, put back as it was when the save fails.
 */
export function NotificationSettings() {
  const preferences = useNotificationPreferences();
  const update = useUpdateNotificationPreferences();
  const saved = preferences.data;
  const id = useId();

  return (
    <section className="card notifications-settings" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Settings</h2>
      <p className="muted small">A kind turned off in the app is no longer sent to you, there or by mail; what you have stays.</p>
      {update.error ? <ErrorAlert error={update.error}>
          <p>Your change was not saved: the setting is as it was.</p>
        </ErrorAlert> : null}
      {firstLoad(preferences, "Loading settings…") ??
        (saved ? (
          <>
            <fieldset className="mail-frequency">
              <legend className="preference-label">Mail</legend>
              {MAIL_FREQUENCIES.map(({ value, label }) => (
                <label key={value} className="checkbox-label">
                  <input
                    type="radio"
                    name={`${id}-mail-frequency`}
                    value={value}
                    checked={saved.mail_frequency === value}
                    onChange={() => update.mutate({ mail_frequency: value })}
                  />{" "}
                  {label}
                </label>
              ))}
            </fieldset>
            <ul className="preference-list">
              {NOTIFICATION_KINDS.map(({ kind, label, description }) => {
                const mail = mailed(saved.mail, kind);
                return (
                  <li key={kind}>
                    <div role="group" className="preference" aria-labelledby={`${id}-${kind}`} aria-describedby={`${id}-${kind}-about`}>
                      <span id={`${id}-${kind}`} className="preference-label">
                        {label}
                      </span>
                      <span id={`${id}-${kind}-about`} className="muted small preference-description">
                        {description}
                      </span>
                      <span className="preference-channels">
                        <label className="checkbox-label">
                          <input
                            type="checkbox"
                            checked={saved.kinds[kind]}
                            onChange={(e) => update.mutate({ kinds: { [kind]: e.target.checked } })}
                          />{" "}
                          In the app
                        </label>
                        {mail === undefined ? (
                          <span className="muted small">Always mailed.</span>
                        ) : (
                          <label className="checkbox-label">
                            <input
                              type="checkbox"
                              checked={mail}
                              // Mail tells of what the app holds: nothing when the kind is off there.
                              disabled={saved.mail_frequency === "off" || !saved.kinds[kind]}
                              onChange={(e) => update.mutate({ mail: { [kind]: e.target.checked } })}
                            />{" "}
                            By mail
                          </label>
                        )}
                      </span>
                    </div>
                  </li>
                );
              })}
            </ul>
          </>
        ) : null)}
    </section>
  );
}
