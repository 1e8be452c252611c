import { describe, expect, it } from "vitest";
import type { Workspace } from "../api/client";
import { workspace } from "../test/utils";
import { accountDeletionFate } from "./AccountPage";

const owned = (name: string, extra: Record<string, unknown>) => workspace({ id: name, name, ...extra }) as Workspace;

describe("what deleting the account does to owned workspaces", () => {
  it("sorts them into deleted, passed on (to whom) and kept by other owners", () => {
    const bob = { user_id: "b", display_name: "Bob", email: "bob@example.com" };
    const fate = accountDeletionFate([
      owned("Personal", { personal: true, deleted_with_account: true }),
      owned("Solo", { deleted_with_account: true }),
      owned("Club", { deleted_with_account: false, successor: bob }),
      owned("Co-owned", { deleted_with_account: false, successor: null }),
    ]);
    expect(fate.deleted.map((w) => w.name)).toEqual(["Personal", "Solo"]);
    expect(fate.passedOn.map((w) => [w.name, w.successor?.display_name])).toEqual([["Club", "Bob"]]);
    expect(fate.kept.map((w) => w.name)).toEqual(["Co-owned"]);
  });
});
