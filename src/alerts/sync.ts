import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { selectors } from "./promql.js";
import type { RulerClient } from "./ruler.js";
import { promDurationMs } from "../core/prom-duration.js";
import type { LoadedGroup, RuleGroup } from "./rules.js";

export interface SyncResult {
  namespace: string;
  created: string[];
  updated: string[];
  deleted: string[];
  unchanged: string[];
}

/** Metrics the data source does not have, or labels their matchers test that their series do not carry: the rules would never fire. */
export class UnknownSeriesError extends EvalapError {
  constructor(
    readonly unknownMetrics: Map<string, string[]>,
    readonly unknownLabels: Map<string, string[]>,
    source: string,
  ) {
    const list = (m: Map<string, string[]>) => [...m].map(([what, where]) => `  - ${what} (used by ${where.join(", ")})`).join("\n");
    const parts = [
      unknownMetrics.size > 0
        ? `${unknownMetrics.size} metric(s) used by the alert rules do not exist on ${source}:\n${list(unknownMetrics)}`
        : "",
      unknownLabels.size > 0
        ? `${unknownLabels.size} label matcher(s) name labels the metric's series do not have on ${source}:\n${list(unknownLabels)}`
        : "",
    ].filter((p) => p !== "");
    super(unknownMetrics.size > 0 ? "alerts_unknown_metrics" : "alerts_unknown_labels", parts.join("\n"), {
      exitCode: ExitCode.Failure,
      hint: "a rule on a metric or label the data source does not have never fires: fix the name (the source's names: GET <url>/prometheus/api/v1/label/__name__/values, a metric's labels: GET <url>/prometheus/api/v1/labels?match[]=<metric>); a new environment's metrics appear a few minutes after its resources start. Nothing was pushed",
    });
    this.name = "UnknownSeriesError";
  }
}

/**
 * Makes the namespace hold exactly the files' groups: each metric the rules use must exist on the
 * data source first (else nothing is pushed); then a group that differs (or is missing) is set, an
 * equal one is left alone, and a group the files no longer have is deleted. Running it twice
 * changes nothing the second time.
 */
export async function syncGroups(ruler: RulerClient, namespace: string, groups: LoadedGroup[], sourceName: string): Promise<SyncResult> {
  await checkSeries(ruler, groups, sourceName);

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

/** Every metric the rules select exists on the source, and carries the labels their matchers test; else UnknownSeriesError. */
async function checkSeries(ruler: RulerClient, groups: LoadedGroup[], sourceName: string): Promise<void> {
  const known = await ruler.metricNames();
  const unknownMetrics = new Map<string, string[]>();
  const unknownLabels = new Map<string, string[]>();
  const labelsOf = new Map<string, Promise<Set<string>>>();
  const add = (m: Map<string, string[]>, key: string, where: string) => {
    const list = m.get(key) ?? [];
    if (!list.includes(where)) m.set(key, [...list, where]);
  };
  for (const { file, group } of groups) {
    for (const rule of group.rules) {
      const where = `${file} group "${group.name}" ${rule.alert ?? rule.record ?? ""}`.trim();
      for (const s of selectors(rule.expr)) {
        if (!known.has(s.metric)) {
          add(unknownMetrics, s.metric, where);
          continue;
        }
        if (s.labels.length === 0) continue;
        let pending = labelsOf.get(s.metric);
        if (pending === undefined) labelsOf.set(s.metric, (pending = ruler.labelNames(s.metric)));
        const has = await pending;
        for (const label of s.labels) if (!has.has(label)) add(unknownLabels, `${s.metric}{${label}}`, where);
      }
    }
  }
  if (unknownMetrics.size > 0 || unknownLabels.size > 0) throw new UnknownSeriesError(unknownMetrics, unknownLabels, sourceName);
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
