import { describe, expect, it } from "vitest";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { estimateCost, PRICED_TYPES } from "../../src/cost/estimate.js";
import { formatCostLine, formatCostTable } from "../../src/cost/format.js";
import { FREE, NOT_PRICED, PRICES, type PriceTable } from "../../src/cost/prices.js";
import { HumanReporter, plainColors, Redactor } from "../../src/report/index.js";
import type { ShowJsonPlan } from "../../src/tofu/plan-summary.js";
import { REPO } from "../helpers/project.js";

// The figures of src/cost/prices.ts, written out here so the expected totals are computed by hand,
// not by the code under test: Serverless Containers FAQ, €1.00 per 100 000 vCPU-s and €0.10 per
// 100 000 GB-s (the 4096 MB tier is €0.000004 per second), 730 h a month.
const VCPU_S = 0.00001;
const GB_S = 0.000001;
const SECONDS = 730 * 3600;
/** One EvalAP instance, 2240 mvCPU and 4096 MB, all month: (2.24 × 0.00001 + 4 × 0.000001) × 2 628 000 = €69.3792. */
const INSTANCE = (2.24 * VCPU_S + 4 * GB_S) * SECONDS;
const eur = (n: number) => Math.round(n * 100) / 100;

type Values = Record<string, unknown> | null;
function change(address: string, type: string, actions: string[], before: Values, after: Values) {
  return { address, type, mode: "managed", change: { actions, before, after } };
}
const container = (min: number, max: number) => ({ cpu_limit: 2240, memory_limit_bytes: 4096000000, min_scale: min, max_scale: max });
const API = 'module.platform.module.containers.scaleway_container.this["evalap"]';
const UI = 'module.platform.module.containers.scaleway_container.this["evalap-ui"]';
const DB = "module.platform.module.database.scaleway_rdb_instance.this";

describe("cost of a plan (src/cost/estimate.ts)", () => {
  it("prices containers at min_scale with the max_scale ceiling, for a plan that creates them", () => {
    const plan: ShowJsonPlan = {
      resource_changes: [
        change(API, "scaleway_container", ["create"], null, container(3, 3)),
        change(UI, "scaleway_container", ["create"], null, container(1, 1)),
      ],
    };
    const e = estimateCost(plan);
    expect(e.before).toEqual({ min: 0, max: 0 });
    expect(e.after).toEqual({ min: eur(3 * INSTANCE) + eur(INSTANCE), max: eur(3 * INSTANCE) + eur(INSTANCE) });
    expect(e.after.min).toBe(277.52);
    expect(e.delta).toEqual(e.after);
    expect(e.resources.find((r) => r.address === API)?.pricedOn).toBe("min_scale 3 (max 3) × (2.24 vCPU + 4 GB) × 730 h");
    expect(e.complete).toBe(true);
  });

  it("shows scale-to-zero as a range: nothing at min_scale 0, max_scale instances as the ceiling", () => {
    const e = estimateCost({ resource_changes: [change(API, "scaleway_container", ["create"], null, container(0, 2))] });
    expect(e.after).toEqual({ min: 0, max: eur(2 * INSTANCE) });
    expect(formatCostLine(e)).toBe(`estimated €0.00–€138.76/month, +€0.00 (max +€138.76)/month for this change`);
  });

  it("prices a change as its delta: the API's min_scale 2 → 3 adds one instance-month", () => {
    const e = estimateCost({
      resource_changes: [
        change(API, "scaleway_container", ["update"], container(2, 3), container(3, 3)),
        change(UI, "scaleway_container", ["no-op"], container(1, 1), container(1, 1)),
      ],
    });
    expect(e.before.min).toBe(eur(2 * INSTANCE) + eur(INSTANCE));
    expect(e.after.min).toBe(eur(3 * INSTANCE) + eur(INSTANCE));
    expect(e.delta).toEqual({ min: eur(eur(3 * INSTANCE) - eur(2 * INSTANCE)), max: 0 });
    expect(e.delta.min).toBe(69.38);
    // A deleted container takes its cost away.
    const gone = estimateCost({ resource_changes: [change(UI, "scaleway_container", ["delete"], container(1, 1), null)] });
    expect(gone.delta).toEqual({ min: -eur(INSTANCE), max: -eur(INSTANCE) });
  });

  it("lists an unknown resource type as not priced, never as zero, and known free ones as free", () => {
    const e = estimateCost({
      resource_changes: [
        change("scaleway_lb.front", "scaleway_lb", ["create"], null, { type: "LB-S" }),
        change("module.platform.module.network.scaleway_vpc.this", "scaleway_vpc", ["create"], null, {}),
        change("terraform_data.connection_budget", "terraform_data", ["create"], null, {}),
        { address: "data.scaleway_account_project.current", type: "scaleway_account_project", mode: "data", change: { actions: ["read"] } },
      ],
    });
    expect(e.notPriced).toEqual([
      {
        address: "scaleway_lb.front",
        type: "scaleway_lb",
        action: "create",
        reason: "no price for this resource type in src/cost/prices.ts",
      },
    ]);
    expect(e.complete).toBe(false);
    expect(e.free.map((f) => f.type)).toEqual(["scaleway_vpc", "terraform_data"]);
    expect(e.after).toEqual({ min: 0, max: 0 });
    expect(formatCostLine(e)).toContain("(1 resource(s) not priced)");
    expect(formatCostTable(e).join("\n")).toContain("not priced: scaleway_lb.front: no price for this resource type");
  });

  it("leaves the database as not priced while the table has no figure for its node type, naming what is missing", () => {
    const e = estimateCost({
      resource_changes: [change(DB, "scaleway_rdb_instance", ["create"], null, { node_type: "db-pro2-xs", is_ha_cluster: true })],
    });
    expect(e.notPriced[0]?.reason).toMatch(/^no price for node type db-pro2-xs in src\/cost\/prices.ts/);
    expect(e.resources).toEqual([]);
  });

  it("prices a database as node × 2 with HA + management + block storage, given a table with its figures", () => {
    // A test table: made-up figures for the formula, not Scaleway's.
    const entry = (price: number) => ({ price, unit: "h", source: "test", retrieved: "2026-12-01" });
    const table: PriceTable = {
      ...PRICES,
      databaseNodeTypes: { "db-pro2-xs": { nodeHour: entry(0.1), managementHour: entry(0.05) } },
      databaseStorageGbMonth: { sbs_5k: entry(0.2) },
    };
    const db = (ha: boolean) => ({ node_type: "DB-PRO2-XS", is_ha_cluster: ha, volume_type: "sbs_5k", volume_size_in_gb: 50 });
    const e = estimateCost({ resource_changes: [change(DB, "scaleway_rdb_instance", ["update"], db(false), db(true))] }, table);
    // Before: (1 × 0.1 + 0.05) × 730 + 50 × 0.2 = 119.5; after: (2 × 0.1 + 0.05) × 730 + 10 = 192.5.
    expect(e.before).toEqual({ min: 119.5, max: 119.5 });
    expect(e.after).toEqual({ min: 192.5, max: 192.5 });
    expect(e.delta).toEqual({ min: 73, max: 73 });
    expect(e.resources[0]?.pricedOn).toBe("db-pro2-xs × 2 node(s) + management × 730 h + 50 GB sbs_5k");
  });

  it("says when a container's size is unknown until apply instead of guessing", () => {
    const e = estimateCost({ resource_changes: [change(API, "scaleway_container", ["create"], null, { min_scale: 1, max_scale: 1 })] });
    expect(e.notPriced[0]?.reason).toBe("cpu_limit or memory_limit_bytes unknown until apply");
  });

  it("every priced figure of the table has a source and a retrieval date", () => {
    const entries = [
      PRICES.serverlessContainers.vcpuSecond,
      PRICES.serverlessContainers.memoryGbSecond,
      PRICES.containerRegistry.privateStorageGbMonth,
      ...Object.values(PRICES.cockpit),
    ];
    for (const p of entries) {
      expect(p.source).toMatch(/^https:\/\/www\.scaleway\.com\//);
      expect(p.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(PRICES.serverlessContainers.freeTier.applied).toBe(false);
  });

  it("the human reporter writes the breakdown on stdout, free resources only with --verbose", () => {
    const cost = estimateCost({
      resource_changes: [
        change(API, "scaleway_container", ["create"], null, container(3, 3)),
        change("module.platform.module.network.scaleway_vpc.this", "scaleway_vpc", ["create"], null, {}),
      ],
    });
    const render = (verbose: boolean) => {
      const out: string[] = [];
      const err: string[] = [];
      const human = new HumanReporter(
        new Redactor(),
        { colors: plainColors, spinner: null },
        (t) => void out.push(t),
        (t) => void err.push(t),
        verbose,
      );
      human.handle({ type: "cost.estimate", environment: "production", cost });
      return { out: out.join(""), err: err.join("") };
    };
    const plain = render(false);
    expect(plain.err).toBe("");
    expect(plain.out).toMatch(/scaleway_container\.this\["evalap"\]\s+min_scale 3 \(max 3\) × \(2\.24 vCPU \+ 4 GB\) × 730 h\s+€208\.14\n/);
    expect(plain.out).toContain("free: 1 resource(s)");
    expect(plain.out).toContain("total before: €0.00/month; after: €208.14/month; change: +€208.14/month");
    expect(render(true).out).toContain(
      "free: module.platform.module.network.scaleway_vpc.this: VPCs and Private Networks are free of charge",
    );
  });

  it("every resource type infra/ creates is priced, free or listed as not priced, each with one answer", async () => {
    const files = (await readdir(path.join(REPO, "infra"), { recursive: true })).filter((f) => f.endsWith(".tf"));
    const types = new Set<string>();
    for (const f of files) {
      for (const m of (await readFile(path.join(REPO, "infra", f), "utf8")).matchAll(/^resource "([a-z0-9_]+)"/gm)) types.add(m[1] ?? "");
    }
    expect(types.size).toBeGreaterThan(10);
    for (const t of types) {
      const answers = [PRICED_TYPES.includes(t), t in FREE, t in NOT_PRICED].filter(Boolean).length;
      expect(answers, `${t}: add it to PRICERS (estimate.ts), FREE or NOT_PRICED (prices.ts)`).toBe(1);
    }
  });
});
