import { beforeEach, describe, expect, it } from "vitest";
import type { Workspace } from "./client";
import { chooseWorkspace, resetCurrentWorkspaceForTests, setCurrentWorkspace } from "./currentWorkspace";
import { workspace } from "../test/utils";

const personal = workspace({ id: "p", name: "Personal", personal: true }) as Workspace;
const club = workspace({ id: "c", name: "Garden club" }) as Workspace;

beforeEach(() => {
  resetCurrentWorkspaceForTests();
  window.localStorage.clear();
});

describe("the current workspace", () => {
  it("is the one last opened, while the person still belongs to it", () => {
    expect(chooseWorkspace([personal, club], "c")).toBe(club);
  });

  it("falls back to the personal workspace when the remembered one is gone", () => {
    expect(chooseWorkspace([club, personal], "removed-from-it")).toBe(personal);
    expect(chooseWorkspace([club, personal], null)).toBe(personal);
    expect(chooseWorkspace([], "c")).toBeUndefined();
  });

  it("is remembered across visits as an id only", () => {
    setCurrentWorkspace("c");
    expect(window.localStorage.getItem("projectconnect.workspace")).toBe("c");
    setCurrentWorkspace(null);
    expect(window.localStorage.getItem("projectconnect.workspace")).toBeNull();
  });
});
