import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { OneFieldForm } from "./OneFieldForm";

function renderForm(save: (value: string, saved: () => void) => void, required?: string) {
  return render(
    <OneFieldForm
      label="Name"
      name="name"
      initial="  Old  "
      maxLength={100}
      autoComplete="off"
      submitLabel="Rename"
      save={save}
      pending={false}
      error={null}
      {...(required ? { required } : {})}
    />,
  );
}

describe("OneFieldForm", () => {
  it("sends the trimmed value and says it is saved once the server kept it", async () => {
    const user = userEvent.setup();
    const save = vi.fn((_value: string, saved: () => void) => saved());
    renderForm(save);
    const field = screen.getByRole("textbox", { name: "Name" });
    await user.clear(field);
    await user.type(field, "  New name ");
    await user.click(screen.getByRole("button", { name: "Rename" }));
    expect(save).toHaveBeenCalledWith("New name", expect.any(Function));
    expect(screen.getByRole("status")).toHaveTextContent("Saved.");
    await user.type(field, "x");
    expect(screen.getByRole("status")).toHaveTextContent("");
  });

  it("refuses an empty required value without sending it", async () => {
    const user = userEvent.setup();
    const save = vi.fn();
    renderForm(save, "Give it a name.");
    await user.clear(screen.getByRole("textbox", { name: "Name" }));
    await user.click(screen.getByRole("button", { name: "Rename" }));
    expect(save).not.toHaveBeenCalled();
    expect(screen.getByText("Give it a name.")).toBeInTheDocument();
  });

  it("sends an empty value when none is required", async () => {
    const user = userEvent.setup();
    const save = vi.fn();
    renderForm(save);
    await user.clear(screen.getByRole("textbox", { name: "Name" }));
    await user.click(screen.getByRole("button", { name: "Rename" }));
    expect(save).toHaveBeenCalledWith("", expect.any(Function));
  });
});
