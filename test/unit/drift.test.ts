import { describe, expect, it } from "vitest";
import { auditDetail } from "../../src/operations/drift.js";
import { driftLines } from "../../src/cli/commands/drift.js";
import { Redactor } from "../../src/report/redact.js";
import { driftOf, SENSITIVE, type ShowJsonPlan } from "../../src/tofu/plan-summary.js";

/**
 * The drift of a refresh-only plan as `tofu show -json` writes it: `resource_drift` entries with the
 * state as `before` and the remote object as `after` (their shape checked on real plans by
 * test/sandbox/status-drift.test.ts).
 */
const SECRET = "s3cr3t-value-never-shown";
const plan: ShowJsonPlan = {
  resource_changes: [],
  resource_drift: [
    {
      address: 'module.platform.scaleway_container.this["evalap"]',
      type: "scaleway_container",
      mode: "managed",
      change: {
        actions: ["update"],
        before: { min_scale: 1, image: "a:1", secret_environment_variables: { ADMIN_TOKEN: "old" }, name: "evalap" },
        after: { min_scale: 3, image: "a:1", secret_environment_variables: { ADMIN_TOKEN: SECRET }, name: "evalap" },
        before_sensitive: { secret_environment_variables: true },
        after_sensitive: { secret_environment_variables: true },
      },
    },
    { address: "scaleway_secret.gone", type: "scaleway_secret", mode: "managed", change: { actions: ["delete"], before: { id: "x" } } },
    // A move-only entry: listed by refresh-only plans, but nothing changed.
    { address: "scaleway_vpc.moved", type: "scaleway_vpc", mode: "managed", change: { actions: ["no-op"], before: {}, after: {} } },
  ],
  output_changes: { services: { actions: ["update"] }, same: { actions: ["no-op"] } },
};

describe("drift of a refresh-only plan", () => {
  it("lists each drifted resource with its changed attributes, state → remote; sensitive values as (sensitive), learnt by the redactor", () => {
    const redactor = new Redactor();
    const drift = driftOf(plan, redactor);
    expect(drift.resources.map((r) => [r.address, r.action])).toEqual([
      ['module.platform.scaleway_container.this["evalap"]', "update"],
      ["scaleway_secret.gone", "delete"],
    ]);
    expect(drift.resources[0]?.attributes).toEqual([
      { path: "min_scale", before: "1", after: "3" },
      { path: "secret_environment_variables", before: SENSITIVE, after: SENSITIVE },
    ]);
    expect(drift.resources[1]?.attributes).toEqual([]);
    expect(drift.outputChanges).toEqual(["services"]);
    expect(redactor.redact(`x ${SECRET} y`)).not.toContain(SECRET);
    expect(JSON.stringify(drift)).not.toContain(SECRET);
  });

  it("renders lines and an audit detail with addresses and counts, never a value", () => {
    const drift = driftOf(plan);
    expect(driftLines(drift.resources[0] ?? { address: "", type: "", action: "noop", attributes: [] })).toEqual([
      '~ module.platform.scaleway_container.this["evalap"] (changed outside tofu)',
      "    min_scale: 1 → 3",
      "    secret_environment_variables: (sensitive) → (sensitive)",
    ]);
    expect(driftLines(drift.resources[1] ?? { address: "", type: "", action: "noop", attributes: [] })).toEqual([
      "- scaleway_secret.gone (deleted outside tofu)",
    ]);
    const detail = auditDetail({ environment: "staging", drifted: true, ...drift });
    expect(detail).toBe(
      '2 resource(s) drifted: module.platform.scaleway_container.this["evalap"], scaleway_secret.gone; 1 output(s) changed: services',
    );
    expect(detail).not.toMatch(/a:1|old|3/);
    expect(auditDetail({ environment: "staging", drifted: false, resources: [], outputChanges: [] })).toBe("no drift");
  });

  it("a plan without resource_drift has none", () => {
    expect(driftOf({})).toEqual({ resources: [], outputChanges: [] });
  });
});
