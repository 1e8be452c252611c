import {
  useEffect,
  useId,
  useState,
  type InputHTMLAttributes,
  type ReactNode,
  type RefObject,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
} from "react";
import { fieldErrorMap } from "../api/errors";

interface FieldShellProps {
  id: string;
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  /** Shown under the error: a way out of it (e.g. a link to log in instead). */
  errorAction?: ReactNode;
  optional?: boolean;
  children: ReactNode;
}

function FieldShell({ id, label, error, hint, errorAction, optional, children }: FieldShellProps) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id} className="field-label">
        {label}
        {optional ? <span className="field-optional"> (optional)</span> : null}
      </label>
      {hint ? (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      ) : null}
      {children}
      {error ? (
        <p id={`${id}-error`} className="field-error">
          <span aria-hidden="true">⚠ </span>
          {error}
        </p>
      ) : null}
      {error && errorAction ? <p className="field-error-action">{errorAction}</p> : null}
    </div>
  );
}

function describedBy(id: string, error?: string, hint?: ReactNode): string | undefined {
  const ids = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean);
  return ids.length ? ids.join(" ") : undefined;
}

type TextFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "id"> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  errorAction?: ReactNode;
  optional?: boolean;
  ref?: RefObject<HTMLInputElement | null>;
};

/** A labelled input with its hint and error tied to it for assistive technology. */
export function TextField({ label, error, hint, errorAction, optional, ref, ...input }: TextFieldProps) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} error={error} hint={hint} errorAction={errorAction} optional={optional ?? false}>
      <input
        ref={ref}
        id={id}
        className="input"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...input}
      />
    </FieldShell>
  );
}

type TextAreaFieldProps = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, "id"> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  optional?: boolean;
};

export function TextAreaField({ label, error, hint, optional, ...textarea }: TextAreaFieldProps) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} error={error} hint={hint} optional={optional ?? false}>
      <textarea
        id={id}
        className="input textarea"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...textarea}
      />
    </FieldShell>
  );
}

/**
 * A form's field errors: the client's own checks and the API's problem+json `errors`,
 * merged per field. An error disappears once its field is edited; after each failed
 * attempt, focus moves to the first field marked invalid so keyboard and screen-reader
 * users land on the problem. `formError` is a failure that names no field (a 429, a
 * network error...), for an alert above the form.
 */
export function useFormErrors(formRef: RefObject<HTMLFormElement | null>, serverError: unknown) {
  const [client, setClient] = useState<{ errors: Record<string, string>; attempt: number }>({ errors: {}, attempt: 0 });
  const [dismissed, setDismissed] = useState<{ source: unknown; fields: string[] }>({ source: null, fields: [] });

  const server = fieldErrorMap(serverError);
  const hidden = dismissed.source === serverError ? dismissed.fields : [];
  const errors: Record<string, string> = {};
  for (const [field, message] of Object.entries(server)) if (!hidden.includes(field)) errors[field] = message;
  Object.assign(errors, client.errors);
  const formError = serverError && Object.keys(server).length === 0 ? serverError : null;

  useEffect(() => {
    if (client.attempt === 0 && !serverError) return;
    formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [formRef, client.attempt, serverError]);

  return {
    errors,
    formError,
    /** Shows the client-side problems found before sending; true when there are none. */
    check(found: Record<string, string>): boolean {
      const ok = Object.keys(found).length === 0;
      setClient((c) => ({ errors: found, attempt: ok ? c.attempt : c.attempt + 1 }));
      return ok;
    },
    /** Call from a field's onChange: its error is out of date. */
    edited(field: string) {
      if (field in client.errors) {
        setClient((c) => {
          const { [field]: _gone, ...rest } = c.errors;
          return { ...c, errors: rest };
        });
      }
      if (field in server && !hidden.includes(field)) setDismissed({ source: serverError, fields: [...hidden, field] });
    },
  };
}

type SelectFieldProps = Omit<SelectHTMLAttributes<HTMLSelectElement>, "id"> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: ReactNode;
};

export function SelectField({ label, error, hint, children, ...select }: SelectFieldProps) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} error={error} hint={hint}>
      <select
        id={id}
        className="input select"
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, error, hint)}
        {...select}
      >
        {children}
      </select>
    </FieldShell>
  );
}

/** The password policy as the forms put it; the server checks the rest (common passwords, the email). */
export const PASSWORD_HINT = "At least 8 characters. Avoid common passwords and your email.";

/** The part of the password policy a form can check before sending: its length. */
export function passwordTooShort(password: string): string | undefined {
  return password.length < 8 ? "Use at least 8 characters." : undefined;
}

/** A new password as typed twice. */
export interface NewPassword {
  password: string;
  confirm: string;
}

export const NO_NEW_PASSWORD: NewPassword = { password: "", confirm: "" };

/** What is wrong with a new password before sending, by field: `new_password`, else `confirm_password`. */
export function newPasswordProblems({ password, confirm }: NewPassword): Record<string, string> {
  const short = passwordTooShort(password);
  if (short) return { new_password: short };
  if (password !== confirm) return { confirm_password: "The two passwords differ." };
  return {};
}

interface NewPasswordFieldsProps {
  value: NewPassword;
  onChange(value: NewPassword): void;
  /** The form's errors (see useFormErrors); those of `new_password` and `confirm_password` show here. */
  errors: Record<string, string>;
  edited(field: string): void;
}

/** "New password" with the policy's hint, and "Confirm new password". */
export function NewPasswordFields({ value, onChange, errors, edited }: NewPasswordFieldsProps) {
  return (
    <>
      <TextField
        label="New password"
        type="password"
        name="new_password"
        autoComplete="new-password"
        hint={PASSWORD_HINT}
        value={value.password}
        onChange={(e) => {
          onChange({ ...value, password: e.target.value });
          edited("new_password");
        }}
        error={errors.new_password}
      />
      <TextField
        label="Confirm new password"
        type="password"
        name="confirm_password"
        autoComplete="new-password"
        value={value.confirm}
        onChange={(e) => {
          onChange({ ...value, confirm: e.target.value });
          edited("confirm_password");
        }}
        error={errors.confirm_password}
      />
    </>
  );
}
