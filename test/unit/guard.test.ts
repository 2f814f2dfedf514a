import { describe, expect, it } from "vitest";
import { checkPlan, GuardRefusedError, type GuardInput } from "../../src/guard/index.js";
import type { PlanSummary } from "../../src/tofu/index.js";

const summary = (changes: PlanSummary["changes"]): PlanSummary => ({
  changes,
  counts: { create: 0, update: 0, delete: 0, replace: 0 },
  outputChanges: [],
  hasChanges: changes.length > 0,
});

const base: GuardInput = {
  environment: "staging",
  protection: "standard",
  summary: summary([{ address: "module.app.scaleway_container.api", type: "scaleway_container", action: "update" }]),
  statefulTypes: ["scaleway_rdb_instance", "scaleway_object_bucket"],
  allowDestroy: [],
  yes: false,
  confirm: null,
};

async function refusal(input: GuardInput): Promise<GuardRefusedError> {
  try {
    await checkPlan(input);
  } catch (err) {
    if (err instanceof GuardRefusedError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("plan guard", () => {
  it("lets an ordinary change to a standard environment through", async () => {
    expect(await checkPlan(base)).toEqual({ allowed: true, confirmation: "not-needed", reasons: [] });
  });

  it("refuses to replace or delete a stateful resource, even with --yes", async () => {
    const input = {
      ...base,
      yes: true,
      summary: summary([
        { address: "module.platform.module.database.scaleway_rdb_instance.this", type: "scaleway_rdb_instance", action: "replace" as const, reason: "cannot update" },
        { address: "scaleway_object_bucket.state", type: "scaleway_object_bucket", action: "delete" as const },
        { address: "scaleway_container.api", type: "scaleway_container", action: "replace" as const },
      ]),
    };
    const err = await refusal(input);
    expect(err.exitCode).toBe(5);
    expect(err.reasons).toEqual(["replaces stateful module.platform.module.database.scaleway_rdb_instance.this (cannot update)", "deletes stateful scaleway_object_bucket.state"]);
    expect(err.hint).toBe("if this data loss is intended, run again with --allow-destroy module.platform.module.database.scaleway_rdb_instance.this --allow-destroy scaleway_object_bucket.state");
    // Naming one is not enough; naming both is.
    await expect(checkPlan({ ...input, allowDestroy: ["scaleway_object_bucket.state"] })).rejects.toBeInstanceOf(GuardRefusedError);
    await expect(checkPlan({ ...input, allowDestroy: ["module.platform.module.database.scaleway_rdb_instance.this", "scaleway_object_bucket.state"] })).resolves.toMatchObject({ allowed: true });
  });

  it("a protected environment: refused without a terminal, allowed by --yes or by a typed yes", async () => {
    const prod = { ...base, environment: "production", protection: "protected" as const };
    expect((await refusal(prod)).message).toMatch(/production is protected and this shell is not interactive/);
    expect(await checkPlan({ ...prod, yes: true })).toMatchObject({ confirmation: "flag" });
    const asked: string[] = [];
    expect(await checkPlan({ ...prod, confirm: async (q) => (asked.push(q), true) })).toMatchObject({ confirmation: "prompt" });
    expect(asked).toEqual(["Apply this plan to production?"]);
    expect((await refusal({ ...prod, confirm: async () => false })).message).toMatch(/declined/);
  });

  it("a protected environment with nothing to change needs no confirmation", async () => {
    expect(await checkPlan({ ...base, protection: "protected", summary: summary([]) })).toMatchObject({ allowed: true, confirmation: "not-needed" });
  });
});
