import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useLocation } from "react-router";
import { api } from "../api/client";
import { TextField, useFormErrors } from "../components/fields";
import { ErrorAlert } from "../components/feedback";
import { useDocumentTitle } from "../hooks";

/**
 * Asks for a link to choose a new password. The answer is the same whether or not the
 * address has an account (the service says nothing either way), and so is this page's.
 */
export function ForgotPasswordPage() {
  useDocumentTitle("Forgot password");
  // From the login page: the address typed there comes along.
  const given = (useLocation().state as { email?: unknown } | null)?.email;
  const [email, setEmail] = useState(typeof given === "string" ? given : "");
  const [sentTo, setSentTo] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const mutation = useMutation({ mutationFn: api.forgotPassword });
  const { errors, formError, check, edited } = useFormErrors(formRef, mutation.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const address = email.trim();
    if (!check(address ? {} : { email: "Enter your email address." })) return;
    mutation.mutate({ email: address }, { onSuccess: () => setSentTo(address) });
  }

  return (
    <section className="card auth-card" aria-labelledby="forgot-title">
      <h1 id="forgot-title" tabIndex={-1}>
        Forgot your password?
      </h1>
      {sentTo !== null ? (
        <>
          <div className="alert alert-info" role="status">
            <p>
              If an account exists for <strong>{sentTo}</strong>, we sent a link to choose a new password. It works
              once, within the hour.
            </p>
          </div>
          <p className="muted">No mail after a few minutes? Check your spam folder, or ask again.</p>
          <button
            type="button"
            className="btn btn-secondary btn-block"
            onClick={() => {
              mutation.reset();
              setSentTo(null);
            }}
          >
            Ask again
          </button>
        </>
      ) : (
        <>
          <p className="muted">Enter the address you log in with. We’ll mail you a link to choose a new password.</p>
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
            <button type="submit" className="btn btn-primary btn-block" disabled={mutation.isPending}>
              {mutation.isPending ? "Sending…" : "Send link"}
            </button>
          </form>
        </>
      )}
      <p className="auth-switch">
        Remembered it? <Link to="/login">Log in</Link>
      </p>
    </section>
  );
}
