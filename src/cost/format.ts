import type { CostEstimate, Monthly } from "./estimate.js";

/** €1,234.50; a range when the ceiling differs: €0.00–€208.14. */
export function formatMonthly(m: Monthly): string {
  return m.min === m.max ? euros(m.min) : `${euros(m.min)}–${euros(m.max)}`;
}

export function formatDelta(m: Monthly): string {
  const one = (n: number) => `${n >= 0 ? "+" : "−"}${euros(Math.abs(n))}`;
  return m.min === m.max ? one(m.min) : `${one(m.min)} (max ${one(m.max)})`;
}

/** One line for a summary: the environment's monthly cost after the change, and the change's delta. */
export function formatCostLine(e: CostEstimate): string {
  const changed = e.delta.min !== 0 || e.delta.max !== 0;
  const lowerBound = e.complete ? "" : ` (${e.notPriced.length} resource(s) not priced)`;
  return `estimated ${formatMonthly(e.after)}/month${changed ? `, ${formatDelta(e.delta)}/month for this change` : ""}${lowerBound}`;
}

/** The breakdown as text lines: priced resources (€/month after the change), not priced, free, the totals. */
export function formatCostTable(e: CostEstimate, opts: { showFree?: boolean } = {}): string[] {
  const lines: string[] = [];
  const rows = e.resources.map((r) => {
    const was =
      r.before && r.after && (r.before.min !== r.after.min || r.before.max !== r.after.max) ? ` (was ${formatMonthly(r.before)})` : "";
    const now = r.after ? formatMonthly(r.after) : `${euros(0)} (deleted, was ${formatMonthly(r.before ?? { min: 0, max: 0 })})`;
    return [r.address, r.pricedOn, `${now}${was}`] as const;
  });
  if (rows.length > 0) {
    const w0 = Math.max("resource".length, ...rows.map((r) => r[0].length));
    const w1 = Math.max("priced on".length, ...rows.map((r) => r[1].length));
    lines.push(`${"resource".padEnd(w0)}  ${"priced on".padEnd(w1)}  €/month`);
    for (const r of rows) lines.push(`${r[0].padEnd(w0)}  ${r[1].padEnd(w1)}  ${r[2]}`);
  }
  for (const n of e.notPriced) lines.push(`not priced: ${n.address}: ${n.reason}`);
  if (opts.showFree) for (const f of e.free) lines.push(`free: ${f.address}: ${f.reason}`);
  else if (e.free.length > 0) lines.push(`free: ${e.free.length} resource(s) (IAM, networks, namespaces, secrets…; --verbose lists them)`);
  lines.push(
    `total before: ${formatMonthly(e.before)}/month; after: ${formatMonthly(e.after)}/month; change: ${formatDelta(e.delta)}/month`,
  );
  lines.push(
    `EUR excluding VAT, ${e.hoursPerMonth} h a month; a range is min_scale–max_scale${e.complete ? "" : "; the totals leave out what is not priced"}`,
  );
  return lines;
}

function euros(n: number): string {
  return `€${n.toFixed(2)}`;
}
