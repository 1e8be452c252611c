import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Markdown } from "./Markdown";

describe("Markdown", () => {
  it("opens links in a new tab with rel=noopener noreferrer", () => {
    render(<Markdown>{"See [the brief](https://example.com/brief) and <https://example.org>."}</Markdown>);
    const link = screen.getByRole("link", { name: "the brief" });
    expect(link).toHaveAttribute("href", "https://example.com/brief");
    expect(link).toHaveAttribute("target", "_blank");
    expect(link).toHaveAttribute("rel", "noopener noreferrer");
  });

  it("shows raw HTML as text instead of running or rendering it", () => {
    const { container } = render(<Markdown>{'Hello <script>alert("x")</script> <img src=x onerror="alert(1)"> **bold**'}</Markdown>);
    expect(container.querySelector("script")).toBeNull();
    expect(container.querySelector("img")).toBeNull();
    expect(container).toHaveTextContent('<script>alert("x")</script>');
    expect(container.querySelector("strong")).toHaveTextContent("bold");
  });

  it("drops javascript: link targets", () => {
    render(<Markdown>{"[click](javascript:alert(1))"}</Markdown>);
    expect(screen.getByText("click").getAttribute("href") ?? "").not.toMatch(/javascript/i);
  });
});
