import { createHash, randomBytes } from "node:crypto";
import { isUuid, newId, statusAfter, timestamp } from "../../clock.js";
import { checkRegion, REGIONS, type SandboxContext } from "../../context.js";
import { alreadyExists, invalidArgument, notFound, ScwError } from "../../errors.js";
import { Fields } from "../../fields.js";
import { findById } from "../../lookup.js";
import { ordersBy, paginate, sameAsQuery } from "../../pagination.js";
import type { ApiRequest, Router } from "../../router.js";
import { PROJECTS, type Project } from "../account.js";
import { PLANS, PRECONFIGURED_RULES, PRODUCTS, RETENTION_CONFIG, type PreconfiguredRule } from "./catalogue.js";
import { dataSourceUrl, rulerRoutes } from "./ruler.js";

/** cockpit/v1 DataSource, field for field as recorded (cockpit/testdata/*source*.cassette.yaml). */
export interface DataSource {
  created_at: string;
  id: string;
  name: string;
  origin: "custom" | "scaleway";
  project_id: string;
  region: string;
  retention_days: number;
  synchronized_with_grafana: boolean;
  type: DataSourceType;
  updated_at: string;
  url: string;
}

const DATA_SOURCE_TYPES = ["metrics", "logs", "traces"] as const;
type DataSourceType = (typeof DATA_SOURCE_TYPES)[number];

/** cockpit/v1 Token. The secret key is answered once, by the create; it is never stored. */
export interface Token {
  created_at: string;
  id: string;
  name: string;
  project_id: string;
  region: string;
  scopes: string[];
  updated_at: string;
}

const TOKEN_SCOPES = [
  "read_only_metrics",
  "write_only_metrics",
  "full_access_metrics_rules",
  "read_only_logs",
  "write_only_logs",
  "full_access_logs_rules",
  "full_access_alert_manager",
  "read_only_traces",
  "write_only_traces",
] as const;

interface ContactPoint {
  email: { to: string };
  region: string;
  send_resolved_notifications: boolean;
}

/** A preconfigured rule's last change in one project: its status moves from `enabling` to `enabled` (or `disabling` to `disabled`). */
interface RuleChange {
  target: "enabled" | "disabled";
  since: string;
}

/** One project's alert manager in one region (key `<region>/<project_id>`). */
export interface AlertManager {
  region: string;
  project_id: string;
  enabled: boolean;
  /** The legacy managed-alerts switch (EnableManagedAlerts). */
  managed_alerts: boolean;
  /** The alert manager's own id, in its URL; kept across disable/enable as Scaleway does. */
  url_id: string;
  contact_points: ContactPoint[];
  rules: Record<string, RuleChange>;
}

interface GrafanaUser {
  id: number;
  login: string;
  role: string;
  project_id: string;
}

export const COCKPIT_DATA_SOURCES = "cockpit.data_sources";
export const COCKPIT_TOKENS = "cockpit.tokens";
export const COCKPIT_ALERT_MANAGERS = "cockpit.alert_managers";
const GRAFANA_USERS = "cockpit.grafana_users";
/** The last Grafana user id given per project (ids are small integers; 1 is Grafana's own admin). */
const GRAFANA_USER_IDS = "cockpit.grafana_user_ids";
const PLAN_OF_PROJECT = "cockpit.plans";

/**
 * Recorded (cockpit-alert-manager-id-handling #28): a project-scoped call for a project that does
 * not exist answers 403 permissions_denied, not 404 (the provider retries 403s a while).
 */
const permissionsDenied = (action: "read" | "write"): ScwError =>
  new ScwError(403, { details: [{ action, resource: "cockpit" }], message: "insufficient permissions", type: "permissions_denied" });

/** A stable UUID-shaped id derived from a name: Scaleway-managed things exist per project without being created. */
function derivedId(name: string): string {
  const h = createHash("sha256").update(name).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function cockpitRoutes(router: Router, ctx: SandboxContext): void {
  const sources = () => ctx.store.collection<DataSource>(COCKPIT_DATA_SOURCES);
  const tokens = () => ctx.store.collection<Token>(COCKPIT_TOKENS);
  const managers = () => ctx.store.collection<AlertManager>(COCKPIT_ALERT_MANAGERS);
  const grafanaUsers = () => ctx.store.collection<GrafanaUser>(GRAFANA_USERS);
  const grafanaIds = () => ctx.store.collection<number>(GRAFANA_USER_IDS);
  const plans = () => ctx.store.collection<string>(PLAN_OF_PROJECT);
  const regional = "/cockpit/v1/regions/{region}";
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };

  /** The project a call names (query for reads, body for writes): a UUID of a project of the account. */
  const projectOf = (req: ApiRequest, from: "query" | "body"): string => {
    const raw = from === "query" ? (req.query.get("project_id") ?? undefined) : req.body.project_id;
    if (typeof raw !== "string" || raw === "") throw invalidArgument("project_id", "required", "is required");
    if (!isUuid(raw)) throw invalidArgument("project_id", "format", "must be a UUID");
    // Recorded in 4 of 6 cassettes: Cockpit still answers for a project deleted a moment before (its
    // alert manager reads as disabled); the 2 others answered 403. The sandbox keeps answering.
    const lingering = managers()
      .all()
      .some((m) => m.project_id === raw);
    if (!ctx.store.collection<Project>(PROJECTS).get(raw) && !lingering) throw permissionsDenied(req.method === "GET" ? "read" : "write");
    return raw;
  };

  /**
   * The Scaleway-managed sources every project has (origin `scaleway`, recorded in
   * cockpit-sources-data-source-default-sources): derived, never stored, never deletable.
   */
  const scalewaySources = (projectId: string, region: string): DataSource[] => {
    const since = ctx.store.collection<Project>(PROJECTS).get(projectId)?.created_at ?? timestamp(0);
    return (
      [
        ["metrics", "Scaleway Metrics", 31],
        ["logs", "Scaleway Logs", 7],
      ] as const
    ).map(([type, name, retention]) => {
      const id = derivedId(`cockpit/${region}/${projectId}/${type}`);
      return {
        created_at: since,
        id,
        name,
        origin: "scaleway",
        project_id: projectId,
        region,
        retention_days: retention,
        synchronized_with_grafana: true,
        type,
        updated_at: since,
        url: dataSourceUrl(ctx, id),
      };
    });
  };
  const findSource = (region: string, id: string | undefined): DataSource => {
    const custom = id && isUuid(id) ? sources().get(id) : undefined;
    if (custom && custom.region === region) return custom;
    const managed = ctx.store
      .collection<Project>(PROJECTS)
      .all()
      .flatMap((p) => scalewaySources(p.id, region))
      .find((s) => s.id === id);
    if (managed) return managed;
    throw notFound("data source", id ?? "");
  };
  /** Custom sources are synchronized with Grafana a moment after their creation (recorded: false, then true). */
  const sourceWire = (s: DataSource, withUsage = true): DataSource & { current_month_usage?: number } => {
    const synced = s.synchronized_with_grafana || statusAfter(s.created_at, ctx.readyDelayMs, "pending", "synced") === "synced";
    // Cockpit answers https://<id>.<type>.cockpit.<region>.scw.cloud; the sandbox answers where it serves the source's
    // ruler and label values itself (ruler.ts), from its current base URL (its port may change between starts).
    const wire = { ...s, synchronized_with_grafana: synced, url: dataSourceUrl(ctx, s.id) };
    // The create's and update's answers carry no usage; reads and lists do (recorded since 2026).
    return withUsage ? { ...wire, current_month_usage: 0 } : wire;
  };

  // --- Data sources ------------------------------------------------------------------------------

  rulerRoutes(router, ctx, (id) => {
    const custom = isUuid(id) ? sources().get(id) : undefined;
    if (custom) return custom;
    const projects = ctx.store.collection<Project>(PROJECTS).all();
    return REGIONS.flatMap((region) => projects.flatMap((p) => scalewaySources(p.id, region))).find((s) => s.id === id);
  });

  router.add("POST", `${regional}/data-sources`, async (req) => {
    const region = checkRegion(req.params.region);
    const projectId = projectOf(req, "body");
    const f = new Fields(req.body);
    const name = f.string("name", { required: true, min: 1, max: 255 });
    const type = f.oneOf("type", DATA_SOURCE_TYPES, "metrics");
    const retention = retentionDays(f, req.body.retention_days, type);
    f.check();
    const now = timestamp();
    const id = newId();
    const source: DataSource = {
      created_at: now,
      id,
      name,
      origin: "custom",
      project_id: projectId,
      region,
      retention_days: retention ?? defaultRetention(type),
      synchronized_with_grafana: false,
      type,
      updated_at: now,
      url: dataSourceUrl(ctx, id),
    };
    sources().put(id, source);
    return save(sourceWire(source, false));
  });

  router.add("GET", `${regional}/data-sources`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const projectId = q.get("project_id") ? projectOf(req, "query") : undefined;
    const origin = q.get("origin") ?? "unknown_origin";
    const types = q.getAll("types").filter((t) => t !== "unknown_type");
    const all = [
      ...sources()
        .all()
        .filter((s) => s.region === region),
      ...(projectId ? scalewaySources(projectId, region) : []),
    ];
    const matches = all
      .filter((s) => !projectId || s.project_id === projectId)
      .filter((s) => origin === "unknown_origin" || s.origin === origin)
      .filter((s) => types.length === 0 || types.includes(s.type))
      .filter(sameAsQuery(q, "name"));
    const page = paginate(
      q,
      matches,
      ordersBy<DataSource>({ created_at: (s) => s.created_at, name: (s) => s.name, type: (s) => s.type }),
      "created_at_asc",
    );
    return { body: { data_sources: page.items.map((s) => sourceWire(s)), total_count: page.total } };
  });

  router.add("GET", `${regional}/data-sources/{data_source_id}`, (req) => ({
    body: sourceWire(findSource(checkRegion(req.params.region), req.params.data_source_id)),
  }));

  router.add("PATCH", `${regional}/data-sources/{data_source_id}`, async (req) => {
    const source = findSource(checkRegion(req.params.region), req.params.data_source_id);
    if (source.origin === "scaleway") throw permissionsDenied("write");
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1, max: 255 });
    const retention = retentionDays(f, req.body.retention_days, source.type);
    f.check();
    // Recorded (cockpit-source-update): the answer keeps the creation's updated_at.
    const updated: DataSource = { ...source, name: name ?? source.name, retention_days: retention ?? source.retention_days };
    sources().put(source.id, updated);
    return save(sourceWire(updated, false));
  });

  router.add("DELETE", `${regional}/data-sources/{data_source_id}`, async (req) => {
    const source = findSource(checkRegion(req.params.region), req.params.data_source_id);
    if (source.origin === "scaleway") throw permissionsDenied("write");
    sources().delete(source.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  // --- Tokens ------------------------------------------------------------------------------------

  const findToken = (region: string, id: string | undefined): Token =>
    findById(
      (i) => tokens().get(i),
      id,
      () => notFound("token", id ?? ""),
      (t) => t.region === region,
    );

  router.add("POST", `${regional}/tokens`, async (req) => {
    const region = checkRegion(req.params.region);
    const projectId = projectOf(req, "body");
    const f = new Fields(req.body);
    const name = f.string("name", { required: true, min: 1, max: 255 });
    const scopes = f.strings("token_scopes") ?? [];
    const unknown = scopes.filter((s) => !(TOKEN_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0)
      f.fail("token_scopes", "constraint", `unknown scope(s) ${unknown.join(", ")}; one of: ${TOKEN_SCOPES.join(", ")}`);
    f.check();
    const now = timestamp();
    const token: Token = { created_at: now, id: newId(), name, project_id: projectId, region, scopes, updated_at: now };
    tokens().put(token.id, token);
    // The secret key is answered here only: Scaleway shows it once, and the sandbox keeps no copy.
    return save({ ...token, secret_key: newId() });
  });

  router.add("GET", `${regional}/tokens`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const projectId = q.get("project_id") ? projectOf(req, "query") : undefined;
    const scopes = q.getAll("token_scopes");
    const matches = tokens()
      .all()
      .filter((t) => t.region === region && (!projectId || t.project_id === projectId))
      .filter((t) => scopes.every((s) => t.scopes.includes(s)));
    const page = paginate(q, matches, ordersBy<Token>({ created_at: (t) => t.created_at, name: (t) => t.name }), "created_at_asc");
    return { body: { tokens: page.items.map(tokenWire), total_count: page.total } };
  });

  router.add("GET", `${regional}/tokens/{token_id}`, (req) => ({
    body: tokenWire(findToken(checkRegion(req.params.region), req.params.token_id)),
  }));

  router.add("DELETE", `${regional}/tokens/{token_id}`, async (req) => {
    const token = findToken(checkRegion(req.params.region), req.params.token_id);
    tokens().delete(token.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  // --- Alert manager -----------------------------------------------------------------------------

  const managerOf = (region: string, projectId: string): AlertManager =>
    managers().get(`${region}/${projectId}`) ?? {
      region,
      project_id: projectId,
      enabled: false,
      managed_alerts: false,
      url_id: newId(),
      contact_points: [],
      rules: {},
    };
  const putManager = (m: AlertManager) => managers().put(`${m.region}/${m.project_id}`, m);
  const ruleStatus = (m: AlertManager, ruleId: string): "enabled" | "enabling" | "disabled" | "disabling" => {
    const change = m.rules[ruleId];
    if (!change) return "disabled";
    return change.target === "enabled"
      ? statusAfter(change.since, ctx.readyDelayMs, "enabling", "enabled")
      : statusAfter(change.since, ctx.readyDelayMs, "disabling", "disabled");
  };
  const activeRules = (m: AlertManager) =>
    PRECONFIGURED_RULES.filter((r) => ["enabled", "enabling"].includes(ruleStatus(m, r.rule_id))).length;
  const managerWire = (m: AlertManager) => ({
    alert_manager_enabled: m.enabled,
    alert_manager_url: m.enabled ? `https://${m.url_id}.alertmanager.cockpit.${m.region}.scw.cloud` : null,
    // Recorded (cockpit-alert-manager-with-preconfigured-alerts #7): true once preconfigured rules are on.
    managed_alerts_enabled: m.enabled && (m.managed_alerts || activeRules(m) > 0),
    region: m.region,
  });
  const alertWire = (m: AlertManager, r: PreconfiguredRule) => {
    const status = ruleStatus(m, r.rule_id);
    // Recorded: a rule being evaluated is `inactive` (no firing in the sandbox) and names the project's
    // Scaleway metrics source; a disabled or not yet enabled one is `unknown_state`, with no source.
    const evaluated = status === "enabled" || status === "disabling";
    return {
      annotations: r.annotations,
      data_source_id: evaluated ? (scalewaySources(m.project_id, m.region)[0]?.id ?? "") : "",
      duration: r.duration,
      name: r.name,
      preconfigured: true,
      preconfigured_data: {
        display_description: r.display_description,
        display_name: r.display_name,
        preconfigured_rule_id: r.rule_id,
        product_family: r.product_family,
        product_name: r.product_name,
      },
      region: m.region,
      rule: r.rule,
      rule_status: status,
      state: evaluated ? "inactive" : "unknown_state",
    };
  };

  router.add("GET", `${regional}/alert-manager`, (req) => ({
    body: managerWire(managerOf(checkRegion(req.params.region), projectOf(req, "query"))),
  }));

  for (const [action, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    router.add("POST", `${regional}/alert-manager/${action}`, async (req) => {
      const m = managerOf(checkRegion(req.params.region), projectOf(req, "body"));
      const updated = { ...m, enabled, managed_alerts: enabled && m.managed_alerts };
      putManager(updated);
      return save(managerWire(updated));
    });
    router.add("POST", `${regional}/alert-manager/managed-alerts/${action}`, async (req) => {
      const m = managerOf(checkRegion(req.params.region), projectOf(req, "body"));
      const updated = { ...m, managed_alerts: enabled };
      putManager(updated);
      return save(managerWire(updated));
    });
  }

  for (const [action, target, field] of [
    ["enable-alert-rules", "enabled", "enabled_rule_ids"],
    ["disable-alert-rules", "disabled", "disabled_rule_ids"],
  ] as const) {
    router.add("POST", `${regional}/alert-manager/${action}`, async (req) => {
      const m = managerOf(checkRegion(req.params.region), projectOf(req, "body"));
      const f = new Fields(req.body);
      const asked = f.strings("rule_ids") ?? [];
      f.check();
      // An empty list means every preconfigured rule (RegionalAPIEnableAlertRulesRequest.RuleIDs).
      const ids = asked.length > 0 ? [...new Set(asked)] : PRECONFIGURED_RULES.map((r) => r.rule_id);
      const unknown = ids.find((id) => !PRECONFIGURED_RULES.some((r) => r.rule_id === id));
      if (unknown !== undefined) throw notFound("alert_rule", unknown);
      const now = timestamp();
      const rules = { ...m.rules };
      for (const id of ids) {
        const status = ruleStatus(m, id);
        // A rule already on its way to the target keeps its timestamp: asking again does not restart it.
        const there = target === "enabled" ? ["enabled", "enabling"] : ["disabled", "disabling"];
        if (!there.includes(status)) rules[id] = { target, since: now };
      }
      putManager({ ...m, rules });
      // Recorded: the ids come back sorted.
      return save({ [field]: [...ids].sort() });
    });
  }

  router.add("GET", `${regional}/alerts`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const m = managerOf(region, projectOf(req, "query"));
    // Only preconfigured rules exist here: custom rules live in the data sources' Mimir/Loki rulers.
    const preconfigured = q.get("is_preconfigured") !== "false";
    const alerts = (preconfigured ? PRECONFIGURED_RULES : [])
      .map((r) => alertWire(m, r))
      .filter((a) => !q.get("rule_status") || q.get("rule_status") === "unknown_status" || a.rule_status === q.get("rule_status"))
      .filter((a) => !q.get("state") || q.get("state") === "unknown_state" || a.state === q.get("state"))
      .filter((a) => !q.get("data_source_id") || a.data_source_id === q.get("data_source_id"));
    const page = paginate(q, alerts, { catalogue: () => 0 }, "catalogue");
    return { body: { alerts: page.items, total_count: page.total } };
  });

  router.add("GET", `${regional}/rules/count`, (req) => {
    const region = checkRegion(req.params.region);
    const m = managerOf(region, projectOf(req, "query"));
    const enabled = PRECONFIGURED_RULES.filter((r) => ruleStatus(m, r.rule_id) === "enabled").length;
    return { body: { rules_count_by_datasource: [], preconfigured_rules_count: enabled, custom_rules_count: 0 } };
  });

  // Contact points are keyed by their email: the API has no id for them (delete names the email).
  const emailOf = (f: Fields, body: ApiRequest["body"]): string => {
    const email = body.email as { to?: unknown } | undefined;
    const to = typeof email === "object" && email !== null ? email.to : undefined;
    if (typeof to !== "string" || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(to)) f.fail("email.to", "format", "must be an email address");
    return typeof to === "string" ? to : "";
  };

  router.add("POST", `${regional}/alert-manager/contact-points`, async (req) => {
    const m = managerOf(checkRegion(req.params.region), projectOf(req, "body"));
    const f = new Fields(req.body);
    const to = emailOf(f, req.body);
    const sendResolved = f.boolean("send_resolved_notifications") ?? true;
    f.check();
    if (m.contact_points.some((c) => c.email.to === to))
      throw alreadyExists("contact_point", to, `a contact point for ${to} already exists`);
    const cp: ContactPoint = { email: { to }, region: m.region, send_resolved_notifications: sendResolved };
    putManager({ ...m, contact_points: [...m.contact_points, cp] });
    return save(cp);
  });

  router.add("GET", `${regional}/alert-manager/contact-points`, (req) => {
    const m = managerOf(checkRegion(req.params.region), projectOf(req, "query"));
    const page = paginate(req.query, m.contact_points, { creation: () => 0 }, "creation");
    return {
      body: { contact_points: page.items, has_additional_contact_points: false, has_additional_receivers: false, total_count: page.total },
    };
  });

  router.add("PATCH", `${regional}/alert-manager/contact-points`, async (req) => {
    const m = managerOf(checkRegion(req.params.region), projectOf(req, "body"));
    const f = new Fields(req.body);
    const to = emailOf(f, req.body);
    const sendResolved = f.boolean("send_resolved_notifications");
    f.check();
    const cp = m.contact_points.find((c) => c.email.to === to);
    if (!cp) throw notFound("contact_point", to);
    const updated = { ...cp, send_resolved_notifications: sendResolved ?? cp.send_resolved_notifications };
    putManager({ ...m, contact_points: m.contact_points.map((c) => (c === cp ? updated : c)) });
    return save(updated);
  });

  router.add("POST", `${regional}/alert-manager/contact-points/delete`, async (req) => {
    const m = managerOf(checkRegion(req.params.region), projectOf(req, "body"));
    const f = new Fields(req.body);
    const to = emailOf(f, req.body);
    f.check();
    if (!m.contact_points.some((c) => c.email.to === to)) throw notFound("contact_point", to);
    putManager({ ...m, contact_points: m.contact_points.filter((c) => c.email.to !== to) });
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("POST", `${regional}/alert-manager/trigger-test-alert`, (req) => {
    projectOf(req, "body");
    checkRegion(req.params.region);
    return { status: 204 };
  });

  // --- Regional catalogue ------------------------------------------------------------------------

  router.add("GET", `${regional}/config`, (req) => {
    checkRegion(req.params.region);
    return { body: RETENTION_CONFIG };
  });

  router.add("GET", `${regional}/products`, (req) => {
    checkRegion(req.params.region);
    const page = paginate(
      req.query,
      [...PRODUCTS],
      ordersBy<(typeof PRODUCTS)[number]>({ display_name: (p) => p.display_name.toLowerCase(), name: (p) => p.name }),
      "display_name_asc",
    );
    return { body: { products_list: page.items, total_count: page.total } };
  });

  // --- Global: Grafana and plans -----------------------------------------------------------------

  router.add("GET", "/cockpit/v1/grafana", (req) => {
    const projectId = projectOf(req, "query");
    return { body: { grafana_url: `https://${projectId}.dashboard.cockpit.scaleway.com` } };
  });

  router.add("POST", "/cockpit/v1/grafana/sync-data-sources", async (req) => {
    const projectId = projectOf(req, "body");
    for (const s of sources().all()) if (s.project_id === projectId) sources().put(s.id, { ...s, synchronized_with_grafana: true });
    await ctx.store.flush();
    return { status: 204 };
  });

  const GRAFANA_ROLES = ["editor", "viewer"] as const;
  const findGrafanaUser = (req: ApiRequest): GrafanaUser => {
    const projectId = projectOf(req, "query");
    const u = grafanaUsers().get(`${projectId}/${req.params.grafana_user_id ?? ""}`);
    if (!u) throw notFound("grafana_user", req.params.grafana_user_id ?? "");
    return u;
  };
  const password = () => randomBytes(12).toString("base64url").slice(0, 16);

  router.add("POST", "/cockpit/v1/grafana/users", async (req) => {
    const projectId = projectOf(req, "body");
    const f = new Fields(req.body);
    const login = f.string("login", { required: true, min: 2, max: 24 });
    const role = f.oneOf("role", GRAFANA_ROLES, "viewer");
    f.check();
    const clash = grafanaUsers()
      .all()
      .find((u) => u.project_id === projectId && u.login === login);
    if (clash) throw alreadyExists("grafana_user", String(clash.id), `a Grafana user ${login} already exists`);
    const id = (grafanaIds().get(projectId) ?? 1) + 1;
    grafanaIds().put(projectId, id);
    const user: GrafanaUser = { id, login, role, project_id: projectId };
    grafanaUsers().put(`${projectId}/${id}`, user);
    // The password is answered once, at creation.
    return save({ id, login, password: password(), role });
  });

  router.add("GET", "/cockpit/v1/grafana/users", (req) => {
    const projectId = projectOf(req, "query");
    const page = paginate(
      req.query,
      grafanaUsers()
        .all()
        .filter((u) => u.project_id === projectId),
      ordersBy<GrafanaUser>({ login: (u) => u.login }),
      "login_asc",
    );
    return {
      body: { grafana_users: page.items.map((u) => ({ id: u.id, login: u.login, password: "", role: u.role })), total_count: page.total },
    };
  });

  router.add("DELETE", "/cockpit/v1/grafana/users/{grafana_user_id}", async (req) => {
    const user = findGrafanaUser(req);
    grafanaUsers().delete(`${user.project_id}/${user.id}`);
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("POST", "/cockpit/v1/grafana/users/{grafana_user_id}/reset-password", (req) => {
    const user = findGrafanaUser(req);
    return { body: { id: user.id, login: user.login, password: password(), role: user.role } };
  });

  router.add("GET", "/cockpit/v1/plans", (req) => {
    const page = paginate(req.query, [...PLANS], ordersBy<(typeof PLANS)[number]>({ name: (p) => p.name }), "name_asc");
    return { body: { plans: page.items, total_count: page.total } };
  });

  router.add("PATCH", "/cockpit/v1/plans", async (req) => {
    const projectId = projectOf(req, "body");
    const f = new Fields(req.body);
    const planName = f.oneOf(
      "plan_name",
      PLANS.map((p) => p.name),
      "free",
    );
    f.check();
    plans().put(projectId, planName);
    return save(PLANS.find((p) => p.name === planName));
  });

  router.add("GET", "/cockpit/v1/current-plan", (req) => {
    const projectId = projectOf(req, "query");
    const planName = plans().get(projectId) ?? "free";
    return { body: PLANS.find((p) => p.name === planName) };
  });
}

/** Recorded: the token's read answers a non-empty secret_key (anonymized in the cassettes); the sandbox answers a mask. */
function tokenWire(t: Token) {
  return { ...t, secret_key: "********-****-****-****-************" };
}

type RetentionKey = keyof typeof RETENTION_CONFIG;
const retentionKey = (type: DataSourceType): RetentionKey => `custom_${type}_retention` as RetentionKey;
const defaultRetention = (type: DataSourceType): number => RETENTION_CONFIG[retentionKey(type)].default_days;

/** `retention_days` within the region's bounds for the type (GetConfig's custom_*_retention). */
function retentionDays(f: Fields, v: unknown, type: DataSourceType): number | undefined {
  if (v === undefined || v === null) return undefined;
  const { min_days: min, max_days: max } = RETENTION_CONFIG[retentionKey(type)];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    f.fail("retention_days", "constraint", `must be an integer between ${min} and ${max}`);
    return undefined;
  }
  return v;
}
