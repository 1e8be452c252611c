import { useState } from "react";
import type { NotificationKind } from "../api/client";
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

/** The notifications page: every notification, page by page, and which kinds show. */
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

/** In-app on/off per kind: saved at once, put back as it was when the save fails. */
export function NotificationSettings() {
  const preferences = useNotificationPreferences();
  const update = useUpdateNotificationPreferences();
  const kinds = preferences.data;

  function toggle(kind: NotificationKind, on: boolean) {
    update.mutate({ [kind]: on });
  }

  return (
    <section className="card notifications-settings" aria-labelledby="notifications-settings-title">
      <h2 id="notifications-settings-title">Show in the app</h2>
      <p className="muted small">A kind turned off is no longer sent to you; what you have stays.</p>
      {update.error ? <ErrorAlert error={update.error}>
          <p>Your change was not saved: the setting is as it was.</p>
        </ErrorAlert> : null}
      {firstLoad(preferences, "Loading settings…") ??
        (kinds ? (
          <ul className="preference-list">
            {NOTIFICATION_KINDS.map(({ kind, label, description }) => (
              <li key={kind}>
                <label className="preference">
                  <input type="checkbox" checked={kinds[kind]} onChange={(e) => toggle(kind, e.target.checked)} />
                  <span>
                    <span className="preference-label">{label}</span>
                    <span className="muted small preference-description">{description}</span>
                  </span>
                </label>
              </li>
            ))}
          </ul>
        ) : null)}
    </section>
  );
}
