import { useId, useRef, useState, type FormEvent } from "react";
import { useNavigate, useParams } from "react-router";
import type { Invitation, InvitationCreated, Member, Role, Workspace } from "../api/client";
import { setCurrentWorkspace } from "../api/currentWorkspace";
import { describeError } from "../api/errors";
import {
  useChangeRole,
  useDeleteWorkspace,
  useInvitations,
  useInvite,
  useLeaveWorkspace,
  useMe,
  useMembers,
  useRemoveMember,
  useRenameWorkspace,
  useRevokeInvitation,
  useTransferOwnership,
} from "../api/queries";
import {
  assignableRoles,
  canDeleteWorkspace,
  canManageMembers,
  canRenameWorkspace,
  canTransferOwnership,
  mayChangeRole,
  ROLE_DESCRIPTIONS,
  ROLE_LABELS,
  withArticle,
} from "../api/roles";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { OneFieldForm } from "../components/OneFieldForm";
import { SelectField, TextField, useFormErrors } from "../components/fields";
import { ErrorAlert, FailureAlert, LoadMore, Spinner } from "../components/feedback";
import { WorkspaceShell } from "../components/WorkspaceShell";
import { useAbortable, useDocumentTitle } from "../hooks";

// Loose on purpose: the server has the last word.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The link to share. The invitation page is this app's (`/invite/<token>`), so it is built
 * from the address the person is using now: the service behind a gateway may not know
 * the public one its `url` should carry.
 */
export function invitationLink(invitation: Pick<InvitationCreated, "token">, origin = window.location.origin): string {
  return `${origin}/invite/${encodeURIComponent(invitation.token)}`;
}

export function personName(person: { display_name: string | null; email: string | null }): string {
  return person.display_name || person.email || "Someone";
}

function formatDate(value: string): string {
  return new Date(value).toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** Copies text, where the browser lets scripts (secure contexts); false otherwise. */
async function copyText(text: string): Promise<boolean> {
  try {
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

function ShareLink({ invitation, onDone }: { invitation: InvitationCreated; onDone(): void }) {
  const link = invitationLink(invitation);
  const inputRef = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const id = useId();
  return (
    <div className="share-link" role="group" aria-labelledby={id}>
      <p id={id} className="share-link-title">
        Invitation for <strong>{invitation.email}</strong> as {withArticle(invitation.role)}: send them this link.
      </p>
      <div className="share-link-row">
        <input
          ref={inputRef}
          className="input share-link-input"
          readOnly
          value={link}
          aria-label={`Invitation link for ${invitation.email}`}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          className="btn btn-primary"
          onClick={() => {
            void copyText(link).then((ok) => {
              setCopied(ok ? "yes" : "no");
              if (!ok) inputRef.current?.select();
            });
          }}
        >
          Copy link
        </button>
      </div>
      <p className="muted small" role="status">
        {copied === "yes"
          ? "Copied. The link works once, for 7 days, for that email address only."
          : copied === "no"
            ? "This browser doesn’t let the page copy: the link is selected, copy it with Ctrl+C (or ⌘C)."
            : "It works once, for 7 days, for that email address only."}
      </p>
      <button type="button" className="btn btn-ghost btn-small" onClick={onDone}>
        Done
      </button>
    </div>
  );
}

function InviteSection({ workspace }: { workspace: Workspace }) {
  const invite = useInvite(workspace.id);
  const attempt = useAbortable();
  const roles = assignableRoles(workspace.my_role, null);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const { errors, formError, check, edited } = useFormErrors(formRef, invite.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    const address = email.trim();
    const found: Record<string, string> = {};
    if (!address) found.email = "Enter the email address of the person to invite.";
    else if (!EMAIL_SHAPE.test(address)) found.email = "Enter an email address like name@example.com.";
    if (!check(found)) return;
    setCreated(null);
    invite.mutate(
      { email: address, role, signal: attempt.next() },
      {
        onSuccess: (invitation) => {
          setCreated(invitation);
          setEmail("");
        },
      },
    );
  }

  return (
    <section className="card" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite someone</h2>
      <p className="muted">They get a link to join {workspace.name}. No email is sent: you share the link yourself.</p>
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="invite-form">
        <TextField
          label="Email"
          type="email"
          name="email"
          autoComplete="off"
          value={email}
          onChange={(e) => {
            setEmail(e.target.value);
            edited("email");
          }}
          error={errors.email}
        />
        <SelectField
          label="Role"
          name="role"
          value={role}
          onChange={(e) => {
            setRole(e.target.value as Role);
            edited("role");
          }}
          error={errors.role}
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
        <button type="submit" className="btn btn-primary" disabled={invite.isPending}>
          {invite.isPending ? "Inviting…" : "Invite"}
        </button>
      </form>
      <p className="muted small invite-role-hint">
        {ROLE_LABELS[role]}: {ROLE_DESCRIPTIONS[role]}
      </p>
      {created ? <ShareLink invitation={created} onDone={() => setCreated(null)} /> : null}
    </section>
  );
}

function InvitationsSection({ workspace }: { workspace: Workspace }) {
  const invitations = useInvitations(workspace.id, true);
  const revoke = useRevokeInvitation(workspace.id);
  const attempt = useAbortable();
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const items = invitations.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <section className="card" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Open invitations</h2>
      {invitations.isPending ? (
        <Spinner label="Loading invitations…" paused={invitations.fetchStatus === "paused"} />
      ) : invitations.isError ? (
        <ErrorAlert error={invitations.error}>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void invitations.refetch()}>
            Try again
          </button>
        </ErrorAlert>
      ) : items.length === 0 ? (
        <p className="muted">No open invitations.</p>
      ) : (
        <ul className="people-list" aria-label="Open invitations">
          {items.map((invitation) => (
            <li key={invitation.id} className="person">
              <div className="person-info">
                <span className="person-name">{invitation.email}</span>
                <span className="person-meta">
                  {ROLE_LABELS[invitation.role]} · invited by {personName(invitation.invited_by)} ·{" "}
                  {invitation.status === "expired" ? (
                    <span className="badge badge-muted">Expired</span>
                  ) : (
                    <>expires {formatDate(invitation.expires_at)}</>
                  )}
                </span>
              </div>
              <div className="person-actions">
                <button
                  type="button"
                  className="btn btn-ghost-danger btn-small"
                  aria-label={`Revoke the invitation for ${invitation.email}`}
                  onClick={() => {
                    revoke.reset();
                    setRevoking(invitation);
                  }}
                >
                  Revoke
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <LoadMore query={invitations} what="invitations" />
      {revoking ? (
        <ConfirmDialog
          title={`Revoke the invitation for ${revoking.email}?`}
          confirmLabel="Revoke invitation"
          busyLabel="Revoking…"
          busy={revoke.isPending}
          error={revoke.error}
          onCancel={() => {
            attempt.abort();
            revoke.reset();
            setRevoking(null);
          }}
          onConfirm={() =>
            revoke.mutate({ invitationId: revoking.id, signal: attempt.next() }, { onSuccess: () => setRevoking(null) })
          }
        >
          <p>The link stops working at once. You can invite them again later.</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

type PendingAction = { kind: "remove" | "transfer"; member: Member };

function MemberRow({
  member,
  isMe,
  myRole,
  busy,
  onRole,
  onRemove,
  onTransfer,
}: {
  member: Member;
  isMe: boolean;
  myRole: Role;
  busy: boolean;
  onRole(role: Role): void;
  onRemove(): void;
  onTransfer(): void;
}) {
  const name = personName(member);
  const roles = isMe ? [] : assignableRoles(myRole, member.role);
  const removable = !isMe && mayChangeRole(myRole, member.role, null);
  const transferable = !isMe && canTransferOwnership(myRole) && member.role !== "owner";
  return (
    <li className="person">
      <div className="person-info">
        <span className="person-name">
          {name}
          {isMe ? <span className="badge">You</span> : null}
        </span>
        <span className="person-meta">
          {member.email && member.email !== name ? `${member.email} · ` : ""}joined {formatDate(member.joined_at)}
        </span>
      </div>
      <div className="person-actions">
        {roles.length > 1 ? (
          <select
            className="input select select-small"
            aria-label={`Role of ${name}`}
            value={member.role}
            disabled={busy}
            onChange={(e) => onRole(e.target.value as Role)}
          >
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABELS[r]}
              </option>
            ))}
          </select>
        ) : (
          <span className="role-label" aria-label={`Role of ${name}: ${ROLE_LABELS[member.role]}`}>
            {ROLE_LABELS[member.role]}
          </span>
        )}
        {transferable ? (
          <button type="button" className="btn btn-ghost btn-small" onClick={onTransfer} aria-label={`Make ${name} the owner`}>
            Make owner
          </button>
        ) : null}
        {removable ? (
          <button type="button" className="btn btn-ghost-danger btn-small" onClick={onRemove} aria-label={`Remove ${name}`}>
            Remove
          </button>
        ) : null}
      </div>
    </li>
  );
}

function MembersSection({ workspace, meId }: { workspace: Workspace; meId: string | undefined }) {
  const members = useMembers(workspace.id);
  const changeRole = useChangeRole(workspace.id);
  const remove = useRemoveMember(workspace.id);
  const transfer = useTransferOwnership(workspace.id);
  const attempt = useAbortable();
  const [pending, setPending] = useState<PendingAction | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [notice, setNotice] = useState("");
  const items = members.data?.pages.flatMap((p) => p.items) ?? [];

  function close() {
    attempt.abort();
    remove.reset();
    transfer.reset();
    setPending(null);
  }

  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members</h2>
      <p className="visually-hidden" role="status" aria-live="polite">
        {notice}
      </p>
      {failure ? (
        <FailureAlert message={failure} onDismiss={() => setFailure(null)} />
      ) : null}
      {members.isPending ? (
        <Spinner label="Loading members…" paused={members.fetchStatus === "paused"} />
      ) : members.isError && items.length === 0 ? (
        <ErrorAlert error={members.error}>
          <button type="button" className="btn btn-secondary btn-small" onClick={() => void members.refetch()}>
            Try again
          </button>
        </ErrorAlert>
      ) : (
        <ul className="people-list" aria-label={`Members of ${workspace.name}`}>
          {items.map((member) => (
            <MemberRow
              key={member.user_id}
              member={member}
              isMe={member.user_id === meId}
              myRole={workspace.my_role}
              busy={changeRole.isPending && changeRole.variables?.userId === member.user_id}
              onRole={(role) => {
                setFailure(null);
                changeRole.mutate(
                  { userId: member.user_id, role },
                  {
                    onSuccess: () => setNotice(`${personName(member)} is now ${withArticle(role)}.`),
                    onError: (error) =>
                      setFailure(`Couldn’t change ${personName(member)}’s role: ${describeError(error)}`),
                  },
                );
              }}
              onRemove={() => {
                remove.reset();
                setPending({ kind: "remove", member });
              }}
              onTransfer={() => {
                transfer.reset();
                setPending({ kind: "transfer", member });
              }}
            />
          ))}
        </ul>
      )}
      <LoadMore query={members} what="members" />
      {pending?.kind === "remove" ? (
        <ConfirmDialog
          title={`Remove ${personName(pending.member)}?`}
          confirmLabel="Remove"
          busyLabel="Removing…"
          busy={remove.isPending}
          error={remove.error}
          onCancel={close}
          onConfirm={() =>
            remove.mutate(
              { userId: pending.member.user_id, signal: attempt.next() },
              {
                onSuccess: () => {
                  setNotice(`${personName(pending.member)} was removed.`);
                  setPending(null);
                },
              },
            )
          }
        >
          <p>
            They lose access to {workspace.name} and its projects at once. What they created stays. You can invite them
            again later.
          </p>
        </ConfirmDialog>
      ) : null}
      {pending?.kind === "transfer" ? (
        <ConfirmDialog
          title={`Make ${personName(pending.member)} the owner?`}
          confirmLabel="Transfer ownership"
          busyLabel="Transferring…"
          busy={transfer.isPending}
          error={transfer.error}
          onCancel={close}
          onConfirm={() =>
            transfer.mutate(
              { userId: pending.member.user_id, signal: attempt.next() },
              {
                onSuccess: () => {
                  setNotice(`${personName(pending.member)} is now an owner of ${workspace.name}.`);
                  setPending(null);
                },
              },
            )
          }
        >
          <p>
            {personName(pending.member)} becomes an owner of {workspace.name}. You stay on as an admin: you can no longer
            delete the workspace or manage its owners.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function RenameForm({ workspace }: { workspace: Workspace }) {
  const rename = useRenameWorkspace(workspace.id);
  return (
    <OneFieldForm
      label="Workspace name"
      name="name"
      autoComplete="off"
      maxLength={100}
      initial={workspace.name}
      submitLabel="Rename"
      required="Give the workspace a name."
      save={(name, saved) => rename.mutate(name, { onSuccess: saved })}
      pending={rename.isPending}
      error={rename.error}
    />
  );
}

function WorkspaceSection({ workspace }: { workspace: Workspace }) {
  const navigate = useNavigate();
  const leave = useLeaveWorkspace(workspace.id);
  const remove = useDeleteWorkspace(workspace.id);
  const attempt = useAbortable();
  const [confirming, setConfirming] = useState<"leave" | "delete" | null>(null);
  const renamable = canRenameWorkspace(workspace.my_role);
  const deletable = canDeleteWorkspace(workspace.my_role) && !workspace.personal;
  // Everybody may leave a shared workspace (the server refuses the last owner: 409).
  const leavable = !workspace.personal;
  if (!renamable && !leavable) return null;

  function gone() {
    setCurrentWorkspace(null);
    void navigate("/", { replace: true });
  }

  function close() {
    attempt.abort();
    leave.reset();
    remove.reset();
    setConfirming(null);
  }

  return (
    <section className="card" aria-labelledby="workspace-title">
      <h2 id="workspace-title">Workspace</h2>
      {renamable ? <RenameForm key={workspace.name} workspace={workspace} /> : null}
      {workspace.personal ? (
        <p className="muted small workspace-note">Your personal workspace goes only with your account.</p>
      ) : (
        <div className="workspace-leave">
          <button
            type="button"
            className="btn btn-secondary"
            onClick={() => {
              leave.reset();
              setConfirming("leave");
            }}
          >
            Leave workspace
          </button>
          {deletable ? (
            <button
              type="button"
              className="btn btn-ghost-danger"
              onClick={() => {
                remove.reset();
                setConfirming("delete");
              }}
            >
              Delete workspace
            </button>
          ) : null}
        </div>
      )}
      {confirming === "leave" ? (
        <ConfirmDialog
          title={`Leave ${workspace.name}?`}
          confirmLabel="Leave workspace"
          busyLabel="Leaving…"
          busy={leave.isPending}
          error={leave.error}
          onCancel={close}
          onConfirm={() => leave.mutate({ signal: attempt.next() }, { onSuccess: gone })}
        >
          <p>
            You lose access to its projects at once. What you created stays. To come back, someone has to invite you
            again.
          </p>
        </ConfirmDialog>
      ) : null}
      {confirming === "delete" ? (
        <ConfirmDialog
          title={`Delete ${workspace.name}?`}
          confirmLabel="Delete workspace"
          busyLabel="Deleting…"
          busy={remove.isPending}
          error={remove.error}
          onCancel={close}
          onConfirm={() => remove.mutate({ signal: attempt.next() }, { onSuccess: gone })}
        >
          <p>
            The workspace with all its projects and tasks will be deleted for good, for all its{" "}
            {workspace.member_count === 1 ? "member" : `${workspace.member_count} members`}. This can’t be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function Members({ workspace }: { workspace: Workspace }) {
  useDocumentTitle(`Members · ${workspace.name}`);
  const me = useMe();
  const manage = canManageMembers(workspace.my_role);
  return (
    <>
      <div className="page-header">
        <div>
          <h1 tabIndex={-1}>Members</h1>
          <p className="muted">Who can see and change the projects in {workspace.name}.</p>
        </div>
      </div>
      <div className="stack">
        {manage ? <InviteSection workspace={workspace} /> : null}
        {manage ? <InvitationsSection workspace={workspace} /> : null}
        <MembersSection workspace={workspace} meId={me.data?.id} />
        <WorkspaceSection workspace={workspace} />
      </div>
    </>
  );
}

/** `/w/:workspaceId/members`: who belongs, invitations, roles; controls by the caller's role. */
export function MembersPage() {
  const { workspaceId = "" } = useParams();
  return <WorkspaceShell workspaceId={workspaceId}>{(workspace) => <Members workspace={workspace} />}</WorkspaceShell>;
}
