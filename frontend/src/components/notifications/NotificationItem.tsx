import { Link } from "react-router";
import type { Notification } from "../../api/client";
import { notificationLink, notificationText } from "../../api/notificationText";

const when = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

/**
 * One notification, unread ones marked: a link to what it is about, which marks it read
 * when followed (`onOpen`); an invitation's says where its link is.
 */
export function NotificationItem({ notification: n, onOpen }: { notification: Notification; onOpen: (n: Notification) => void }) {
  const text = notificationText(n);
  const to = notificationLink(n);
  const unread = n.read_at === null;
  return (
    <li className={`notification${unread ? " notification-unread" : ""}`}>
      <span className="notification-dot" aria-hidden="true" />
      <div className="notification-body">
        {to ? (
          <Link to={to} className="notification-link" onClick={() => onOpen(n)}>
            {unread ? <span className="visually-hidden">Unread: </span> : null}
            {text}
          </Link>
        ) : (
          <p className="notification-link">
            {unread ? <span className="visually-hidden">Unread: </span> : null}
            {text}
          </p>
        )}
        <p className="muted small">
          {n.kind === "invited" ? "The link to join is in the invitation email · " : null}
          {n.project && n.kind !== "invited" ? `${n.project.name} · ` : `${n.workspace.name} · `}
          <time dateTime={n.created_at}>{when(n.created_at)}</time>
        </p>
      </div>
    </li>
  );
}
