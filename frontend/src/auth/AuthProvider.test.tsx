import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router";
import { createQueryClient } from "../api/queries";
import { getAccessToken, resetSessionForTests, setAccessToken } from "../api/session";
import { AppLayout } from "../components/AppLayout";
import { LoginPage } from "../pages/LoginPage";
import { json, mockApi, problem } from "../test/utils";
import { AuthProvider } from "./AuthProvider";
import { RedirectIfSignedIn, RequireAuth } from "./RequireAuth";

const ME = { id: "u1", email: "ann@example.com", display_name: "Ann", created_at: "2026-01-01T00:00:00Z" };

function renderApp(route = "/") {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <MemoryRouter initialEntries={[route]}>
        <AuthProvider>
          <Routes>
            <Route element={<RedirectIfSignedIn />}>
              <Route path="/login" element={<LoginPage />} />
            </Route>
            <Route element={<RequireAuth />}>
              <Route element={<AppLayout />}>
                <Route index element={<h1>Dashboard</h1>} />
              </Route>
            </Route>
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** A previous visit logged in here: the session hint is set, no token in memory. */
function previouslyLoggedIn() {
  setAccessToken("old");
  resetSessionForTests();
}

beforeEach(() => resetSessionForTests());

describe("session restore and end", () => {
  it("restores the session from the refresh cookie on start", async () => {
    previouslyLoggedIn();
    const api = mockApi()
      .on("POST", "/auth/refresh", () => json({ access_token: "a1", refresh_token: "r", token_type: "bearer", expires_in: 600 }))
      .on("GET", "/auth/me", () => json(ME));
    renderApp("/");
    expect(screen.getByText("Restoring your session…")).toBeInTheDocument();
    expect(await screen.findByRole("heading", { name: "Dashboard" })).toBeInTheDocument();
    expect(await screen.findByText("Ann")).toBeInTheDocument();
    expect(api.count("POST", "/auth/refresh")).toBe(1);
    expect(getAccessToken()).toBe("a1");
  });

  it("shows the login page when the cookie is no good", async () => {
    previouslyLoggedIn();
    mockApi().on("POST", "/auth/refresh", () => problem(401));
    renderApp("/");
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
  });

  it("does not call the API at all for a visitor who never logged in here", async () => {
    const api = mockApi();
    renderApp("/");
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(api.calls).toHaveLength(0);
  });

  it("logging out ends the session and says so", async () => {
    previouslyLoggedIn();
    mockApi()
      .on("POST", "/auth/refresh", () => json({ access_token: "a1", refresh_token: "r", token_type: "bearer", expires_in: 600 }))
      .on("GET", "/auth/me", () => json(ME))
      .on("POST", "/auth/logout", () => new Response(null, { status: 204 }));
    const user = userEvent.setup();
    renderApp("/");
    await user.click(await screen.findByRole("button", { name: "Log out" }));
    expect(await screen.findByText("You have been logged out.")).toBeInTheDocument();
    expect(getAccessToken()).toBeNull();
  });

  it("goes back to login when a request is refused even after a refresh", async () => {
    previouslyLoggedIn();
    let refreshes = 0;
    mockApi()
      .on("POST", "/auth/refresh", () => {
        refreshes += 1;
        return refreshes === 1
          ? json({ access_token: "a1", refresh_token: "r", token_type: "bearer", expires_in: 600 })
          : problem(401);
      })
      .on("GET", "/auth/me", () => problem(401));
    renderApp("/");
    expect(await screen.findByText("Your session has ended. Please log in again.")).toBeInTheDocument();
    expect(refreshes).toBe(2);
  });
});
