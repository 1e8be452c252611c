import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { api } from "../api/client";
import { hasFieldError } from "../api/errors";
import { useAuth } from "../auth/AuthProvider";
import { PASSWORD_HINT, passwordTooShort, TextField, useFormErrors } from "../components/fields";
import { ErrorAlert } from "../components/feedback";
import { useDocumentTitle } from "../hooks";

interface SignupInput {
  email: string;
  password: string;
  display_name: string | null;
}

// Loose on purpose: the server has the last word; this catches typos like a missing @ or domain.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Every problem the form can see before sending, all at once, in words for people. */
export function signupProblems({ email, password }: { email: string; password: string }): Record<string, string> {
  const found: Record<string, string> = {};
  const address = email.trim();
  if (!address) found.email = "Enter your email address.";
  else if (!EMAIL_SHAPE.test(address)) found.email = "Enter an email address like name@example.com.";
  const short = passwordTooShort(password);
  if (!password) found.password = "Choose a password.";
  else if (short) found.password = short;
  else if (address && [address.toLowerCase(), address.split("@")[0]!.toLowerCase()].includes(password.toLowerCase()))
    found.password = "Don’t use your email address as your password.";
  return found;
}

export function SignupPage() {
  useDocumentTitle("Create an account");
  const { login } = useAuth();
  // Where to go after signing up (an invitation page, say): kept when switching to login.
  const given = (useLocation().state as { from?: unknown } | null)?.from;
  const from = typeof given === "string" ? given : undefined;
  const [displayName, setDisplayName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const formRef = useRef<HTMLFormElement>(null);

  const mutation = useMutation({
    mutationFn: async (input: SignupInput) => {
      await api.register(input);
      // Signing up logs in at once; the redirect follows from the session.
      await login(input.email, input.password);
    },
  });

  const { errors, formError, check, edited } = useFormErrors(formRef, mutation.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!check(signupProblems({ email, password }))) return;
    mutation.mutate({ email: email.trim(), password, display_name: displayName.trim() || null });
  }

  return (
    <section className="card auth-card" aria-labelledby="signup-title">
      <h1 id="signup-title" tabIndex={-1}>
        Create an account
      </h1>
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={onSubmit} noValidate className="form">
        <TextField
          label="Name"
          optional
          name="display_name"
          autoComplete="name"
          maxLength={100}
          value={displayName}
          onChange={(e) => {
            setDisplayName(e.target.value);
            edited("display_name");
          }}
          error={errors.display_name}
        />
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            edited("email");
          }}
          error={errors.email}
          errorAction={
            hasFieldError(mutation.error, "email_taken") ? (
              <Link to="/login" state={{ email: email.trim(), from }}>
                Log in as {email.trim()}
              </Link>
            ) : null
          }
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          hint={PASSWORD_HINT}
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            edited("password");
          }}
          error={errors.password}
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending}>
          {mutation.isPending ? "Creating account…" : "Create account"}
        </button>
      </form>
      <p className="auth-switch">
        Already have an account?{" "}
        <Link to="/login" state={from ? { from } : null}>
          Log in
        </Link>
      </p>
    </section>
  );
}
