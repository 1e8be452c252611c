import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api } from "../api/client";
import { hasFieldError } from "../api/errors";
import { TextField, useFormErrors } from "../components/fields";
import { ErrorAlert, LinkNoLongerWorks } from "../components/feedback";
import { useDocumentTitle } from "../hooks";

/** `/reset-password?token=…`, from the mail that /forgot-password sends. */
export function ResetPasswordPage() {
  useDocumentTitle("Choose a new password");
  const token = useSearchParams()[0].get("token") ?? "";
  const navigate = useNavigate();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const formRef = useRef<HTMLFormElement>(null);
  const reset = useMutation({
    mutationFn: api.resetPassword,
    // Every session has ended (see api.resetPassword): the login page says why.
    onSuccess: () => void navigate("/login", { replace: true }),
  });
  const { errors, formError, check, edited } = useFormErrors(formRef, reset.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (password.length < 8) found.new_password = "Use at least 8 characters.";
    else if (password !== confirm) found.confirm_password = "The two passwords differ.";
    if (!check(found)) return;
    reset.mutate({ token, new_password: password });
  }

  const spent = !token || hasFieldError(reset.error, "token_invalid");
  return (
    <section className="card auth-card" aria-labelledby="reset-title">
      <h1 id="reset-title" tabIndex={-1}>
        Choose a new password
      </h1>
      {spent ? (
        <LinkNoLongerWorks>
          <Link to="/forgot-password" className="btn btn-primary btn-block">
            Ask for a new link
          </Link>
        </LinkNoLongerWorks>
      ) : (
        <>
          <p className="muted">Every device where you are logged in will be logged out.</p>
          <ErrorAlert error={formError} />
          <form ref={formRef} onSubmit={onSubmit} noValidate className="form">
            <TextField
              label="New password"
              type="password"
              name="new_password"
              autoComplete="new-password"
              hint="At least 8 characters. Avoid common passwords and your email."
              value={password}
              onChange={(e) => {
                setPassword(e.target.value);
                edited("new_password");
              }}
              error={errors.new_password}
            />
            <TextField
              label="Confirm new password"
              type="password"
              name="confirm_password"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => {
                setConfirm(e.target.value);
                edited("confirm_password");
              }}
              error={errors.confirm_password}
            />
            <button type="submit" className="btn btn-primary btn-block" disabled={reset.isPending}>
              {reset.isPending ? "Saving…" : "Set new password"}
            </button>
          </form>
        </>
      )}
      <p className="auth-switch">
        <Link to="/login">Back to log in</Link>
      </p>
    </section>
  );
}
