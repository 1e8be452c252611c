import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { api, type User, type Workspace } from "../api/client";
import { queryKeys, useMe, useOwnedWorkspaces, useUpdateMe } from "../api/queries";
import { NewPasswordFields, newPasswordProblems, NO_NEW_PASSWORD, TextField, useFormErrors } from "../components/fields";
import { ErrorAlert, Spinner } from "../components/feedback";
import { Modal } from "../components/Modal";
import { OneFieldForm } from "../components/OneFieldForm";
import { useAbortable, useDocumentTitle } from "../hooks";

function ProfileForm({ user }: { user: User }) {
  const update = useUpdateMe();
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <dl className="details">
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Member since</dt>
        <dd>{new Date(user.created_at).toLocaleDateString(undefined, { dateStyle: "long" })}</dd>
      </dl>
      <OneFieldForm
        label="Display name"
        name="display_name"
        autoComplete="name"
        maxLength={100}
        hint="Shown in the header. Leave empty to use your email."
        initial={user.display_name ?? ""}
        submitLabel="Save name"
        save={(name, saved) => update.mutate(name || null, { onSuccess: saved })}
        pending={update.isPending}
        error={update.error}
      />
    </section>
  );
}

/**
 * A new address replaces the current one only once the link mailed to it is followed;
 * until then the account keeps its address (and the old one is told of the change).
 */
function EmailForm({ user }: { user: User }) {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const formRef = useRef<HTMLFormElement>(null);
  const change = useMutation({
    mutationFn: api.changeEmail,
    onSuccess: (updated) => {
      queryClient.setQueryData(queryKeys.me, updated);
      setEmail("");
      setPassword("");
    },
  });
  const { errors, formError, check, edited } = useFormErrors(formRef, change.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    const address = email.trim();
    if (!address) found.email = "Enter the new email address.";
    else if (address.toLowerCase() === user.email.toLowerCase()) found.email = "This is already your email address.";
    if (!password) found.password = "Enter your current password.";
    if (!check(found)) return;
    change.mutate({ email: address, password });
  }

  return (
    <section className="card" aria-labelledby="email-title">
      <h2 id="email-title">Change email</h2>
      {user.pending_email ? (
        <div className="alert alert-info" role="status">
          <p>
            We sent a link to <strong>{user.pending_email}</strong>. Your address stays <strong>{user.email}</strong>{" "}
            until you follow it.
          </p>
        </div>
      ) : null}
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="form form-narrow">
        <TextField
          label="New email"
          type="email"
          name="email"
          autoComplete="email"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            edited("email");
          }}
          error={errors.email}
        />
        <TextField
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          hint="Your current password, to confirm it’s you."
          value={password}
          onChange={(e) => {
            setPassword(e.target.value);
            edited("password");
          }}
          error={errors.password}
        />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={change.isPending}>
            {change.isPending ? "Sending link…" : "Change email"}
          </button>
        </div>
      </form>
    </section>
  );
}

function PasswordForm() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState(NO_NEW_PASSWORD);
  const [done, setDone] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const change = useMutation({ mutationFn: api.changePassword });

  const { errors, formError, check, edited } = useFormErrors(formRef, change.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    const found = newPasswordProblems(next);
    if (!current) found.current_password = "Enter your current password.";
    if (!check(found)) return;
    change.mutate(
      { current_password: current, new_password: next.password },
      {
        onSuccess: () => {
          setCurrent("");
          setNext(NO_NEW_PASSWORD);
          setDone(true);
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="password-title">
      <h2 id="password-title">Change password</h2>
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="form form-narrow">
        <TextField
          label="Current password"
          type="password"
          name="current_password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => {
            setCurrent(e.target.value);
            edited("current_password");
          }}
          error={errors.current_password}
        />
        <NewPasswordFields value={next} onChange={setNext} errors={errors} edited={edited} />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={change.isPending}>
            {change.isPending ? "Changing…" : "Change password"}
          </button>
          <span role="status" className="form-success">
            {done ? "Password changed. Your other sessions have been logged out." : ""}
          </span>
        </div>
      </form>
    </section>
  );
}

function SessionsSection() {
  const logoutAll = useMutation({ mutationFn: api.logoutEverywhere });
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p className="muted">Log out on every device and browser where you are logged in, this one included.</p>
      <ErrorAlert error={logoutAll.error} />
      <button
        type="button"
        className="btn btn-secondary"
        onClick={() => logoutAll.mutate()}
        disabled={logoutAll.isPending}
      >
        {logoutAll.isPending ? "Logging out everywhere…" : "Log out everywhere"}
      </button>
    </section>
  );
}

/** What deleting the account does to the workspaces the person owns (GET /workspaces?role=owner). */
export function accountDeletionFate(owned: readonly Workspace[]) {
  return {
    deleted: owned.filter((w) => w.deleted_with_account),
    passedOn: owned.filter((w) => !w.deleted_with_account && w.successor),
    // Other owners remain: nothing changes for them but the member list.
    kept: owned.filter((w) => !w.deleted_with_account && !w.successor),
  };
}

function successorName(w: Workspace): string {
  const s = w.successor;
  if (!s) return "";
  return s.display_name && s.email ? `${s.display_name} (${s.email})` : s.display_name || s.email || "another member";
}

function OwnedWorkspaces() {
  const owned = useOwnedWorkspaces();
  if (owned.isPending) return <Spinner label="Checking your workspaces…" paused={owned.fetchStatus === "paused"} />;
  if (owned.isError) {
    return (
      <ErrorAlert error={owned.error}>
        <button type="button" className="btn btn-secondary btn-small" onClick={() => void owned.refetch()}>
          Try again
        </button>
      </ErrorAlert>
    );
  }
  const { deleted, passedOn, kept } = accountDeletionFate(owned.data);
  return (
    <div className="deletion-fate">
      {deleted.length > 0 ? (
        <>
          <p className="deletion-fate-title">Deleted with your account, with all their projects and tasks:</p>
          <ul aria-label="Deleted with your account">
            {deleted.map((w) => (
              <li key={w.id}>
                {w.name}
                {w.personal ? <span className="muted"> (your personal workspace)</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {passedOn.length > 0 ? (
        <>
          <p className="deletion-fate-title">Passed on to a new owner, with everything in them:</p>
          <ul aria-label="Passed on to a new owner">
            {passedOn.map((w) => (
              <li key={w.id}>
                {w.name} <span aria-hidden="true">→</span>
                <span className="visually-hidden"> goes to </span> {successorName(w)}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {kept.length > 0 ? (
        <>
          <p className="deletion-fate-title">Kept by their other owners:</p>
          <ul aria-label="Kept by their other owners">
            {kept.map((w) => (
              <li key={w.id}>{w.name}</li>
            ))}
          </ul>
        </>
      ) : null}
      <p className="muted small">In workspaces you share, what you created stays; you leave them.</p>
    </div>
  );
}

function DeleteAccountDialog({ onClose }: { onClose(): void }) {
  const [password, setPassword] = useState("");
  const formRef = useRef<HTMLFormElement>(null);
  const remove = useMutation({
    mutationFn: ({ password, signal }: { password: string; signal: AbortSignal }) =>
      api.deleteAccount({ password }, signal),
  });
  const { errors, formError, edited } = useFormErrors(formRef, remove.error);
  const attempt = useAbortable();

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!password) return;
    // On success the session ends and the app shows the login page.
    remove.mutate({ password, signal: attempt.next() });
  }

  function close() {
    attempt.abort();
    onClose();
  }

  return (
    <Modal
      title="Delete your account?"
      role="alertdialog"
      onClose={close}
      description={
        <p>
          Your account will be deleted for good. This can’t be undone. Type your password to confirm.
        </p>
      }
    >
      <OwnedWorkspaces />
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="form">
        <TextField
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
        <div className="modal-actions">
          <button type="button" className="btn btn-secondary" onClick={close}>
            Cancel
          </button>
          <button type="submit" className="btn btn-danger" disabled={!password || remove.isPending}>
            {remove.isPending ? "Deleting…" : "Delete my account"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function AccountPage() {
  useDocumentTitle("Account");
  const me = useMe();
  const [deleting, setDeleting] = useState(false);

  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>
            Account
          </h1>
          <p className="muted">Your profile, email, password and sessions.</p>
        </div>
      </div>
      {me.isPending ? (
        <Spinner label="Loading your account…" paused={me.fetchStatus === "paused"} />
      ) : me.isError ? (
        <ErrorAlert error={me.error}>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void me.refetch()}>
            Try again
          </button>
        </ErrorAlert>
      ) : (
        <div className="stack">
          <ProfileForm key={me.data.id} user={me.data} />
          <EmailForm user={me.data} />
          <PasswordForm />
          <SessionsSection />
          <section className="card danger-zone" aria-labelledby="danger-title">
            <h2 id="danger-title">Delete account</h2>
            <p className="muted">
              Deletes your account, your personal workspace and the workspaces only you belong to, with their projects
              and tasks. Shared workspaces you own pass to another member. This can’t be undone.
            </p>
            <button type="button" className="btn btn-danger" onClick={() => setDeleting(true)}>
              Delete account…
            </button>
          </section>
        </div>
      )}
      {deleting ? <DeleteAccountDialog onClose={() => setDeleting(false)} /> : null}
    </>
  );
}
