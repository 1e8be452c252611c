import { Link } from "react-router";
import { useDocumentTitle } from "../hooks";

export function NotFoundPage() {
  useDocumentTitle("Page not found");
  return (
    <div className="card empty-state">
      <h1 tabIndex={-1}>Page not found</h1>
      <p className="muted">There is nothing at this address.</p>
      <Link to="/" className="btn btn-primary">
        Go to your projects
      </Link>
    </div>
  );
}
