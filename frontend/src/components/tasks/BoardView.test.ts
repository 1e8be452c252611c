import { describe, expect, it } from "vitest";
import { shownIds } from "./BoardView";

describe("shownIds", () => {
  const ids = ["a", "b", "c", "d", "e"];
  const none = () => false;

  it("renders a short column whole", () => {
    expect(shownIds(ids, 5, none)).toEqual(ids);
    expect(shownIds(ids, 100, none)).toBe(ids);
  });

  it("renders the first cards of a long column, in order", () => {
    expect(shownIds(ids, 2, none)).toEqual(["a", "b"]);
  });

  it("past the limit, still renders the cards that must show, in the column's order", () => {
    expect(shownIds(ids, 2, (id) => id === "e" || id === "d")).toEqual(["a", "b", "d", "e"]);
  });
});
