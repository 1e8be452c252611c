import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";
import { MemoryRouter, Route, Routes } from "react-router";
import { createQueryClient } from "../api/queries";
import { resetSessionForTests } from "../api/session";
import { AuthProvider } from "../auth/AuthProvider";
import { RedirectIfSignedIn } from "../auth/RequireAuth";
import { json, mockApi, problem } from "../test/utils";
import { LoginPage } from "./LoginPage";
import { SignupPage } from "./SignupPage";

function renderPublic(route: string) {
  return render(
    <QueryClientProvider client={createQueryClient()}>
      <MemoryRouter initialEntries={[route]}>
        <AuthProvider>
          <Routes>
            <Route element={<RedirectIfSignedIn />}>
              <Route path="/login" element={<LoginPage />} />
              <Route path="/signup" element={<SignupPage />} />
            </Route>
            <Route path="/" element={<p>dashboard</p>} />
          </Routes>
        </AuthProvider>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

beforeEach(() => resetSessionForTests());

describe("field errors", () => {
  it("sign-up shows each problem+json field error at its field and focuses the first", async () => {
    mockApi().on("POST", "/auth/register", () =>
      problem(422, {
        errors: [
          { field: "email", code: "email_invalid", message: "This email address has no valid domain." },
          { field: "password", code: "password_common", message: "This password is among the most commonly used." },
        ],
      }),
    );
    const user = userEvent.setup();
    renderPublic("/signup");
    await user.type(screen.getByLabelText("Email"), "ann@example.invalid");
    await user.type(screen.getByLabelText("Password"), "password");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    const email = screen.getByLabelText("Email");
    const password = screen.getByLabelText("Password");
    await waitFor(() => expect(email).toHaveAttribute("aria-invalid", "true"));
    expect(email).toHaveAccessibleDescription(/no valid domain/);
    expect(password).toHaveAttribute("aria-invalid", "true");
    expect(password).toHaveAccessibleDescription(/most commonly used/);
    expect(email).toHaveFocus();
    expect(screen.getByLabelText(/Name/)).not.toHaveAttribute("aria-invalid");

    // Editing a field clears its error, and only its error.
    await user.type(email, "x");
    expect(email).not.toHaveAttribute("aria-invalid");
    expect(password).toHaveAttribute("aria-invalid", "true");
  });

  it("sign-up shows a taken email at the email field (409)", async () => {
    mockApi().on("POST", "/auth/register", () =>
      problem(409, { errors: [{ field: "email", code: "email_taken", message: "This email is taken." }] }),
    );
    const user = userEvent.setup();
    renderPublic("/signup");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "violet kettle orbit");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() => expect(screen.getByLabelText("Email")).toHaveAccessibleDescription(/taken/));

    // A way out: log in with that address, which comes along; the password is next.
    await user.click(screen.getByRole("link", { name: "Log in as ann@example.com" }));
    expect(await screen.findByRole("heading", { name: "Log in" })).toBeInTheDocument();
    expect(screen.getByLabelText("Email")).toHaveValue("ann@example.com");
    expect(screen.getByLabelText("Password")).toHaveFocus();
  });

  it("sign-up checks the whole form before sending, in words for people", async () => {
    const api = mockApi();
    const user = userEvent.setup();
    renderPublic("/signup");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Enter your email address.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/Choose a password/);
    expect(screen.getByLabelText("Email")).toHaveFocus();

    await user.type(screen.getByLabelText("Email"), "ann@example");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("Enter an email address like name@example.com.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/Use at least 8 characters/);
    expect(api.calls).toHaveLength(0);
  });

  it("sign-up then logs in and leaves the page", async () => {
    const api = mockApi()
      .on("POST", "/auth/register", () =>
        json({ id: "u1", email: "ann@example.com", display_name: "Ann", created_at: "2026-01-01T00:00:00Z" }, 201),
      )
      .on("POST", "/auth/login", () =>
        json({ access_token: "a", refresh_token: "r", token_type: "bearer", expires_in: 600 }),
      );
    const user = userEvent.setup();
    renderPublic("/signup");
    await user.type(screen.getByLabelText(/Name/), "Ann");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "violet kettle orbit");
    await user.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByText("dashboard")).toBeInTheDocument();
    expect(await api.calls[0]!.json()).toEqual({ email: "ann@example.com", password: "violet kettle orbit", display_name: "Ann" });
  });

  it("login reports wrong credentials for the form and a 429 plainly", async () => {
    const api = mockApi().on("POST", "/auth/login", () => problem(401, { detail: "The email or password is incorrect." }));
    const user = userEvent.setup();
    renderPublic("/login");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "wrong password");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The email or password is incorrect.");

    api.on("POST", "/auth/login", () => problem(429, { detail: "Too many attempts." }, { "Retry-After": "30" }));
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByText("Too many requests. Please wait 30 seconds and try again.")).toBeInTheDocument();
  });

  it("login checks for empty fields before sending anything", async () => {
    const api = mockApi();
    const user = userEvent.setup();
    renderPublic("/login");
    await user.click(screen.getByRole("button", { name: "Log in" }));
    expect(screen.getByLabelText("Email")).toHaveAccessibleDescription(/Enter your email/);
    expect(screen.getByLabelText("Email")).toHaveFocus();
    expect(api.calls).toHaveLength(0);
  });
});
