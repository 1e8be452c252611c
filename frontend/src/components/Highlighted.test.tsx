import { render } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { Highlighted, highlightParts } from "./Highlighted";

const marks = (container: HTMLElement) => [...container.querySelectorAll("mark")].map((m) => m.textContent);

describe("highlightParts", () => {
  it("cuts at UTF-16 offsets, past an emoji's two code units", () => {
    // "🌱" is two UTF-16 code units: "Dig" starts at 3, not 2.
    const text = "🌱 Dig the beds";
    expect(highlightParts(text, [{ start: 3, end: 6 }])).toEqual([
      { text: "🌱 ", marked: false },
      { text: "Dig", marked: true },
      { text: " the beds", marked: false },
    ]);
  });

  it("keeps the whole text whatever the spans say", () => {
    const text = "plant beans";
    const parts = highlightParts(text, [
      { start: 6, end: 11 },
      { start: 0, end: 5 },
      { start: 3, end: 8 },
      { start: 40, end: 50 },
    ]);
    expect(parts.map((p) => p.text).join("")).toBe(text);
    expect(parts.filter((p) => p.marked).map((p) => p.text)).toEqual(["plant", " be", "ans"]);
    expect(highlightParts("", [])).toEqual([{ text: "", marked: false }]);
  });
});

describe("Highlighted", () => {
  it("marks the spans and shows markup in a title as text", () => {
    const text = '<img src=x onerror="alert(1)"> 🌱 <b>beds</b>';
    const start = text.indexOf("<b>");
    const { container } = render(
      <p>
        <Highlighted text={text} spans={[{ start, end: start + "<b>beds</b>".length }]} />
      </p>,
    );
    expect(container.querySelector("img")).toBeNull();
    expect(container.querySelector("b")).toBeNull();
    expect(container.textContent).toBe(text);
    expect(marks(container)).toEqual(["<b>beds</b>"]);
  });

  it("marks an emoji whole", () => {
    const { container } = render(
      <p>
        <Highlighted text="a 🌱 b" spans={[{ start: 2, end: 4 }]} />
      </p>,
    );
    expect(marks(container)).toEqual(["🌱"]);
  });
});
