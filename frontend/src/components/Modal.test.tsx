import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { useState } from "react";
import { describe, expect, it } from "vitest";
import { Modal } from "./Modal";

function Harness() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" onClick={() => setOpen(true)}>
        Open
      </button>
      <button type="button">Behind</button>
      {open ? (
        <Modal title="Rename" onClose={() => setOpen(false)}>
          <input aria-label="First" />
          <button type="button" onClick={() => setOpen(false)}>
            Done
          </button>
        </Modal>
      ) : null}
    </>
  );
}

function renderInRoot() {
  const root = document.createElement("div");
  root.id = "root";
  document.body.appendChild(root);
  const result = render(<Harness />, { container: root });
  return { ...result, root };
}

describe("Modal", () => {
  it("is a labelled modal dialog that takes focus and makes the page inert", async () => {
    const user = userEvent.setup();
    const { root } = renderInRoot();
    await user.click(screen.getByRole("button", { name: "Open" }));
    const dialog = screen.getByRole("dialog", { name: "Rename" });
    expect(dialog).toHaveAttribute("aria-modal", "true");
    // The first field, not the close button: people open a dialog to fill it in.
    expect(screen.getByLabelText("First")).toHaveFocus();
    expect(root).toHaveAttribute("inert");
    root.remove();
  });

  it("traps Tab and Shift+Tab inside", async () => {
    const user = userEvent.setup();
    const { root } = renderInRoot();
    await user.click(screen.getByRole("button", { name: "Open" }));
    const close = screen.getByRole("button", { name: "Close" });
    const done = screen.getByRole("button", { name: "Done" });
    expect(screen.getByLabelText("First")).toHaveFocus();
    await user.tab();
    expect(done).toHaveFocus();
    await user.tab(); // wraps
    expect(close).toHaveFocus();
    await user.tab({ shift: true }); // wraps back
    expect(done).toHaveFocus();
    root.remove();
  });

  it("closes on Escape and gives focus back to the opener", async () => {
    const user = userEvent.setup();
    const { root } = renderInRoot();
    const opener = screen.getByRole("button", { name: "Open" });
    await user.click(opener);
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
    expect(root).not.toHaveAttribute("inert");
    root.remove();
  });
});
