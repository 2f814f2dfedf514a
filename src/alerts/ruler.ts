import { parse, stringify } from "yaml";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { RuleGroup } from "./rules.js";

/**
 * Cockpit's Mimir ruler and label-values endpoints of one metrics data source. Paths and formats:
 * scaleway/docs-content pages/cockpit/reference-content/cockpit-supported-endpoints.mdx (the rules
 * and query endpoints Cockpit serves) and pages/cockpit/api-cli/create-alerts-programmatically.mdx
 * (POST a YAML group to `/prometheus/config/v1/rules/<namespace>`, `X-Auth-Token: <secret key>`);
 * answers as Mimir's ruler API gives them (grafana/mimir pkg/ruler/api.go): a namespace is listed as
 * YAML `{<namespace>: [groups]}`, 404 "no rule groups found" when it has none; set and delete answer
 * 202; a missing group's delete is 404; a refused group is 400 with the reason as text.
 */
export interface RulerClient {
  /** The groups of the namespace; none when the ruler has none (404). */
  listGroups(namespace: string): Promise<RuleGroup[]>;
  setGroup(namespace: string, group: RuleGroup): Promise<void>;
  /** Idempotent: a group already gone is not an error. */
  deleteGroup(namespace: string, name: string): Promise<void>;
  /** Every metric name the data source holds (`/prometheus/api/v1/label/__name__/values`). */
  metricNames(): Promise<Set<string>>;
  /** The label names of a metric's series (`/prometheus/api/v1/labels?match[]=<metric>`). */
  labelNames(metric: string): Promise<Set<string>>;
}

export interface RulerOptions {
  /** The data source's URL (`https://<id>.metrics.cockpit.<region>.scw.cloud`). */
  url: string;
  /** The Scaleway secret key sent as X-Auth-Token; never printed. */
  secretKey: string;
  /** The retrying fetch (src/scaleway/retry.ts). */
  fetch: typeof fetch;
}

export class RulerError extends EvalapError {
  constructor(code: string, message: string, opts: { exitCode?: (typeof ExitCode)[keyof typeof ExitCode]; hint: string }) {
    super(code, message, opts);
    this.name = "RulerError";
  }
}

export function rulerClient(opts: RulerOptions): RulerClient {
  const base = opts.url.replace(/\/+$/, "");
  const rules = (ns: string, group?: string) =>
    `${base}/prometheus/config/v1/rules/${encodeURIComponent(ns)}${group === undefined ? "" : `/${encodeURIComponent(group)}`}`;
  const send = async (method: string, url: string, body?: string): Promise<Response> =>
    opts.fetch(url, {
      method,
      headers: { "X-Auth-Token": opts.secretKey, ...(body === undefined ? {} : { "Content-Type": "application/yaml" }) },
      ...(body === undefined ? {} : { body }),
    });
  const refused = async (res: Response, what: string): Promise<never> => {
    const text = (await res.text().catch(() => "")).trim().slice(0, 500);
    const where = `${what} (${withoutQuery(res.url || base)})`;
    if (res.status === 401 || res.status === 403) {
      throw new RulerError("alerts_unauthorized", `Cockpit refused the API key for ${where}: HTTP ${res.status}`, {
        exitCode: ExitCode.Prerequisite,
        hint: "use a Scaleway API key (SCW_SECRET_KEY) whose IAM policy grants ObservabilityFullAccess on the environment's project",
      });
    }
    throw new RulerError("alerts_ruler_refused", `${where} answered HTTP ${res.status}${text ? `: ${text}` : ""}`, {
      hint:
        res.status === 400
          ? "fix the group the ruler names, then run the sync again"
          : "run the sync again; if it persists, check Cockpit's status page",
    });
  };
  return {
    async listGroups(namespace) {
      const res = await send("GET", rules(namespace));
      if (res.status === 404) {
        await res.body?.cancel();
        return [];
      }
      if (!res.ok) return refused(res, `listing the rule groups of ${namespace}`);
      const parsed: unknown = parse(await res.text());
      const groups = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)[namespace] : undefined;
      return Array.isArray(groups) ? (groups as RuleGroup[]) : [];
    },
    async setGroup(namespace, group) {
      const res = await send("POST", rules(namespace), stringify(group));
      if (!res.ok) return refused(res, `setting rule group "${group.name}" in ${namespace}`);
      await res.body?.cancel();
    },
    async deleteGroup(namespace, name) {
      const res = await send("DELETE", rules(namespace, name));
      if (res.status === 404 || res.ok) {
        await res.body?.cancel();
        return;
      }
      return refused(res, `deleting rule group "${name}" from ${namespace}`);
    },
    metricNames: () => names(`${base}/prometheus/api/v1/label/__name__/values`, "the data source's metric names"),
    labelNames: (metric) =>
      names(`${base}/prometheus/api/v1/labels?${new URLSearchParams({ "match[]": metric }).toString()}`, `the labels of ${metric}`),
  };

  /** A Prometheus API list of names (`{"status":"success","data":[...]}`). */
  async function names(url: string, what: string): Promise<Set<string>> {
    const res = await send("GET", url);
    if (!res.ok) return refused(res, `listing ${what}`);
    const body = (await res.json()) as { status?: unknown; data?: unknown };
    if (body.status !== "success" || !Array.isArray(body.data)) {
      throw new RulerError("alerts_ruler_refused", `${what} came back in an unexpected shape`, {
        hint: "run the sync again; if it persists, check the data source URL",
      });
    }
    return new Set(body.data.filter((n): n is string => typeof n === "string"));
  }
}

function withoutQuery(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url;
  }
}
