import { useEffect, useId, useRef, useState } from "react";
import { Link } from "react-router";
import type { Notification } from "../../api/client";
import { useLatestNotifications, useMarkAllNotificationsRead, useMarkNotificationRead } from "../../api/queries";
import { NOTIFICATIONS_PATH } from "../../paths";
import { ErrorAlert, firstLoad } from "../feedback";
import { NotificationItem } from "./NotificationItem";

function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false" className="bell-icon">
      <path d="M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15L6 16z" />
      <path d="M10 20.5a2 2 0 0 0 4 0" />
    </svg>
  );
}

/** The bell's accessible name: how many are unread, when any are. */
export function bellLabel(unread: number): string {
  return unread > 0 ? `Notifications, ${unread} unread` : "Notifications";
}

/**
 * The header's bell: the unread count, and a panel of the latest notifications (a sheet
 * across the screen on a phone) that leads to each and to the notifications page.
 */
export function NotificationBell() {
  const latest = useLatestNotifications();
  const markRead = useMarkNotificationRead();
  const markAll = useMarkAllNotificationsRead();
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const unread = latest.data?.unread_count ?? 0;
  const items = latest.data?.items ?? [];

  // Escape or a click elsewhere closes it (Escape gives the focus back to the bell).
  useEffect(() => {
    if (!open) return;
    function onKeyDown(event: KeyboardEvent) {
      if (event.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    }
    function onPointerDown(event: PointerEvent) {
      if (!root.current?.contains(event.target as Node)) setOpen(false);
    }
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("pointerdown", onPointerDown);
    return () => {
      document.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("pointerdown", onPointerDown);
    };
  }, [open]);

  function opened(n: Notification) {
    if (n.read_at === null) markRead.mutate(n.id);
    setOpen(false);
  }

  return (
    <div className="bell" ref={root}>
      <button
        ref={button}
        type="button"
        className="btn btn-ghost btn-small bell-button"
        aria-label={bellLabel(unread)}
        aria-expanded={open}
        aria-controls={panelId}
        title="Notifications"
        onClick={() => setOpen((o) => !o)}
      >
        <BellIcon />
        {unread > 0 ? (
          <span className="bell-badge" aria-hidden="true">
            {unread > 99 ? "99+" : unread}
          </span>
        ) : null}
      </button>
      {open ? (
        <section id={panelId} className="bell-panel" aria-labelledby={`${panelId}-title`}>
          <div className="bell-panel-header">
            <h2 id={`${panelId}-title`}>Notifications</h2>
            <button
              type="button"
              className="btn btn-ghost btn-small"
              onClick={() => markAll.mutate()}
              disabled={unread === 0 || markAll.isPending}
            >
              Mark all read
            </button>
          </div>
          {markRead.error || markAll.error ? <ErrorAlert error={markRead.error ?? markAll.error} /> : null}
          {firstLoad(latest, "Loading notifications…") ??
            (items.length === 0 ? (
              <p className="muted bell-empty">Nothing yet. When someone assigns you a task or mentions you, it shows here.</p>
            ) : (
              <ul className="notification-list" aria-label="Latest notifications">
                {items.map((n) => (
                  <NotificationItem key={n.id} notification={n} onOpen={opened} />
                ))}
              </ul>
            ))}
          <div className="bell-panel-footer">
            <Link to={NOTIFICATIONS_PATH} onClick={() => setOpen(false)}>
              All notifications and settings
            </Link>
          </div>
        </section>
      ) : null}
    </div>
  );
}
