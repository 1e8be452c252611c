import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { api } from "../api/client";
import { hasFieldError } from "../api/errors";
import { NewPasswordFields, newPasswordProblems, NO_NEW_PASSWORD, useFormErrors } from "../components/fields";
import { ErrorAlert, LinkNoLongerWorks } from "../components/feedback";
import { useDocumentTitle } from "../hooks";

/** `/reset-password?token=…`, from the mail that /forgot-password sends. */
export function ResetPasswordPage() {
  useDocumentTitle("Choose a new password");
  const token = useSearchParams()[0].get("token") ?? "";
  const navigate = useNavigate();
  const [password, setPassword] = useState(NO_NEW_PASSWORD);
  const formRef = useRef<HTMLFormElement>(null);
  const reset = useMutation({
    mutationFn: api.resetPassword,
    // Every session has ended (see api.resetPassword): the login page says why.
    onSuccess: () => void navigate("/login", { replace: true }),
  });
  const { errors, formError, check, edited } = useFormErrors(formRef, reset.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!check(newPasswordProblems(password))) return;
    reset.mutate({ token, new_password: password.password });
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
            <NewPasswordFields value={password} onChange={setPassword} errors={errors} edited={edited} />
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
