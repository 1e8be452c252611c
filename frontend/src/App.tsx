import { lazy, Suspense } from "react";
import { Route, Routes } from "react-router";
import { RedirectIfSignedIn, RequireAuth } from "./auth/RequireAuth";
import { AppLayout, PublicLayout } from "./components/AppLayout";
import { AccountPage } from "./pages/AccountPage";
import { DashboardPage } from "./pages/DashboardPage";
import { FindPage } from "./pages/FindPage";
import { ForgotPasswordPage } from "./pages/ForgotPasswordPage";
import { HomePage } from "./pages/HomePage";
import { InvitationPage } from "./pages/InvitationPage";
import { LoginPage } from "./pages/LoginPage";
import { MembersPage } from "./pages/MembersPage";
import { MyTasksPage } from "./pages/MyTasksPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { NotificationsPage } from "./pages/NotificationsPage";
import { NOTIFICATIONS_PATH } from "./paths";
import { ProjectPage } from "./pages/ProjectPage";
import { ResetPasswordPage } from "./pages/ResetPasswordPage";
import { SignupPage } from "./pages/SignupPage";
import { TrashPage } from "./pages/TrashPage";
import { VerifyEmailPage } from "./pages/VerifyEmailPage";

// The panel (and its Markdown renderer) loads when a task is first opened.
const TaskPanel = lazy(() => import("./components/tasks/TaskPanel").then((m) => ({ default: m.TaskPanel })));

/**
 * The app's own paths never are, or start with, /auth, /projects, /workspaces,
 * /invitations, /events, /notifications, /search or /me followed by a slash: in every deployment those belong to
 * the APIs (/my-tasks or /me-anything would be the app's). An invitation link is
 * /invite/<token> (the projects service builds it so).
 */
export function AppRoutes() {
  return (
    <Routes>
      <Route element={<RedirectIfSignedIn />}>
        <Route element={<PublicLayout />}>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/signup" element={<SignupPage />} />
          <Route path="/forgot-password" element={<ForgotPasswordPage />} />
        </Route>
      </Route>
      {/* Logged in or not: it offers sign-up and login, then accepting. */}
      <Route element={<PublicLayout />}>
        <Route path="/invite/:token" element={<InvitationPage />} />
        {/* Links mailed by the auth service (its mails.py names these paths). */}
        <Route path="/reset-password" element={<ResetPasswordPage />} />
        <Route path="/verify-email" element={<VerifyEmailPage />} />
      </Route>
      <Route element={<RequireAuth />}>
        <Route element={<AppLayout />}>
          <Route index element={<HomePage />} />
          <Route path="/w/:workspaceId" element={<DashboardPage />} />
          <Route path="/w/:workspaceId/members" element={<MembersPage />} />
          <Route path="/w/:workspaceId/trash" element={<TrashPage />} />
          <Route path="/my-tasks" element={<MyTasksPage />} />
          <Route path="/find" element={<FindPage />} />
          <Route path={NOTIFICATIONS_PATH} element={<NotificationsPage />} />
          <Route path="/p/:projectId" element={<ProjectPage />}>
            <Route
              path="t/:taskId"
              element={
                <Suspense fallback={null}>
                  <TaskPanel />
                </Suspense>
              }
            />
          </Route>
          <Route path="/account" element={<AccountPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}
