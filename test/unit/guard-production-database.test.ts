import { describe, expect, it } from "vitest";
import { loadConfig, resolveEnvironment } from "../../src/config/index.js";
import { checkPlan, GuardRefusedError, type GuardInput } from "../../src/guard/index.js";
import { summarizeShowJson } from "../../src/tofu/index.js";
import type { ShowJsonPlan } from "../../src/tofu/plan-summary.js";
import { REPO } from "../helpers/project.js";
import { rejection } from "../helpers/rejection.js";

/**
 * Production's database behind the CLI's plan guard, with the project's own evalap-infra.json (its
 * production protection and the guard's stateful types) and the plan as `tofu show -json` writes it.
 * OpenTofu refuses such a plan first (prevent_database_destroy, infra/production); the guard is the
 * second line, for a plan made with prevent_database_destroy = false.
 */
const DATABASE = "module.platform.module.database.scaleway_rdb_instance.this";

const plan = (actions: string[], actionReason?: string): ShowJsonPlan => ({
  resource_changes: [
    {
      address: DATABASE,
      type: "scaleway_rdb_instance",
      mode: "managed",
      ...(actionReason ? { action_reason: actionReason } : {}),
      change: { actions },
    },
  ],
});

async function production(show: ShowJsonPlan, over: Partial<GuardInput> = {}): Promise<GuardInput> {
  const config = await loadConfig(REPO);
  const env = resolveEnvironment(config, "production");
  return {
    environment: env.name,
    protection: env.protection,
    summary: summarizeShowJson(show),
    statefulTypes: config.guard.statefulTypes,
    allowDestroy: [],
    yes: true,
    confirm: null,
    ...over,
  };
}

/** The guard's refusal of `input` (anything else it throws fails the test). */
async function refusal(input: GuardInput): Promise<GuardRefusedError> {
  const err = await rejection(checkPlan(input));
  expect(err).toBeInstanceOf(GuardRefusedError);
  return err as GuardRefusedError;
}

describe("the plan guard on production's database instance", () => {
  it("refuses deleting it, even with --yes, and names the flag that consents", async () => {
    const input = await production(plan(["delete"]));
    expect(input.protection).toBe("protected");
    const err = await refusal(input);
    expect(err.exitCode).toBe(5);
    expect(err.message).toBe(`the plan for production deletes stateful ${DATABASE}; refusing to apply it`);
    expect(err.hint).toBe(`if this data loss is intended, run again with --allow-destroy ${DATABASE}`);
  });

  it("refuses replacing it (delete then create) the same way", async () => {
    const err = await refusal(await production(plan(["delete", "create"], "replace_because_cannot_update")));
    expect(err.reasons).toEqual([`replaces stateful ${DATABASE} (cannot update)`]);
  });

  it("applies only with --allow-destroy naming that exact address, and --yes for the protected environment", async () => {
    const show = plan(["delete"]);
    for (const allowDestroy of [["scaleway_rdb_instance.this"], ["module.platform.module.database"], [`${DATABASE}[0]`]])
      await expect(checkPlan(await production(show, { allowDestroy }))).rejects.toBeInstanceOf(GuardRefusedError);
    expect(await checkPlan(await production(show, { allowDestroy: [DATABASE] }))).toEqual({
      allowed: true,
      confirmation: "flag",
      reasons: [],
    });
    // Consent to the loss does not replace production's confirmation.
    await expect(checkPlan(await production(show, { allowDestroy: [DATABASE], yes: false }))).rejects.toThrow(
      /production is protected and this shell is not interactive/,
    );
  });
});
