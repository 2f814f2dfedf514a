import { describe, expect, it } from "vitest";
import { auditDetail } from "../../src/operations/drift.js";
import { driftLines } from "../../src/cli/commands/drift.js";
import { Redactor } from "../../src/report/redact.js";
import { driftOf, SENSITIVE, type ShowJsonPlan } from "../../src/tofu/plan-summary.js";
import { isComputedOnly, isNullZeroPair, resourceSchemas } from "../../src/tofu/schema.js";

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
    expect(auditDetail({ environment: "staging", drifted: false, resources: [], outputChanges: [], ignored: [] })).toBe("no drift");
  });

  it("a plan without resource_drift has none", () => {
    expect(driftOf({})).toEqual({ resources: [], outputChanges: [], ignored: [] });
  });
});

describe("what is not drift", () => {
  // The shape of `tofu providers schema -json` (format 1.0), cut to what these cases need.
  const schemas = resourceSchemas({
    provider_schemas: {
      "registry.opentofu.org/scaleway/scaleway": {
        resource_schemas: {
          scaleway_rdb_database: { block: { attributes: { name: { required: true }, size: { computed: true } } } },
          scaleway_container: {
            block: {
              attributes: { min_scale: { optional: true, computed: true }, status: { computed: true } },
              block_types: {
                scaling_option: {
                  block: { attributes: { cpu_usage_threshold: { optional: true }, concurrent_requests_threshold: { optional: true } } },
                },
              },
            },
          },
        },
      },
    },
  });

  it("computed-only attributes (nested blocks too) are the provider's; optional ones and unknown ones are not", () => {
    expect(isComputedOnly(schemas, "scaleway_rdb_database", ["size"])).toBe(true);
    expect(isComputedOnly(schemas, "scaleway_rdb_database", ["name"])).toBe(false);
    expect(isComputedOnly(schemas, "scaleway_container", ["min_scale"])).toBe(false);
    expect(isComputedOnly(schemas, "scaleway_container", ["status"])).toBe(true);
    expect(isComputedOnly(schemas, "scaleway_container", ["scaling_option", 0, "cpu_usage_threshold"])).toBe(false);
    expect(isComputedOnly(schemas, "scaleway_unknown", ["size"])).toBe(false);
  });

  it("an unset value read back as its zero value is not a change; a real value is", () => {
    for (const zero of ["", 0, false, [], {}]) {
      expect(isNullZeroPair(null, zero)).toBe(true);
      expect(isNullZeroPair(zero, undefined)).toBe(true);
    }
    expect(isNullZeroPair(null, 2)).toBe(false);
    expect(isNullZeroPair(0, 2)).toBe(false);
    expect(isNullZeroPair(null, { KEY: "x" })).toBe(false);
  });

  it("a resource whose every difference is noise is listed as ignored, not drifted", () => {
    const noisy: ShowJsonPlan = {
      resource_drift: [
        {
          address: "scaleway_rdb_database.app",
          type: "scaleway_rdb_database",
          change: { actions: ["update"], before: { name: "evalap", size: "7634279" }, after: { name: "evalap", size: "7658855" } },
        },
        {
          address: "scaleway_container.api",
          type: "scaleway_container",
          change: {
            actions: ["update"],
            before: { min_scale: 0, scaling_option: [{ cpu_usage_threshold: null, concurrent_requests_threshold: 50 }] },
            after: { min_scale: 2, scaling_option: [{ cpu_usage_threshold: 0, concurrent_requests_threshold: 50 }] },
          },
        },
      ],
    };
    const noise = (type: string, at: readonly (string | number)[], before: unknown, after: unknown) =>
      isNullZeroPair(before, after) || isComputedOnly(schemas, type, at);
    const drift = driftOf(noisy, undefined, noise);
    expect(drift.ignored).toEqual(["scaleway_rdb_database.app"]);
    expect(drift.resources).toEqual([
      {
        address: "scaleway_container.api",
        type: "scaleway_container",
        action: "update",
        attributes: [{ path: "min_scale", before: "0", after: "2" }],
      },
    ]);
  });
});
