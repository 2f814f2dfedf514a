import { newId, timestamp } from "../../clock.js";
import { checkRegion, type SandboxContext } from "../../context.js";
import { invalidArgument, notFound, type JsonObject } from "../../errors.js";
import { Fields } from "../../fields.js";
import { byField, ordersBy, paginate, sameAsQuery } from "../../pagination.js";
import type { Router } from "../../router.js";
import { PROJECTS, type Project } from "../account.js";
import { clusterOf, createCluster, createRole, removeCluster } from "./clusters.js";
import { LOGO_URL, PG_INIT_SETTINGS, PG_SETTINGS, PG_VERSIONS } from "./engines.js";
import {
  databases,
  findInstance,
  endpointWire,
  instanceWire,
  instances,
  isGone,
  privileges,
  readyInstance,
  subKey,
  type Setting,
  type StoredEndpoint,
  type StoredInstance,
  touch,
  users,
} from "./model.js";
import { attachEndpointIps, privateEndpoint, releasePrivateEndpoints } from "./network.js";

const GB = 1_000_000_000;
const DAY_MS = 24 * 3600 * 1000;
const VOLUME_TYPES = ["lssd", "sbs_5k", "sbs_15k", "bssd"] as const;

export const base = "/rdb/v1/regions/{region}";

const asObject = (v: unknown): JsonObject | undefined =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as JsonObject) : undefined;

function settingsOf(f: Fields, body: JsonObject, name: string): Setting[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => !asObject(s) || typeof asObject(s)?.name !== "string" || typeof asObject(s)?.value !== "string")) {
    f.fail(name, "format", "must be a list of {name, value} strings");
    return [];
  }
  return (v as { name: string; value: string }[]).map((s) => ({ name: s.name, value: s.value }));
}

/** Endpoint specs of a create or of POST .../endpoints: a private network or the public load balancer. */
function endpointFromSpec(ctx: SandboxContext, region: string, spec: JsonObject): StoredEndpoint {
  const id = newId();
  const pn = asObject(spec.private_network);
  if (pn) return privateEndpoint(ctx, region, pn, id);
  if (asObject(spec.load_balancer)) return { id, kind: "load_balancer" };
  throw invalidArgument("endpoint_spec", "required", "one of private_network or load_balancer is required");
}

/** Purges instances whose `deleting` time passed (their servers were removed at DELETE). */
export function purgeGone(ctx: SandboxContext): void {
  for (const i of instances(ctx).all()) if (isGone(ctx, i)) instances(ctx).delete(i.id);
}

export function instanceRoutes(router: Router, ctx: SandboxContext): void {
  const save = async (i: StoredInstance): Promise<{ body: Record<string, unknown> }> => {
    instances(ctx).put(i.id, i);
    await ctx.store.flush();
    return { body: instanceWire(ctx, i) };
  };

  router.add("GET", `${base}/database-engines`, (req) => {
    const region = checkRegion(req.params.region);
    const versions = PG_VERSIONS.map(([v, eol]) => ({
      available_init_settings: PG_INIT_SETTINGS,
      available_settings: PG_SETTINGS,
      beta: false,
      disabled: Number(v) < 13,
      end_of_life: eol,
      name: `PostgreSQL-${v}`,
      version: v,
    }));
    return { body: { engines: [{ logo_url: LOGO_URL, name: "PostgreSQL", region, versions }], total_count: 1 } };
  });

  router.add("POST", `${base}/instances`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const projectId = f.uuid("project_id", { required: true });
    const name = f.string("name", { required: true, min: 1, max: 255 });
    const engine = f.string("engine", { required: true });
    if (engine && !/^PostgreSQL-\d+$/i.test(engine)) f.fail("engine", "constraint", "the sandbox runs PostgreSQL engines only");
    const userName = f.string("user_name") ?? "";
    const password = f.string("password") ?? "";
    if (userName !== "" && password.length < 8) f.fail("password", "constraint", "must be at least 8 characters long");
    const nodeType = f.string("node_type", { required: true });
    const isHa = f.boolean("is_ha_cluster") ?? false;
    const disableBackup = f.boolean("disable_backup") ?? false;
    const tags = f.strings("tags") ?? [];
    const initSettings = settingsOf(f, req.body, "init_settings") ?? [];
    const volumeType = f.oneOf("volume_type", VOLUME_TYPES, "lssd");
    const volumeSize = typeof req.body.volume_size === "number" ? req.body.volume_size : 0;
    const sameRegion = f.boolean("backup_same_region") ?? false;
    const encryption = asObject(req.body.encryption)?.enabled === true;
    const initEndpoints = req.body.init_endpoints;
    if (initEndpoints !== undefined && initEndpoints !== null && !Array.isArray(initEndpoints))
      f.fail("init_endpoints", "format", "must be a list of endpoint specs");
    f.check();
    const id = newId();
    // No init_endpoints: a public (load balancer) endpoint, as Scaleway makes by default.
    const endpoints: StoredEndpoint[] = Array.isArray(initEndpoints)
      ? initEndpoints.map((s) => endpointFromSpec(ctx, region, asObject(s) ?? {}))
      : [{ id: newId(), kind: "load_balancer" }];
    const cluster = await createCluster(ctx, id);
    try {
      if (userName !== "") await createRole(cluster, userName, password, true, []);
    } catch (err) {
      await removeCluster(ctx, { id, port: cluster.port } as StoredInstance);
      throw err;
    }
    const now = timestamp();
    const org = ctx.store.collection<Project>(PROJECTS).get(projectId)?.organization_id ?? projectId;
    const instance: StoredInstance = {
      id,
      name,
      organization_id: org,
      project_id: projectId,
      region,
      engine,
      node_type: nodeType.toLowerCase(),
      is_ha_cluster: isHa,
      tags,
      created_at: now,
      backup_same_region: sameRegion,
      backup_schedule: {
        disabled: disableBackup,
        frequency: 24,
        next_run_at: disableBackup ? null : timestamp(Date.parse(now) + DAY_MS),
        retention: 7,
      },
      encryption: { enabled: encryption },
      logs_policy: { max_age_retention: 30, total_disk_retention: null },
      init_settings: initSettings,
      settings: [],
      volume:
        volumeType === "lssd"
          ? { class: "lssd", size: 5 * GB, type: "lssd" }
          : { class: "sbs", size: volumeSize > 0 ? volumeSize : 10 * GB, type: volumeType },
      endpoints,
      acl: [],
      transient: "provisioning",
      since: timestamp(),
      port: cluster.port,
    };
    if (userName !== "") users(ctx).put(subKey(id, userName), { instance_id: id, name: userName, is_admin: true });
    attachEndpointIps(ctx, instance, endpoints);
    return save(instance);
  });

  router.add("GET", `${base}/instances`, (req) => {
    const region = checkRegion(req.params.region);
    purgeGone(ctx);
    const q = req.query;
    const tags = q.getAll("tags");
    const matches = instances(ctx)
      .all()
      .filter((i) => i.region === region)
      .filter((i) => !q.get("name") || i.name.includes(q.get("name") ?? ""))
      .filter(sameAsQuery(q, "project_id", "organization_id"))
      .filter((i) => tags.every((t) => i.tags.includes(t)));
    const page = paginate(q, matches, ordersBy<StoredInstance>({ created_at: (i) => i.created_at, name: (i) => i.name }), "created_at_asc");
    return { body: { instances: page.items.map((i) => instanceWire(ctx, i)), total_count: page.total } };
  });

  router.add("GET", `${base}/instances/{instance_id}`, (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    return { body: instanceWire(ctx, i) };
  });

  router.add("PATCH", `${base}/instances/{instance_id}`, async (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1, max: 255 });
    const tags = f.strings("tags");
    const disabled = f.boolean("is_backup_schedule_disabled");
    const sameRegion = f.boolean("backup_same_region");
    const num = (k: string): number | undefined => {
      const v = req.body[k];
      if (v === undefined || v === null) return undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) return (f.fail(k, "format", "must be a whole number"), undefined);
      return v;
    };
    const frequency = num("backup_schedule_frequency");
    const retention = num("backup_schedule_retention");
    const logs = asObject(req.body.logs_policy);
    f.check();
    const schedule = { ...i.backup_schedule };
    if (disabled !== undefined) schedule.disabled = disabled;
    if (frequency !== undefined) schedule.frequency = frequency;
    if (retention !== undefined) schedule.retention = retention;
    schedule.next_run_at = schedule.disabled ? null : timestamp(Date.now() + schedule.frequency * 3600 * 1000);
    const logsPolicy = logs
      ? {
          max_age_retention: typeof logs.max_age_retention === "number" ? logs.max_age_retention : i.logs_policy.max_age_retention,
          total_disk_retention:
            typeof logs.total_disk_retention === "number" ? logs.total_disk_retention : i.logs_policy.total_disk_retention,
        }
      : i.logs_policy;
    return save({
      ...i,
      name: name ?? i.name,
      tags: tags ?? i.tags,
      backup_schedule: schedule,
      backup_same_region: sameRegion ?? i.backup_same_region,
      logs_policy: logsPolicy,
    });
  });

  router.add("DELETE", `${base}/instances/{instance_id}`, async (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    if (i.deleted_at) return { body: instanceWire(ctx, i) };
    // The server and its files go now; the record answers `deleting` for the sandbox's delay, then 404.
    await removeCluster(ctx, i);
    releasePrivateEndpoints(ctx, i.id);
    for (const u of users(ctx).all()) if (u.instance_id === i.id) users(ctx).delete(subKey(i.id, u.name));
    for (const d of databases(ctx).all()) if (d.instance_id === i.id) databases(ctx).delete(subKey(i.id, d.name));
    for (const p of privileges(ctx).all()) if (p.instance_id === i.id) privileges(ctx).delete(subKey(i.id, p.database_name, p.user_name));
    const gone = { ...i, deleted_at: timestamp() };
    const answer = instanceWire(ctx, gone);
    instances(ctx).put(i.id, gone);
    await ctx.store.flush();
    return { body: answer };
  });

  router.add("GET", `${base}/instances/{instance_id}/certificate`, async (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const cert = await (await clusterOf(ctx, i)).certificate();
    // `dl=1` (what @scaleway/sdk-rdb's getInstanceCertificate sends, responseType blob) downloads the
    // file itself; without it the answer is the scw.File object the Go SDK and the provider read.
    if (req.query.get("dl") === "1") return { raw: { contentType: "application/x-pem-file", text: cert.toString("utf8") } };
    return { body: { content: cert.toString("base64"), content_type: "application/x-pem-file", name: "ssl_certificate" } };
  });

  router.add("POST", `${base}/instances/{instance_id}/renew-certificate`, (req) => {
    readyInstance(ctx, req.params.region, req.params.instance_id);
    return { status: 204 };
  });

  router.add("POST", `${base}/instances/{instance_id}/purge-logs`, (req) => {
    readyInstance(ctx, req.params.region, req.params.instance_id);
    return { status: 204 };
  });

  router.add("POST", `${base}/instances/{instance_id}/restart`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const cluster = await clusterOf(ctx, i);
    await cluster.stop();
    await cluster.start();
    return save(touch({ ...i, port: cluster.port }, "restarting"));
  });

  // Settings are recorded on the instance (the answers and the provider's reads); the server keeps its own.
  router.add("PUT", `${base}/instances/{instance_id}/settings`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const f = new Fields(req.body);
    const settings = settingsOf(f, req.body, "settings") ?? [];
    for (const s of settings)
      if (!PG_SETTINGS.some((k) => k.name === s.name)) f.fail("settings", "constraint", `unknown setting ${s.name}`);
    f.check();
    const merged = [...i.settings.filter((s) => !settings.some((n) => n.name === s.name)), ...settings];
    instances(ctx).put(i.id, touch({ ...i, settings: merged }, "configuring"));
    await ctx.store.flush();
    return { body: { settings } };
  });

  router.add("POST", `${base}/instances/{instance_id}/upgrade`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const f = new Fields(req.body);
    const nodeType = f.string("node_type");
    const volumeType = req.body.volume_type === undefined ? undefined : f.oneOf("volume_type", VOLUME_TYPES, "lssd");
    const volumeSize = typeof req.body.volume_size === "number" ? req.body.volume_size : undefined;
    const enableHa = f.boolean("enable_ha");
    if (req.body.major_upgrade_workflow !== undefined || req.body.upgradable_version_id !== undefined) {
      f.fail("major_upgrade_workflow", "constraint", "major version upgrades are not emulated: the sandbox runs one PostgreSQL version");
    }
    f.check();
    let volume = i.volume;
    if (volumeType !== undefined)
      volume = volumeType === "lssd" ? { class: "lssd", size: 5 * GB, type: "lssd" } : { ...volume, class: "sbs", type: volumeType };
    if (volumeSize !== undefined) {
      if (volumeSize < volume.size) throw invalidArgument("volume_size", "constraint", "a volume can only grow");
      volume = { ...volume, size: volumeSize };
    }
    return save(
      touch(
        { ...i, node_type: nodeType?.toLowerCase() ?? i.node_type, is_ha_cluster: enableHa ? true : i.is_ha_cluster, volume },
        "initializing",
      ),
    );
  });

  router.add("POST", `${base}/instances/{instance_id}/endpoints`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const spec = asObject(req.body.endpoint_spec);
    if (!spec) throw invalidArgument("endpoint_spec", "required", "is required");
    const endpoint = endpointFromSpec(ctx, i.region, spec);
    if (endpoint.kind === "load_balancer" && i.endpoints.some((e) => e.kind === "load_balancer")) {
      throw invalidArgument("endpoint_spec.load_balancer", "constraint", "the instance already has a load balancer endpoint");
    }
    attachEndpointIps(ctx, i, [endpoint]);
    const added = endpoint.kind === "load_balancer" ? { ...endpoint, since: timestamp() } : endpoint;
    await save(touch({ ...i, endpoints: [...i.endpoints, added] }, "initializing"));
    // Recorded: a private endpoint answers itself; a public one is made later, its answer has no address yet.
    return { body: endpoint.kind === "load_balancer" ? { id: "", name: null, port: 0 } : endpointWire(endpoint, i.port) };
  });

  router.add("DELETE", `${base}/endpoints/{endpoint_id}`, async (req) => {
    checkRegion(req.params.region);
    purgeGone(ctx);
    const id = req.params.endpoint_id ?? "";
    const i = instances(ctx)
      .all()
      .find((x) => !x.deleted_at && x.region === req.params.region && x.endpoints.some((e) => e.id === id));
    if (!i) throw notFound("endpoint", id);
    const removed = i.endpoints.find((e) => e.id === id);
    if (removed?.kind === "private_network") releasePrivateEndpoints(ctx, i.id);
    await save(touch({ ...i, endpoints: i.endpoints.filter((e) => e.id !== id) }, "configuring"));
    return { status: 204 };
  });

  // ACL rules: what the API records; every client of the sandbox is on 127.0.0.1, which no rule names.
  router.add("GET", `${base}/instances/{instance_id}/acls`, (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const page = paginate(req.query, i.acl, { ip_asc: byField<(typeof i.acl)[number]>((r) => r.ip).asc }, "ip_asc");
    return { body: { rules: page.items, total_count: page.total } };
  });

  const aclRules = (i: StoredInstance, body: JsonObject, name: string) => {
    const raw = body[name];
    if (!Array.isArray(raw)) throw invalidArgument(name, "required", "must be a list of {ip, description}");
    return raw.map((r, n) => {
      const o = asObject(r);
      const ip = o?.ip;
      if (typeof ip !== "string" || !/^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/.test(ip))
        throw invalidArgument(`${name}[${n}].ip`, "format", "must be an IPv4 address or CIDR");
      const description = typeof o?.description === "string" && o.description !== "" ? o.description : "IP allowed";
      return {
        action: "allow" as const,
        description,
        direction: "inbound" as const,
        ip: ip.includes("/") ? ip : `${ip}/32`,
        port: i.port,
        protocol: "tcp" as const,
      };
    });
  };

  router.add("PUT", `${base}/instances/{instance_id}/acls`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const rules = aclRules(i, req.body, "rules");
    instances(ctx).put(i.id, touch({ ...i, acl: rules }, "configuring"));
    await ctx.store.flush();
    return { body: { rules } };
  });

  router.add("POST", `${base}/instances/{instance_id}/acls`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const added = aclRules(i, req.body, "rules");
    instances(ctx).put(i.id, { ...i, acl: [...i.acl.filter((r) => !added.some((a) => a.ip === r.ip)), ...added] });
    await ctx.store.flush();
    return { body: { rules: added } };
  });

  router.add("DELETE", `${base}/instances/{instance_id}/acls`, async (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const ips = req.body.acl_rule_ips;
    if (!Array.isArray(ips) || ips.some((x) => typeof x !== "string"))
      throw invalidArgument("acl_rule_ips", "required", "must be a list of IPs");
    const removed = i.acl.filter((r) => (ips as string[]).includes(r.ip));
    instances(ctx).put(i.id, touch({ ...i, acl: i.acl.filter((r) => !removed.includes(r)) }, "configuring"));
    await ctx.store.flush();
    return { body: { rules: removed } };
  });
}
