import { useRef, useState, type FormEvent, type ReactNode } from "react";
import { ErrorAlert } from "./feedback";
import { TextField, useFormErrors } from "./fields";

type OneFieldFormProps = {
  label: string;
  /** The field's name, as the server's problem documents name it. */
  name: string;
  initial: string;
  maxLength: number;
  autoComplete: string;
  hint?: ReactNode;
  submitLabel: string;
  /** When set, an empty value is refused with this message instead of being sent. */
  required?: string;
  /** Sends the trimmed value; `saved` is called once the server has kept it. */
  save: (value: string, saved: () => void) => void;
  pending: boolean;
  error: unknown;
};

/** A form that changes one text value (a name): its errors, its pending state and "Saved.". */
export function OneFieldForm({ label, name, initial, maxLength, autoComplete, hint, submitLabel, required, save, pending, error }: OneFieldFormProps) {
  const [value, setValue] = useState(initial);
  const [saved, setSaved] = useState(false);
  const formRef = useRef<HTMLFormElement>(null);
  const { errors, formError, check, edited } = useFormErrors(formRef, error);

  function submit(event: FormEvent) {
    event.preventDefault();
    setSaved(false);
    const trimmed = value.trim();
    if (!check(required && !trimmed ? { [name]: required } : {})) return;
    save(trimmed, () => setSaved(true));
  }

  return (
    <>
      <ErrorAlert error={formError} />
      <form ref={formRef} onSubmit={submit} noValidate className="form form-narrow">
        <TextField
          label={label}
          name={name}
          autoComplete={autoComplete}
          maxLength={maxLength}
          hint={hint}
          value={value}
          onChange={(e) => {
            setValue(e.target.value);
            setSaved(false);
            edited(name);
          }}
          error={errors[name]}
        />
        <div className="form-actions">
          <button type="submit" className="btn btn-primary" disabled={pending}>
            {pending ? "Saving…" : submitLabel}
          </button>
          <span role="status" className="form-success">
            {saved ? "Saved." : ""}
          </span>
        </div>
      </form>
    </>
  );
}
