import type { ShowJsonPlan } from "../tofu/plan-summary.js";
import { actionFromList, type ChangeAction } from "../tofu/plan-summary.js";
import { FREE, NOT_PRICED, PRICES, type PriceTable } from "./prices.js";

/** EUR per month, excluding VAT: `min` with every container at its min_scale, `max` at its max_scale. */
export interface Monthly {
  min: number;
  max: number;
}

export interface PricedResource {
  address: string;
  type: string;
  action: ChangeAction;
  /** What the figure is computed from, for a reader: "min_scale 3 (max 3) × (2.24 vCPU + 4 GB) × 730 h". */
  pricedOn: string;
  /** Null when the resource does not exist before (create) or after (delete) the change. */
  before: Monthly | null;
  after: Monthly | null;
}

export interface UnpricedResource {
  address: string;
  type: string;
  action: ChangeAction;
  reason: string;
}

/**
 * The monthly cost of an environment from a saved plan (`tofu show -json`): before the change (its
 * state), after it, and the difference. `plan --json` carries it as `cost` in its result and in the
 * `cost.estimate` event; `cost --json` likewise.
 */
export interface CostEstimate {
  currency: "EUR";
  vat: "excluded";
  hoursPerMonth: number;
  before: Monthly;
  after: Monthly;
  delta: Monthly;
  resources: PricedResource[];
  /** Resources that cost nothing by themselves, with why. */
  free: UnpricedResource[];
  /** Resources that cost money this estimate cannot price: the totals leave them out (a lower bound). */
  notPriced: UnpricedResource[];
  /** The totals count every resource that costs money (notPriced is empty). */
  complete: boolean;
  assumptions: string[];
}

type Values = Record<string, unknown>;
type Priced = { monthly: Monthly; pricedOn: string } | { reason: string };
type Pricer = (values: Values, table: PriceTable) => Priced;

export const ASSUMPTIONS = [
  "Serverless Containers: min_scale instances running all month (730 h) at the per-second vCPU and memory rates; instances above min_scale are not counted in the total, max_scale gives the ceiling",
  "Serverless Containers: the per-account monthly free tier (200 000 vCPU-s, 400 000 GB-s) is not subtracted: it is shared by every project of the account",
  "Managed Database: node price × 2 with high availability, plus the instance's management fee and its block storage; backups are not counted",
  "outgoing traffic, requests and usage-based storage (registry images, buckets) are not counted",
];

const PRICERS: Readonly<Record<string, Pricer>> = {
  scaleway_container: priceContainer,
  scaleway_rdb_instance: priceDatabase,
};

/** Resource types priced from their plan values (the others are FREE or NOT_PRICED). */
export const PRICED_TYPES: readonly string[] = Object.keys(PRICERS);

/** Prices every managed resource of a `tofu show -json` plan, before and after the change. */
export function estimateCost(plan: ShowJsonPlan, table: PriceTable = PRICES): CostEstimate {
  const resources: PricedResource[] = [];
  const free: UnpricedResource[] = [];
  const notPriced: UnpricedResource[] = [];
  for (const rc of plan.resource_changes ?? []) {
    if (rc.mode !== "managed" || !rc.address || !rc.type) continue;
    const action = actionFromList(rc.change?.actions ?? []);
    const base = { address: rc.address, type: rc.type, action };
    const freeReason = FREE[rc.type];
    if (freeReason !== undefined) {
      free.push({ ...base, reason: freeReason });
      continue;
    }
    const pricer = PRICERS[rc.type];
    if (pricer === undefined) {
      notPriced.push({ ...base, reason: NOT_PRICED[rc.type] ?? "no price for this resource type in src/cost/prices.ts" });
      continue;
    }
    const before = asValues(rc.change?.before);
    const after = asValues(rc.change?.after);
    const pricedBefore = before ? pricer(before, table) : null;
    const pricedAfter = after ? pricer(after, table) : null;
    const failed = [pricedAfter, pricedBefore].find((p): p is { reason: string } => p !== null && "reason" in p);
    if (failed) {
      notPriced.push({ ...base, reason: failed.reason });
      continue;
    }
    const b = pricedBefore as { monthly: Monthly; pricedOn: string } | null;
    const a = pricedAfter as { monthly: Monthly; pricedOn: string } | null;
    resources.push({ ...base, pricedOn: (a ?? b)?.pricedOn ?? "", before: b?.monthly ?? null, after: a?.monthly ?? null });
  }
  const before = total(resources.map((r) => r.before));
  const after = total(resources.map((r) => r.after));
  return {
    currency: table.currency,
    vat: table.vat,
    hoursPerMonth: table.hoursPerMonth,
    before,
    after,
    delta: { min: cents(after.min - before.min), max: cents(after.max - before.max) },
    resources,
    free,
    notPriced,
    complete: notPriced.length === 0,
    assumptions: ASSUMPTIONS,
  };
}

/**
 * min_scale × (vCPU + memory GB) at the per-second rates, all month. cpu_limit is in mvCPU; memory
 * is priced by its tier in MB (10^6 bytes, scw.MB) with 1024 MB = 1 GB, as the FAQ's tier table does.
 */
function priceContainer(v: Values, table: PriceTable): Priced {
  const cpu = num(v.cpu_limit);
  const bytes = num(v.memory_limit_bytes);
  const memoryMb = bytes !== null ? bytes / 1_000_000 : num(v.memory_limit);
  const min = num(v.min_scale) ?? 0;
  const max = num(v.max_scale) ?? min;
  if (cpu === null || memoryMb === null) return { reason: "cpu_limit or memory_limit_bytes unknown until apply" };
  const vcpus = cpu / 1000;
  const gb = memoryMb / 1024;
  const { vcpuSecond, memoryGbSecond } = table.serverlessContainers;
  const perInstance = (vcpus * vcpuSecond.price + gb * memoryGbSecond.price) * table.hoursPerMonth * 3600;
  return {
    monthly: { min: cents(min * perInstance), max: cents(max * perInstance) },
    pricedOn: `min_scale ${min} (max ${max}) × (${round(vcpus)} vCPU + ${round(gb)} GB) × ${table.hoursPerMonth} h`,
  };
}

/**
 * (node × 2 with HA + management) per hour × hours, plus block storage per GB-month. The structure is
 * Scaleway's billing SKUs ("Database Node DB-DEV-M" per node, "Database Management DB-DEV-M" per
 * instance, "Database Storage SBS 5K" per GB: provider v2.81.0 cassette
 * internal/services/billing/testdata/data-source-consumption-basic.cassette.yaml); HA "creates a
 * secondary Instance" (scaleway/docs-content pages/managed-databases-for-postgresql-and-mysql/how-to/enable-high-availability.mdx).
 */
function priceDatabase(v: Values, table: PriceTable): Priced {
  const nodeType = typeof v.node_type === "string" ? v.node_type.toLowerCase() : null;
  if (nodeType === null) return { reason: "node_type unknown until apply" };
  const node = table.databaseNodeTypes[nodeType];
  const how =
    "Scaleway bills each node per hour (two with high availability), the instance's management per hour and its storage per GB-month";
  if (node === undefined) return { reason: `no price for node type ${nodeType} in src/cost/prices.ts (${how})` };
  const nodes = v.is_ha_cluster === true ? 2 : 1;
  const volumeType = typeof v.volume_type === "string" ? v.volume_type : "lssd";
  const size = num(v.volume_size_in_gb) ?? 0;
  let storage = 0;
  if (volumeType !== "lssd") {
    const perGb = table.databaseStorageGbMonth[volumeType];
    if (perGb === undefined) return { reason: `no price for database storage ${volumeType} in src/cost/prices.ts (${how})` };
    storage = size * perGb.price;
  }
  const monthly = cents((nodes * node.nodeHour.price + node.managementHour.price) * table.hoursPerMonth + storage);
  const disk = volumeType === "lssd" ? "local storage" : `${size} GB ${volumeType}`;
  return {
    monthly: { min: monthly, max: monthly },
    pricedOn: `${nodeType} × ${nodes} node(s) + management × ${table.hoursPerMonth} h + ${disk}`,
  };
}

function total(list: Array<Monthly | null>): Monthly {
  const sum = (k: keyof Monthly) => cents(list.reduce((acc, m) => acc + (m ? m[k] : 0), 0));
  return { min: sum("min"), max: sum("max") };
}

function asValues(value: unknown): Values | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Values) : null;
}

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function cents(n: number): number {
  return Math.round(n * 100) / 100;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
