import { parse, stringify } from "yaml";
import { formatPromDuration, promDurationMs } from "../../../core/prom-duration.js";
import type { SandboxContext } from "../../context.js";
import { ScwError } from "../../errors.js";
import type { ApiRequest, ApiResponse, Router } from "../../router.js";
import { SCALEWAY_METRIC_NAMES, scalewayMetricLabels } from "./metrics.js";

/** What the ruler needs of a data source (index.ts's DataSource, without importing it back). */
interface DataSource {
  id: string;
  type: string;
  origin: string;
}

/**
 * The Mimir ruler and label-values endpoints of the metrics data sources (custom and Scaleway ones),
 * reached at the URL the sandbox gives each data source: `<sandbox url>/cockpit/datasources/<id>`
 * (see dataSourceUrl). Cockpit serves them under `https://<id>.metrics.cockpit.<region>.scw.cloud`
 * (scaleway/docs-content pages/cockpit/reference-content/cockpit-supported-endpoints.mdx); the
 * answers follow Mimir's ruler API (grafana/mimir pkg/ruler/api.go): YAML listings, 404 "no rule
 * groups found" for an empty namespace, 202 with a JSON status on set and delete, 400 with the
 * reason as plain text for a group that does not parse or validate. The X-Auth-Token is checked by
 * the server like on every other API. Groups are kept per data source in the state.
 */

export const DATA_SOURCE_PATH = "/cockpit/datasources";
export const COCKPIT_RULES = "cockpit.rules";

/** One data source's namespaces: namespace → group name → group as stored (durations re-serialized). */
type Namespaces = Record<string, Record<string, StoredGroup>>;

interface StoredGroup {
  name: string;
  interval?: string;
  rules: Record<string, unknown>[];
}

/** Where a data source is reached in the sandbox: under its own base URL, since `*.scw.cloud` names do not resolve here. */
export const dataSourceUrl = (ctx: SandboxContext, id: string): string => `${ctx.url}${DATA_SOURCE_PATH}/${id}`;

const text = (status: number, body: string): ApiResponse => ({
  status,
  raw: { contentType: "text/plain; charset=utf-8", text: `${body}\n` },
});
const yaml = (value: unknown): ApiResponse => ({ raw: { contentType: "application/yaml", text: stringify(value) } });
/** Mimir's respondAccepted: 202 and a JSON status. */
const accepted = (): ApiResponse => ({ status: 202, body: { status: "success", data: null, errorType: "", error: "" } });

export function rulerRoutes(router: Router, ctx: SandboxContext, findSource: (id: string) => DataSource | undefined): void {
  const store = () => ctx.store.collection<Namespaces>(COCKPIT_RULES);
  const base = `${DATA_SOURCE_PATH}/{data_source_id}/prometheus`;
  const metricsSource = (req: ApiRequest): DataSource => {
    const source = findSource(req.params.data_source_id ?? "");
    // Only a metrics source has a Mimir: the others answer as an unknown path would.
    if (!source || source.type !== "metrics") throw new ScwError(404, { message: "data source not found", type: "not_found" });
    return source;
  };
  const namespacesOf = (source: DataSource): Namespaces => store().get(source.id) ?? {};
  const listing = (groups: Record<string, StoredGroup>) =>
    Object.keys(groups)
      .sort()
      .map((n) => groups[n]);

  router.add("GET", `${base}/config/v1/rules`, (req) => {
    const all = namespacesOf(metricsSource(req));
    const names = Object.keys(all).sort();
    if (names.length === 0) return text(404, "no rule groups found");
    return yaml(Object.fromEntries(names.map((ns) => [ns, listing(all[ns] ?? {})])));
  });

  router.add("GET", `${base}/config/v1/rules/{namespace}`, (req) => {
    const ns = req.params.namespace ?? "";
    const groups = namespacesOf(metricsSource(req))[ns];
    if (!groups || Object.keys(groups).length === 0) return text(404, "no rule groups found");
    return yaml({ [ns]: listing(groups) });
  });

  router.add("GET", `${base}/config/v1/rules/{namespace}/{group}`, (req) => {
    const group = namespacesOf(metricsSource(req))[req.params.namespace ?? ""]?.[req.params.group ?? ""];
    return group ? yaml(group) : text(404, "group does not exist");
  });

  router.add(
    "POST",
    `${base}/config/v1/rules/{namespace}`,
    async (req) => {
      const source = metricsSource(req);
      const ns = req.params.namespace ?? "";
      let raw: unknown;
      try {
        raw = parse(req.text ?? "");
      } catch {
        return text(400, "unable to decoded rule group");
      }
      const checked = validateGroup(raw);
      if (typeof checked === "string") return text(400, checked);
      const all = namespacesOf(source);
      store().put(source.id, { ...all, [ns]: { ...(all[ns] ?? {}), [checked.name]: checked } });
      await ctx.store.flush();
      return accepted();
    },
    { rawBody: true },
  );

  router.add("DELETE", `${base}/config/v1/rules/{namespace}/{group}`, async (req) => {
    const source = metricsSource(req);
    const ns = req.params.namespace ?? "";
    const all = namespacesOf(source);
    const groups = { ...(all[ns] ?? {}) };
    const name = req.params.group ?? "";
    if (!(name in groups)) return text(404, "group does not exist");
    delete groups[name];
    const rest = { ...all, [ns]: groups };
    if (Object.keys(groups).length === 0) delete rest[ns];
    store().put(source.id, rest);
    await ctx.store.flush();
    return accepted();
  });

  router.add("DELETE", `${base}/config/v1/rules/{namespace}`, async (req) => {
    const source = metricsSource(req);
    const ns = req.params.namespace ?? "";
    const all = { ...namespacesOf(source) };
    if (!(ns in all)) return text(404, "unable to find the namespace");
    delete all[ns];
    store().put(source.id, all);
    await ctx.store.flush();
    return accepted();
  });

  // Prometheus' label names API; `match[]` selects the series (here: `name` or `{__name__="name"}`) whose labels are listed.
  router.add("GET", `${base}/api/v1/labels`, (req) => {
    const source = metricsSource(req);
    if (source.origin !== "scaleway") return { body: { status: "success", data: [] } };
    const matches = req.query.getAll("match[]");
    const names = matches.length === 0 ? [...SCALEWAY_METRIC_NAMES] : matches.map((m) => /^\{__name__="([^"]+)"\}$/.exec(m)?.[1] ?? m);
    const data = [...new Set(names.flatMap(scalewayMetricLabels))].sort();
    return { body: { status: "success", data } };
  });

  // Prometheus' label values API: the metric names the Scaleway source holds (metrics.ts); a custom source has none until something pushes.
  router.add("GET", `${base}/api/v1/label/{label}/values`, (req) => {
    const source = metricsSource(req);
    const data = req.params.label === "__name__" && source.origin === "scaleway" ? [...SCALEWAY_METRIC_NAMES] : [];
    return { body: { status: "success", data } };
  });
}

const GROUP_FIELDS = new Set(["name", "interval", "rules", "limit", "source_tenants", "evaluation_delay", "query_offset"]);
const RULE_FIELDS = new Set(["alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"]);

/**
 * Prometheus' rulefmt checks, as Mimir applies them to a posted group (its messages' wording);
 * durations are stored as Prometheus prints them ("60s" reads back "1m"). Returns the message of
 * the first problems found, joined as Mimir joins them.
 */
function validateGroup(raw: unknown): StoredGroup | string {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return "unable to decoded rule group";
  const g = raw as Record<string, unknown>;
  const unknown = Object.keys(g).find((k) => !GROUP_FIELDS.has(k));
  if (unknown) return `yaml: unmarshal errors:\n  field ${unknown} not found in type rulefmt.RuleGroup`;
  if (typeof g.name !== "string" || g.name === "") return "Groupname must not be empty";
  const groupName = g.name;
  const errors: string[] = [];
  const interval = g.interval === undefined ? undefined : duration(g.interval);
  if (interval === null) errors.push(`group "${g.name}": invalid interval`);
  const rules = Array.isArray(g.rules) ? g.rules : [];
  const stored: Record<string, unknown>[] = [];
  rules.forEach((r: unknown, i: number) => {
    const at = `group "${groupName}", rule ${i + 1}`;
    if (typeof r !== "object" || r === null || Array.isArray(r)) {
      errors.push(`${at}: rule must be a mapping`);
      return;
    }
    const rule = r as Record<string, unknown>;
    const extra = Object.keys(rule).find((k) => !RULE_FIELDS.has(k));
    if (extra) errors.push(`${at}: field ${extra} not found in type rulefmt.Rule`);
    const name = typeof rule.alert === "string" ? rule.alert : rule.record;
    const where = `${at}, ${JSON.stringify(name ?? "")}`;
    if (rule.alert !== undefined && rule.record !== undefined) errors.push(`${where}: only one of 'record' and 'alert' must be set`);
    if (rule.alert === undefined && rule.record === undefined) errors.push(`${where}: one of 'record' or 'alert' must be set`);
    if (typeof rule.expr !== "string" || rule.expr.trim() === "") errors.push(`${where}: field 'expr' must be set in rule`);
    const out: Record<string, unknown> = {};
    if (rule.record !== undefined) out.record = rule.record;
    if (rule.alert !== undefined) out.alert = rule.alert;
    out.expr = rule.expr;
    for (const key of ["for", "keep_firing_for"] as const) {
      if (rule[key] === undefined) continue;
      if (rule.record !== undefined) errors.push(`${where}: invalid field '${key}' in recording rule`);
      const d = duration(rule[key]);
      if (d === null) errors.push(`${where}: invalid duration ${JSON.stringify(rule[key])}`);
      else if (d !== "0s") out[key] = d;
    }
    for (const key of ["labels", "annotations"] as const) {
      const m = rule[key];
      if (m === undefined) continue;
      if (typeof m !== "object" || m === null || Array.isArray(m) || Object.values(m).some((v) => typeof v !== "string")) {
        errors.push(`${where}: ${key} must be a mapping of strings`);
      } else if (Object.keys(m).length > 0) out[key] = m;
    }
    stored.push(out);
  });
  if (errors.length > 0) return errors.join(", ");
  return { name: g.name, ...(interval ? { interval } : {}), rules: stored };
}

/** A Prometheus duration, printed as Prometheus' model.Duration prints it ("0s", "1m", "1h30m"); null when malformed. */
function duration(v: unknown): string | null {
  if (typeof v !== "string") return null;
  const ms = promDurationMs(v);
  return ms === null ? null : formatPromDuration(ms);
}
