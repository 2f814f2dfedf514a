import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { metricNames } from "./promql.js";
import type { RulerClient } from "./ruler.js";
import { promDurationMs, type LoadedGroup, type RuleGroup } from "./rules.js";

export interface SyncResult {
  namespace: string;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

export class UnknownMetricsError extends EvalapError {
  constructor(
    readonly unknown: Map<string, string[]>,
    source: string,
  ) {
    const lines = [...unknown].map(([metric, where]) => `  - ${metric} (used by ${where.join(", ")})`);
    super("alerts_unknown_metrics", `${unknown.size} metric(s) used by the alert rules do not exist on ${source}:\n${lines.join("\n")}`, {
      exitCode: ExitCode.Failure,
      hint: "a rule on a metric the data source does not have never fires: fix the name (the source's names: GET <url>/prometheus/api/v1/label/__name__/values); a new environment's metrics appear a few minutes after its resources start. Nothing was pushed",
    });
    this.name = "UnknownMetricsError";
  }
}

/**
 * Makes the namespace hold exactly the files' groups: each metric the rules use must exist on the
 * data source first (else nothing is pushed); then a group that differs (or is missing) is set, an
 * equal one is left alone, and a group the files no longer have is deleted. Running it twice
 * changes nothing the second time.
 */
export async function syncGroups(ruler: RulerClient, namespace: string, groups: LoadedGroup[], sourceName: string): Promise<SyncResult> {
  const known = await ruler.metricNames();
  const unknown = new Map<string, string[]>();
  for (const { file, group } of groups) {
    for (const rule of group.rules) {
      for (const name of metricNames(rule.expr)) {
        if (known.has(name)) continue;
        const where = `${file} group "${group.name}" ${rule.alert ?? rule.record ?? ""}`.trim();
        unknown.set(name, [...(unknown.get(name) ?? []), where]);
      }
    }
  }
  if (unknown.size > 0) throw new UnknownMetricsError(unknown, sourceName);

  const existing = new Map((await ruler.listGroups(namespace)).map((g) => [g.name, g]));
  const result: SyncResult = { namespace, created: [], updated: [], deleted: [], unchanged: [] };
  for (const { group } of groups) {
    const current = existing.get(group.name);
    if (current !== undefined && sameGroup(current, group)) {
      result.unchanged.push(group.name);
      continue;
    }
    await ruler.setGroup(namespace, group);
    (current === undefined ? result.created : result.updated).push(group.name);
  }
  const wanted = new Set(groups.map((g) => g.group.name));
  for (const name of existing.keys()) {
    if (wanted.has(name)) continue;
    await ruler.deleteGroup(namespace, name);
    result.deleted.push(name);
  }
  return result;
}

/**
 * Equal as the ruler evaluates them: the ruler re-serializes what it stores (durations such as
 * "60s" come back "1m", absent fields as defaults, and newer Mimir adds fields of its own), so
 * groups are compared on the fields the files set, durations in milliseconds.
 */
export function sameGroup(a: RuleGroup, b: RuleGroup): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(g: RuleGroup): unknown {
  const ms = (d: unknown) => (typeof d === "string" ? (promDurationMs(d) ?? d) : 0);
  const sorted = (m: unknown) =>
    typeof m === "object" && m !== null
      ? Object.fromEntries(Object.entries(m as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y)))
      : {};
  return {
    name: g.name,
    interval: ms(g.interval),
    rules: (Array.isArray(g.rules) ? g.rules : []).map((r) => ({
      alert: r.alert ?? null,
      record: r.record ?? null,
      expr: typeof r.expr === "string" ? r.expr.trim() : r.expr,
      for: ms(r.for),
      keep_firing_for: ms(r.keep_firing_for),
      labels: sorted(r.labels),
      annotations: sorted(r.annotations),
    })),
  };
}
