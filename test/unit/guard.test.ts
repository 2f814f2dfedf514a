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
        {
          address: "module.platform.module.database.scaleway_rdb_instance.this",
          type: "scaleway_rdb_instance",
          action: "replace" as const,
          reason: "cannot update",
        },
        { address: "scaleway_object_bucket.state", type: "scaleway_object_bucket", action: "delete" as const },
        { address: "scaleway_container.api", type: "scaleway_container", action: "replace" as const },
      ]),
    };
    const err = await refusal(input);
    expect(err.exitCode).toBe(5);
    expect(err.reasons).toEqual([
      "replaces stateful module.platform.module.database.scaleway_rdb_instance.this (cannot update)",
      "deletes stateful scaleway_object_bucket.state",
    ]);
    expect(err.hint).toBe(
      "if this data loss is intended, run again with --allow-destroy module.platform.module.database.scaleway_rdb_instance.this --allow-destroy scaleway_object_bucket.state",
    );
    // Naming one is not enough; naming both is.
    await expect(checkPlan({ ...input, allowDestroy: ["scaleway_object_bucket.state"] })).rejects.toBeInstanceOf(GuardRefusedError);
    await expect(
      checkPlan({ ...input, allowDestroy: ["module.platform.module.database.scaleway_rdb_instance.this", "scaleway_object_bucket.state"] }),
    ).resolves.toMatchObject({ allowed: true });
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
    expect(await checkPlan({ ...base, protection: "protected", summary: summary([]) })).toMatchObject({
      allowed: true,
      confirmation: "not-needed",
    });
  });

  it("only deleting, replacing or forgetting a resource of a stateful type needs --allow-destroy", async () => {
    const changes = (type: string, action: PlanSummary["changes"][number]["action"]) => summary([{ address: `${type}.x`, type, action }]);
    // Any change to a resource that holds no data passes; so does creating or updating a stateful one.
    for (const action of ["create", "update", "delete", "replace"] as const) {
      expect(await checkPlan({ ...base, summary: changes("scaleway_container", action) })).toMatchObject({ allowed: true });
    }
    for (const action of ["create", "update"] as const) {
      expect(await checkPlan({ ...base, summary: changes("scaleway_rdb_instance", action) })).toMatchObject({ allowed: true });
    }
    // forget drops the database from the state: nothing manages its data any more.
    const forget = await refusal({ ...base, summary: changes("scaleway_rdb_instance", "forget") });
    expect(forget.reasons).toEqual(["deletes stateful scaleway_rdb_instance.x"]);
  });

  it("the stateful types are the config's: a type not listed is not protected", async () => {
    const db = { address: "scaleway_rdb_instance.db", type: "scaleway_rdb_instance", action: "delete" as const };
    const input = { ...base, summary: summary([db]) };
    expect(await checkPlan({ ...input, statefulTypes: ["scaleway_object_bucket"] })).toMatchObject({ allowed: true });
    await expect(checkPlan(input)).rejects.toBeInstanceOf(GuardRefusedError);
  });

  it("--allow-destroy names addresses exactly: another address or a type does not consent", async () => {
    const db = { address: "scaleway_rdb_instance.db", type: "scaleway_rdb_instance", action: "replace" as const };
    const input = { ...base, summary: summary([db]) };
    for (const allowDestroy of [["scaleway_rdb_instance.other"], ["scaleway_rdb_instance"], ["scaleway_rdb_instance.db[0]"]]) {
      expect((await refusal({ ...input, allowDestroy })).reasons).toEqual(["replaces stateful scaleway_rdb_instance.db"]);
    }
  });

  it("a protected environment: data loss is refused first, before anyone is asked", async () => {
    const asked: string[] = [];
    const input = {
      ...base,
      environment: "production",
      protection: "protected" as const,
      summary: summary([{ address: "scaleway_rdb_instance.db", type: "scaleway_rdb_instance", action: "delete" as const }]),
      confirm: async (q: string) => (asked.push(q), true),
    };
    const withYes = await refusal({ ...input, yes: true });
    expect(withYes.message).toBe("the plan for production deletes stateful scaleway_rdb_instance.db; refusing to apply it");
    expect((await refusal(input)).reasons).toEqual(["deletes stateful scaleway_rdb_instance.db"]);
    expect(asked).toEqual([]);
    // Consent to the destroy still leaves the protected environment's confirmation.
    const consented = { ...input, allowDestroy: ["scaleway_rdb_instance.db"] };
    expect(await checkPlan(consented)).toMatchObject({ allowed: true, confirmation: "prompt" });
    expect(asked).toEqual(["Apply this plan to production?"]);
    expect((await refusal({ ...consented, confirm: null })).message).toMatch(/production is protected/);
  });

  it("each refusal says what to do: its code, exit code 5, and a hint", async () => {
    const prod = { ...base, environment: "production", protection: "protected" as const };
    const noTerminal = await refusal(prod);
    expect(noTerminal).toMatchObject({ code: "guard_refused", exitCode: 5, hint: "run again with --yes to confirm the plan shown above" });
    expect(noTerminal.reasons).toEqual(["production is protected and this shell is not interactive"]);
    const declined = await refusal({ ...prod, confirm: async () => false });
    const declinedSays = {
      message: "the operator declined the plan; nothing was applied",
      hint: "review the plan and run again when ready",
    };
    expect(declined).toMatchObject({ exitCode: 5, ...declinedSays });
    expect(declined.reasons).toEqual(["the operator declined the plan"]);
  });
});
