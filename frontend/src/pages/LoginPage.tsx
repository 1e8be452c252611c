import { useMutation } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { useAuth } from "../auth/AuthProvider";
import { TextField, useFormErrors } from "../components/fields";
import { ErrorAlert } from "../components/feedback";
import { useDocumentTitle } from "../hooks";

const END_NOTICES = {
  expired: "Your session has ended. Please log in again.",
  "logged-out": "You have been logged out.",
  "account-deleted": "Your account has been deleted.",
  "password-reset": "Your password has been changed and every session has ended. Log in with the new password.",
} as const;

export function LoginPage() {
  useDocumentTitle("Log in");
  const { login, endReason } = useAuth();
  // From sign-up's "this email is taken": the address comes along, the password is next.
  const state = useLocation().state as { email?: unknown; from?: unknown } | null;
  const given = state?.email;
  // Where to go after logging in (an invitation page, say): kept when switching to sign-up.
  const from = typeof state?.from === "string" ? state.from : undefined;
  const [email, setEmail] = useState(typeof given === "string" ? given : "");
  const [password, setPassword] = useState("");
  const formRef = useRef<HTMLFormElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const prefilled = typeof given === "string" && given !== "";
  useEffect(() => {
    if (prefilled) passwordRef.current?.focus();
  }, [prefilled]);

  const mutation = useMutation({
    mutationFn: (input: { email: string; password: string }) => login(input.email, input.password),
  });

  // A wrong email or password (401) is about the form, not one field: the service's
  // detail says so, shown as the form's error.
  const { errors, formError, check, edited } = useFormErrors(formRef, mutation.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!email.trim()) found.email = "Enter your email address.";
    if (!password) found.password = "Enter your password.";
    if (!check(found)) return;
    mutation.mutate({ email: email.trim(), password });
  }

  return (
    <section className="card auth-card" aria-labelledby="login-title">
      <h1 id="login-title" tabIndex={-1}>
        Log in
      </h1>
      {endReason && !mutation.error ? (
        <p className="alert alert-info" role="status">
          {END_NOTICES[endReason]}
        </p>
      ) : null}
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={onSubmit} noValidate className="form">
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="username"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            edited("email");
          }}
          error={errors.email}
        />
        <TextField
          ref={passwordRef}
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            edited("password");
          }}
          error={errors.password}
        />
        <p className="field-aside">
          <Link to="/forgot-password" state={email.trim() ? { email: email.trim() } : null}>
            Forgot password?
          </Link>
        </p>
        <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending}>
          {mutation.isPending ? "Logging in…" : "Log in"}
        </button>
      </form>
      <p className="auth-switch">
        New here?{" "}
        <Link to="/signup" state={from ? { from } : null}>
          Create an account
        </Link>
      </p>
    </section>
  );
}
