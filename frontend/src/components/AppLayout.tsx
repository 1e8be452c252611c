import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { api } from "../api/client";
import { useCurrentWorkspaceId } from "../api/currentWorkspace";
import { useMe } from "../api/queries";
import { useLiveUpdates } from "../live/useLiveUpdates";
import { workspacePath } from "../paths";
import { ConnectionBanner } from "./ConnectionBanner";
import { ErrorAlert } from "./feedback";
import { SearchBox } from "./SearchBox";
import { NotificationBell } from "./notifications/NotificationBell";
import { isTyping, ShortcutsDialog } from "./ShortcutsDialog";
import { Toaster } from "./Toast";
import { VerificationBanner } from "./VerificationBanner";
import { WorkspaceSwitcher } from "./WorkspaceSwitcher";

function BrandMark() {
  return (
    <svg className="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" />
      <path d="M9 17.5l4.5 4.5L23 11" />
    </svg>
  );
}

function Brand() {
  return (
    <span className="brand">
      <BrandMark />
      <span>Project Connect</span>
    </span>
  );
}

/**
 * The signed-in frame: header with navigation and the user's name, then the page; and
 * the session's live updates, so what teammates change shows without a reload.
 */
export function AppLayout() {
  useLiveUpdates();
  const me = useMe();
  const logout = useMutation({ mutationFn: api.logout });
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After client-side navigation, move focus to the new page's heading (or main), as a
  // full page load would, so screen-reader and keyboard users start at the top.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const target = mainRef.current?.querySelector<HTMLElement>("h1") ?? mainRef.current;
    target?.focus();
  }, [location.pathname]);

  // `/` focuses the search, `?` lists the shortcuts: not while typing, nor under a dialog.
  const searchRef = useRef<HTMLInputElement>(null);
  const [showShortcuts, setShowShortcuts] = useState(false);
  useEffect(() => {
    function onKeyDown(event: KeyboardEvent) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
      if (isTyping(event.target) || document.getElementById("root")?.hasAttribute("inert")) return;
      if (event.key === "/") {
        event.preventDefault();
        searchRef.current?.focus();
      } else if (event.key === "?") {
        event.preventDefault();
        setShowShortcuts(true);
      }
    }
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, []);

  const name = me.data?.display_name || me.data?.email;
  const workspaceId = useCurrentWorkspaceId();
  // "Projects" is the current workspace's; its pages and project pages count as in it.
  const inProjects = location.pathname === "/" || /^\/(w|p)\//.test(location.pathname);
  const projectsPath = workspaceId ? workspacePath(workspaceId) : "/";

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="app-header">
        <div className="app-header-inner">
          <Link to="/" className="brand-link">
            <Brand />
          </Link>
          <WorkspaceSwitcher />
          <nav aria-label="Main" className="app-nav">
            <Link
              to={projectsPath}
              className={`nav-link${inProjects ? " active" : ""}`}
              aria-current={location.pathname === projectsPath ? "page" : undefined}
            >
              Projects
            </Link>
            <NavLink to="/my-tasks" className="nav-link">
              My tasks
            </NavLink>
            <NavLink to="/account" className="nav-link">
              Account
            </NavLink>
          </nav>
          <SearchBox inputRef={searchRef} />
          <div className="app-user">
            {name ? (
              <span className="app-user-name" title={me.data?.email}>
                {name}
              </span>
            ) : null}
            <NotificationBell />
            <button
              type="button"
              className="btn btn-ghost btn-small shortcuts-button"
              onClick={() => setShowShortcuts(true)}
              aria-label="Keyboard shortcuts"
              title="Keyboard shortcuts (?)"
            >
              ?
            </button>
            <button
              type="button"
              className="btn btn-secondary btn-small"
              onClick={() => logout.mutate()}
              disabled={logout.isPending}
            >
              {logout.isPending ? "Logging out…" : "Log out"}
            </button>
          </div>
        </div>
      </header>
      <ConnectionBanner />
      <VerificationBanner />
      {logout.error ? (
        <div className="container">
          <ErrorAlert error={logout.error} />
        </div>
      ) : null}
      <main id="main" ref={mainRef} tabIndex={-1} className="container main">
        <Outlet />
      </main>
      <Toaster />
      {showShortcuts ? <ShortcutsDialog onClose={() => setShowShortcuts(false)} /> : null}
    </div>
  );
}

/** Login and sign-up: a centred card with the brand. */
export function PublicLayout() {
  return (
    <div className="public">
      <ConnectionBanner />
      <main id="main" className="public-main">
        <div className="public-brand">
          <Brand />
        </div>
        <Outlet />
      </main>
    </div>
  );
}
