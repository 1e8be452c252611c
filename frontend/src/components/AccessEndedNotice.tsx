import { useEffect, useRef } from "react";
import { Link } from "react-router";
import { useDocumentTitle } from "../hooks";
import type { AccessEnded } from "../live/access";

/**
 * What a workspace's page (or one of its projects') shows once the person's access to it
 * ended while it was open: said plainly, with the way home, instead of errors.
 */
export function AccessEndedNotice({ ended }: { ended: AccessEnded }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const workspace = ended.name ? `“${ended.name}”` : "this workspace";
  const title = ended.reason === "deleted" ? `${ended.name ? workspace : "This workspace"} was deleted` : `Your access to ${workspace} has ended`;
  useDocumentTitle(ended.reason === "deleted" ? "Workspace deleted" : "Access ended");
  // The page changed under the person: start reading (and tabbing) from here.
  useEffect(() => headingRef.current?.focus(), []);
  return (
    <div className="card empty-state access-ended" role="alert">
      <h1 ref={headingRef} tabIndex={-1}>
        {title}
      </h1>
      <p className="muted">
        {ended.reason === "deleted"
          ? "Its projects and tasks were deleted with it."
          : "You’re no longer a member, so its projects and tasks aren’t available to you. If that’s a mistake, ask one of its admins to invite you again."}
      </p>
      <Link to="/" className="btn btn-primary">
        Go to your projects
      </Link>
    </div>
  );
}
