import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { createQueryClient } from "../api/queries";
import { resetSessionForTests } from "../api/session";
import { AuthProvider } from "../auth/AuthProvider";
import { json, mockApi, problem } from "../test/utils";
import { InvitationPage } from "./InvitationPage";

function Where() {
  const location = useLocation();
  return <p>{`at ${location.pathname} from ${(location.state as { from?: string } | null)?.from ?? "-"}`}</p>;
}

function renderPage(token = "tok") {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <MemoryRouter initialEntries={[`/invite/${token}`]}>
        <AuthProvider>
          <Routes>
            <Route path="/invite/:token" element={<InvitationPage />} />
            <Route path="*" element={<Where />} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => {
  resetSessionForTests();
  window.localStorage.clear();
});

describe("InvitationPage", () => {
  it("shows a logged-out visitor what the invitation offers, without a session", async () => {
    const api = mockApi().on("GET", "/invitations/tok", () =>
      json({ workspace_name: "Garden club", inviter_name: "Ann", role: "admin" }),
    );
    renderPage();
    expect(await screen.findByRole("heading", { name: "Join Garden club" })).toBeInTheDocument();
    expect(screen.getByText(/invited you to join/)).toHaveTextContent(
      "Ann invited you to join Garden club on Project Connect as an admin.",
    );
    expect(screen.getByRole("link", { name: "Create an account" })).toHaveAttribute("href", "/signup");
    expect(screen.getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login");
    expect(screen.queryByRole("button", { name: "Accept and join" })).not.toBeInTheDocument();
    // Nothing but the preview: no refresh attempt, no token.
    expect(api.calls.map((r) => new URL(r.url).pathname)).toEqual(["/invitations/tok"]);
    expect(api.calls[0]!.headers.get("Authorization")).toBeNull();
  });

  it("says plainly when a link was never valid or can no longer be used", async () => {
    mockApi()
      .on("GET", "/invitations/gone", () => problem(410, { detail: "This invitation has expired or was withdrawn." }))
      .on("GET", "/invitations/bogus", () => problem(404));
    const { unmount } = renderPage("gone");
    expect(await screen.findByRole("heading", { name: "This invitation can’t be used any more" })).toBeInTheDocument();
    unmount();
    renderPage("bogus");
    expect(await screen.findByRole("heading", { name: "This invitation link isn’t valid" })).toBeInTheDocument();
  });
});
