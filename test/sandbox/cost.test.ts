import { writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CostEstimate } from "../../src/cost/estimate.js";
import { sandboxProject, type RunningSandbox, type SandboxRun } from "../helpers/sandbox.js";

// Expected figures computed by hand from the entries of src/cost/prices.ts (Serverless Containers
// FAQ: €1.00 per 100 000 vCPU-s, €0.10 per 100 000 GB-s; 730 h a month), not by the code under test.
// Both roots run EvalAP at 2240 mvCPU and 4096 MB (terraform.tfvars): one instance all month is
// (2.24 × 0.00001 + 4 × 0.000001) × 730 × 3600 = €69.3792, €69.38 to the cent; two: €138.7584 →
// €138.76; three: €208.1376 → €208.14 (each resource rounded to the cent, then summed).

/**
 * The real infra/staging and infra/production roots, planned by the real tofu and Scaleway provider
 * against the sandbox, priced by `cost` and `plan` (src/cost/). Nothing is applied but the staging
 * deploy that gives the change its "before".
 */
describe("cost of the real roots, from their plans on the sandbox", () => {
  let sb: RunningSandbox;

  beforeAll(async () => {
    sb = await sandboxProject();
    // Both roots on the sandbox: its keys, bucket, project and images; each root its own state key.
    await writeFile(
      path.join(sb.projectDir, "evalap-infra.json"),
      JSON.stringify({
        environments: {
          staging: { root: "infra/staging", sandbox: true },
          production: { root: "infra/production", sandbox: true, protection: "protected" },
        },
      }),
    );
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  // plan and cost plan with the image a deploy would use (the sandbox's first one).
  const images = () => `images=${JSON.stringify({ evalap: sb.descriptor.images.evalap })}`;
  const costOf = (run: SandboxRun) => (run.result as { cost?: CostEstimate }).cost;
  const addresses = (list: { address: string }[]) => list.map((r) => r.address);
  const API = 'module.platform.module.containers.scaleway_container.this["evalap"]';
  const UI = 'module.platform.module.containers.scaleway_container.this["evalap-ui"]';
  const DB = "module.platform.module.database.scaleway_rdb_instance.this";

  it("prices production: 3 API instances + 1 UI instance all month; the database and secret versions listed as not priced", async () => {
    const run = await sb.run(["cost", "production", "--json", "--var", images()]);
    expect(run.exitCode, run.output).toBe(0);
    const cost = costOf(run);
    // 3 × 69.38 (API, min_scale 3) + 1 × 69.38 (UI, one replica at most) = €277.52 a month, fixed.
    expect(cost?.after).toEqual({ min: 277.52, max: 277.52 });
    expect(cost?.before).toEqual({ min: 0, max: 0 });
    expect(cost?.delta).toEqual({ min: 277.52, max: 277.52 });
    expect(cost?.resources.map((r) => [r.address, r.after])).toEqual([
      [API, { min: 208.14, max: 208.14 }],
      [UI, { min: 69.38, max: 69.38 }],
    ]);
    expect(addresses(cost?.notPriced ?? [])).toContain(DB);
    expect(cost?.notPriced.find((n) => n.address === DB)?.reason).toMatch(/no price for node type db-pro2-xs/);
    expect(cost?.notPriced.every((n) => ["scaleway_rdb_instance", "scaleway_secret_version"].includes(n.type))).toBe(true);
    expect(cost?.free.map((f) => f.type)).toEqual(
      expect.arrayContaining(["scaleway_vpc", "scaleway_vpc_private_network", "scaleway_secret"]),
    );
    // The same estimate in the cost.estimate event, and a line in the result's summary.
    expect(run.events.find((e) => e.type === "cost.estimate")).toMatchObject({ environment: "production", cost });
    expect(run.result.summary).toContain("estimated €277.52/month");
  }, 600_000);

  it("prices staging as a range: nothing at scale-to-zero, 2 API + 1 UI instances at most", async () => {
    const run = await sb.run(["cost", "staging", "--json", "--var", images()]);
    expect(run.exitCode, run.output).toBe(0);
    // min_scale 0: €0; max_scale 2 (API) + 1 (UI) = 3 × 69.38 = €208.14.
    expect(costOf(run)?.after).toEqual({ min: 0, max: 208.14 });
    expect(addresses(costOf(run)?.notPriced ?? [])).toContain(DB);
  }, 600_000);

  it("prices a change as its delta: staging deployed at min_scale 0, then planned at min_scale 1", async () => {
    const deploy = await sb.run(["deploy", "staging", "--json"]);
    expect(deploy.exitCode, deploy.output).toBe(0);
    const warm = `container=${JSON.stringify({ cpu_limit: 2240, memory_limit_bytes: 4096000000, min_scale: 1, max_scale: 2 })}`;
    const run = await sb.run(["plan", "staging", "--json", "--var", warm, "--var", images()]);
    expect(run.exitCode, run.output).toBe(0);
    const cost = costOf(run);
    // Before (the deployed state): €0 at min_scale 0, €208.14 at most. After: one API and one UI
    // instance always on (2 × 69.38 = €138.76), the same ceiling. The change: +€138.76 a month.
    expect(cost?.before).toEqual({ min: 0, max: 208.14 });
    expect(cost?.after).toEqual({ min: 138.76, max: 208.14 });
    expect(cost?.delta).toEqual({ min: 138.76, max: 0 });
    expect(run.events.find((e) => e.type === "cost.estimate")).toMatchObject({ environment: "staging", cost });
    expect(run.result.summary).toContain("+€138.76 (max +€0.00)/month for this change");

    // Without --json: the breakdown after the plan's summary, then the totals.
    const human = await sb.cli(["plan", "staging", "--var", warm, "--var", images()]);
    expect(human.exitCode, human.stdout + human.stderr).toBe(0);
    // Each row: address, what it is priced on, €/month after the change (and before it, when it differs).
    expect(human.stdout + human.stderr).toMatch(
      /scaleway_container\.this\["evalap"\]\s+min_scale 1 \(max 2\) × \(2\.24 vCPU \+ 4 GB\) × 730 h\s+€69\.38–€138\.76 \(was €0\.00–€138\.76\)/,
    );
    expect(human.stdout + human.stderr).toContain(
      "total before: €0.00–€208.14/month; after: €138.76–€208.14/month; change: +€138.76 (max +€0.00)/month",
    );
    expect(human.stdout + human.stderr).toContain(`not priced: ${DB}: no price for node type db-dev-m`);
  }, 900_000);
});
