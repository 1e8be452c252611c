import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useRef, useState, type FormEvent } from "react";
import { describe, expect, it, vi } from "vitest";
import { NewPasswordFields, newPasswordProblems, NO_NEW_PASSWORD, PASSWORD_HINT, useFormErrors } from "./fields";

describe("newPasswordProblems", () => {
  it("asks for the policy's length first, then for the same password twice", () => {
    expect(newPasswordProblems({ password: "short", confirm: "other" })).toEqual({
      new_password: "Use at least 8 characters.",
    });
    expect(newPasswordProblems({ password: "password1", confirm: "password2" })).toEqual({
      confirm_password: "The two passwords differ.",
    });
    expect(newPasswordProblems({ password: "password1", confirm: "password1" })).toEqual({});
  });
});

function NewPasswordForm({ send }: { send(password: string): void }) {
  const [value, setValue] = useState(NO_NEW_PASSWORD);
  const formRef = useRef<HTMLFormElement>(null);
  const { errors, check, edited } = useFormErrors(formRef, null);
  function submit(event: FormEvent) {
    event.preventDefault();
    if (check(newPasswordProblems(value))) send(value.password);
  }
  return (
    <form ref={formRef} onSubmit={submit} noValidate>
      <NewPasswordFields value={value} onChange={setValue} errors={errors} edited={edited} />
      <button type="submit">Save</button>
    </form>
  );
}

describe("NewPasswordFields", () => {
  it("gives the policy as the new password's hint", () => {
    render(<NewPasswordForm send={vi.fn()} />);
    expect(screen.getByLabelText("New password")).toHaveAccessibleDescription(PASSWORD_HINT);
    expect(screen.getByLabelText("Confirm new password")).not.toHaveAccessibleDescription();
  });

  it("shows a mismatch on the confirmation, focused, until it is edited", async () => {
    const user = userEvent.setup();
    const send = vi.fn();
    render(<NewPasswordForm send={send} />);
    const confirm = screen.getByLabelText("Confirm new password");
    await user.type(screen.getByLabelText("New password"), "password1");
    await user.type(confirm, "password2");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(confirm).toHaveAccessibleDescription("The two passwords differ.");
    expect(confirm).toHaveAttribute("aria-invalid", "true");
    expect(confirm).toHaveFocus();
    expect(screen.getByLabelText("New password")).not.toHaveAttribute("aria-invalid");
    expect(send).not.toHaveBeenCalled();

    await user.type(confirm, "{Backspace}1");
    expect(confirm).not.toHaveAttribute("aria-invalid");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(send).toHaveBeenCalledWith("password1");
  });
});
