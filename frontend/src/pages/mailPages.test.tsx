import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { StrictMode } from "react";
import { MemoryRouter, Route, Routes } from "react-router";
import { beforeEach, describe, expect, it } from "vitest";
import { createQueryClient } from "../api/queries";
import { resetSessionForTests, setAccessToken } from "../api/session";
import { AuthProvider } from "../auth/AuthProvider";
import { RedirectIfSignedIn } from "../auth/RequireAuth";
import { VerificationBanner } from "../components/VerificationBanner";
import { json, mockApi, problem, renderAt } from "../test/utils";
import { AccountPage } from "./AccountPage";
import { ForgotPasswordPage } from "./ForgotPasswordPage";
import { LoginPage } from "./LoginPage";
import { ResetPasswordPage } from "./ResetPasswordPage";
import { VerifyEmailPage } from "./VerifyEmailPage";

const ann = (overrides: Record<string, unknown> = {}) => ({
  id: "u1",
  email: "ann@example.com",
  email_verified: false,
  pending_email: null,
  display_name: "Ann",
  created_at: "2026-01-01T00:00:00Z",
  ...overrides,
});

const TOKEN_INVALID = {
  detail: "The link is not valid.",
  errors: [{ field: "token", code: "token_invalid", message: "This link is no longer valid; ask for a new one." }],
};

/** The public pages as App.tsx routes them, under StrictMode as in main.tsx. */
function renderPublic(route: string) {
  return render(
    <StrictMode>
      <QueryClientProvider client={createQueryClient()}>
        <MemoryRouter initialEntries={[route]}>
          <AuthProvider>
            <Routes>
              <Route element={<RedirectIfSignedIn />}>
                <Route path="/login" element={<LoginPage />} />
                <Route path="/forgot-password" element={<ForgotPasswordPage />} />
              </Route>
              <Route path="/reset-password" element={<ResetPasswordPage />} />
              <Route path="/verify-email" element={<VerifyEmailPage />} />
              <Route path="/" element={<p>dashboard</p>} />
            </Routes>
          </AuthProvider>
        </MemoryRouter>
      </QueryClientProvider>
    </StrictMode>,
  );
}

/** A session to restore on load: the refresh cookie still works. */
function signedIn() {
  window.localStorage.setItem("projectconnect.session-hint", "1");
  return mockApi().on("POST", "/auth/refresh", () =>
    json({ access_token: "a", refresh_token: "r", token_type: "bearer", expires_in: 600 }),
  );
}

beforeEach(() => {
  resetSessionForTests();
  window.sessionStorage.clear();
});

describe("forgot password", () => {
  it("is reached from the login page with the address typed there", async () => {
    mockApi();
    const user = userEvent.setup();
    renderPublic("/login");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.click(screen.getByRole("link", { name: "Forgot password?" }));
    expect(await screen.findByRole("heading", { name: "Forgot your password?" })).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("ann@example.com");
  });

  it("asks for an address, then gives the same answer whoever asks", async () => {
    const api = mockApi().on("POST", "/auth/password/forgot", () => json({ detail: "on its way" }, 202));
    const user = userEvent.setup();
    renderPublic("/forgot-password");
    await user.click(screen.getByRole("button", { name: "Send link" }));
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Enter your email address.");
    expect(api.calls).toHaveLength(0);

    await user.type(screen.getByLabelText("Email"), " nobody@example.com ");
    await user.click(screen.getByRole("button", { name: "Send link" }));
    expect(await screen.findByRole("status")).toHaveTextContent(
      "If an account exists for nobody@example.com, we sent a link to choose a new password.",
    );
    expect(await api.calls[0]!.json()).toEqual({ email: "nobody@example.com" });
  });

  it("says plainly when asked too often", async () => {
    mockApi().on("POST", "/auth/password/forgot", () => problem(429, {}, { "Retry-After": "20" }));
    const user = userEvent.setup();
    renderPublic("/forgot-password");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.click(screen.getByRole("button", { name: "Send link" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Please wait 20 seconds");
    expect(screen.queryByText(/If an account exists/)).not.toBeInTheDocument();
  });
});

describe("reset password", () => {
  it("checks the two passwords, then shows the policy's errors at the field", async () => {
    const api = mockApi().on("POST", "/auth/password/reset", () =>
      problem(422, {
        errors: [{ field: "new_password", code: "password_common", message: "This password is among the most commonly used." }],
      }),
    );
    const user = userEvent.setup();
    renderPublic("/reset-password?token=t1");
    await user.type(screen.getByLabelText("New password"), "password1");
    await user.type(screen.getByLabelText("Confirm new password"), "password2");
    await user.click(screen.getByRole("button", { name: "Set new password" }));
    expect(screen.getByLabelText("Confirm new password")).toHaveAccessibleDescription("The two passwords differ.");
    expect(api.calls).toHaveLength(0);

    await user.clear(screen.getByLabelText("Confirm new password"));
    await user.type(screen.getByLabelText("Confirm new password"), "password1");
    await user.click(screen.getByRole("button", { name: "Set new password" }));
    const field = screen.getByLabelText("New password");
    await waitFor(() => expect(field).toHaveAttribute("aria-invalid", "true"));
    expect(field).toHaveAccessibleDescription(/most commonly used/);
    expect(field).toHaveFocus();
    expect(await api.calls[0]!.json()).toEqual({ token: "t1", new_password: "password1" });
  });

  it("sends to the login page, which says the password changed", async () => {
    mockApi().on("POST", "/auth/password/reset", () => new Response(null, { status: 204 }));
    const user = userEvent.setup();
    renderPublic("/reset-password?token=t1");
    await user.type(screen.getByLabelText("New password"), "violet kettle orbit");
    await user.type(screen.getByLabelText("Confirm new password"), "violet kettle orbit");
    await user.click(screen.getByRole("button", { name: "Set new password" }));
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(screen.getByRole("status")).toHaveTextContent("Your password has been changed");
  });

  it("says when the link no longer works, and offers a new one", async () => {
    mockApi().on("POST", "/auth/password/reset", () => problem(422, TOKEN_INVALID));
    const user = userEvent.setup();
    renderPublic("/reset-password?token=spent");
    await user.type(screen.getByLabelText("New password"), "violet kettle orbit");
    await user.type(screen.getByLabelText("Confirm new password"), "violet kettle orbit");
    await user.click(screen.getByRole("button", { name: "Set new password" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This link no longer works");
    expect(screen.queryByLabelText("New password")).not.toBeInTheDocument();
    await user.click(screen.getByRole("link", { name: "Ask for a new link" }));
    expect(await screen.findByRole("heading", { name: "Forgot your password?" })).toBeInTheDocument();
  });

  it("without a token, says so at once", () => {
    mockApi();
    renderPublic("/reset-password");
    expect(screen.getByRole("alert")).toHaveTextContent("This link no longer works");
  });
});

describe("verify email", () => {
  it("follows the link once, even under StrictMode, and says so", async () => {
    const api = mockApi().on("POST", "/auth/email/verify", () => new Response(null, { status: 204 }));
    renderPublic("/verify-email?token=once");
    expect(await screen.findByText(/your email address is confirmed/)).toHaveRole("status");
    expect(api.count("POST", "/auth/email/verify")).toBe(1);
    expect(await api.calls[0]!.json()).toEqual({ token: "once" });
    expect(screen.getByRole("link", { name: "Log in" })).toBeInTheDocument();
  });

  it("refreshes the signed-in account it verified", async () => {
    let verified = false;
    const api = signedIn()
      .on("GET", "/auth/me", () => json(ann({ email_verified: verified })))
      .on("POST", "/auth/email/verify", () => {
        verified = true;
        return new Response(null, { status: 204 });
      });
    const client = createQueryClient();
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={["/verify-email?token=fresh"]}>
          <AuthProvider>
            <VerificationBanner />
            <Routes>
              <Route path="/verify-email" element={<VerifyEmailPage />} />
            </Routes>
          </AuthProvider>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    expect(await screen.findByText(/your email address is confirmed/)).toBeInTheDocument();
    await waitFor(() => expect(client.getQueryData(["me"])).toMatchObject({ email_verified: true }));
    expect(screen.queryByRole("region", { name: "Email verification" })).not.toBeInTheDocument();
    expect(api.count("POST", "/auth/email/verify")).toBe(1);
  });

  it("offers a new link to a signed-in person whose link no longer works", async () => {
    const api = signedIn()
      .on("GET", "/auth/me", () => json(ann()))
      .on("POST", "/auth/email/verify", () => problem(422, TOKEN_INVALID))
      .on("POST", "/auth/me/email/verification", () => json({ detail: "on its way" }, 202));
    const user = userEvent.setup();
    renderPublic("/verify-email?token=old");
    expect(await screen.findByRole("alert")).toHaveTextContent("This link no longer works");
    await user.click(await screen.findByRole("button", { name: "Resend link" }));
    expect(await screen.findByText("A new link is on its way to ann@example.com.")).toBeInTheDocument();
    expect(api.count("POST", "/auth/me/email/verification")).toBe(1);
  });

  it("asks a signed-out person whose link no longer works to log in", async () => {
    mockApi().on("POST", "/auth/email/verify", () => problem(422, TOKEN_INVALID));
    renderPublic("/verify-email?token=old2");
    expect(await screen.findByRole("alert")).toHaveTextContent("This link no longer works");
    expect(screen.getByRole("link", { name: "Log in" })).toHaveAttribute("href", "/login");
  });
});

describe("verification banner", () => {
  it("shows while the address is unverified; a throttled resend says when to ask again", async () => {
    setAccessToken("a");
    mockApi()
      .on("GET", "/auth/me", () => json(ann()))
      .on("POST", "/auth/me/email/verification", () => problem(429, {}, { "Retry-After": "120" }));
    const user = userEvent.setup();
    renderAt(<VerificationBanner />);
    const banner = await screen.findByRole("region", { name: "Email verification" });
    expect(banner).toHaveTextContent("Please verify your email address");
    await user.click(screen.getByRole("button", { name: "Resend link" }));
    expect(await screen.findByText("A link was sent a short while ago. You can ask for another in 2 minutes.")).toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("stays away for the browser session once dismissed", async () => {
    setAccessToken("a");
    mockApi().on("GET", "/auth/me", () => json(ann()));
    const user = userEvent.setup();
    const first = renderAt(<VerificationBanner />);
    await user.click(await screen.findByRole("button", { name: "Not now: hide the verification reminder" }));
    expect(screen.queryByRole("region", { name: "Email verification" })).not.toBeInTheDocument();
    first.unmount();

    renderAt(<VerificationBanner />);
    await waitFor(() => expect(screen.queryByText("elsewhere")).not.toBeInTheDocument());
    expect(screen.queryByRole("region", { name: "Email verification" })).not.toBeInTheDocument();
  });

  it("is not shown once the address is verified", async () => {
    setAccessToken("a");
    const api = mockApi().on("GET", "/auth/me", () => json(ann({ email_verified: true })));
    renderAt(<VerificationBanner />);
    await waitFor(() => expect(api.count("GET", "/auth/me")).toBe(1));
    expect(screen.queryByRole("region", { name: "Email verification" })).not.toBeInTheDocument();
  });
});

describe("email change", () => {
  it("shows the service's field errors at their fields", async () => {
    setAccessToken("a");
    const api = mockApi()
      .on("GET", "/auth/me", () => json(ann({ email_verified: true })))
      .on("GET", "/workspaces", () => json({ items: [], next_cursor: null }))
      .on("POST", "/auth/me/email", () =>
        problem(403, { errors: [{ field: "password", code: "password_incorrect", message: "The password is incorrect." }] }),
      );
    const user = userEvent.setup();
    renderAt(<AccountPage />);
    await user.click(await screen.findByRole("button", { name: "Change email" }));
    expect(screen.getByLabelText("New email")).toHaveAccessibleDescription("Enter the new email address.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/Enter your current password/);
    expect(api.count("POST", "/auth/me/email")).toBe(0);

    await user.type(screen.getByLabelText("New email"), "ann@new.example");
    await user.type(screen.getByLabelText("Password"), "wrong");
    await user.click(screen.getByRole("button", { name: "Change email" }));
    const password = screen.getByLabelText("Password");
    await waitFor(() => expect(password).toHaveAccessibleDescription(/password is incorrect/));
    expect(password).toHaveFocus();
  });

  it("says the link went to the new address and the current one stays until it is followed", async () => {
    setAccessToken("a");
    const api = mockApi()
      .on("GET", "/auth/me", () => json(ann({ email_verified: true })))
      .on("POST", "/auth/me/email", () => json(ann({ email_verified: true, pending_email: "ann@new.example" }), 202));
    const user = userEvent.setup();
    renderAt(<AccountPage />);
    await user.type(await screen.findByLabelText("New email"), "ann@new.example");
    await user.type(screen.getByLabelText("Password"), "violet kettle orbit");
    await user.click(screen.getByRole("button", { name: "Change email" }));
    expect(await screen.findByText(/We sent a link to/)).toHaveTextContent(
      "We sent a link to ann@new.example. Your address stays ann@example.com until you follow it.",
    );
    expect(screen.getByLabelText("New email")).toHaveValue("");
    expect(await api.calls.find((r) => r.method === "POST")!.json()).toEqual({
      email: "ann@new.example",
      password: "violet kettle orbit",
    });
  });
});
