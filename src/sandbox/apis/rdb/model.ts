import { isUuid, nowMs, statusAfter, timestamp } from "../../clock.js";
import { checkRegion, type SandboxContext } from "../../context.js";
import { notFound, transientState } from "../../errors.js";

/** rdb/v1 Setting and ACL rule, as recorded. */
export interface Setting {
  name: string;
  value: string;
}

export interface AclRule {
  action: "allow";
  description: string;
  direction: "inbound";
  ip: string;
  port: number;
  protocol: "tcp";
}

/** An endpoint as stored; `load_balancer` or `private_network` says its kind (rdb/v1 Endpoint). */
export interface StoredEndpoint {
  id: string;
  kind: "load_balancer" | "private_network";
  /** When a public endpoint was added to a running instance: it shows once the sandbox's delay passed (recorded). */
  since?: string;
  private_network?: { private_network_id: string; provisioning_mode: "ipam" | "static"; service_ip: string; zone: string };
}

export type InstanceStatus =
  "ready" | "provisioning" | "configuring" | "deleting" | "initializing" | "restarting" | "backuping" | "snapshotting" | "restoring";

/** An instance as stored: its wire fields, the transient status it is in since a time, and its server's port. */
export interface StoredInstance {
  id: string;
  name: string;
  organization_id: string;
  project_id: string;
  region: string;
  engine: string;
  node_type: string;
  is_ha_cluster: boolean;
  tags: string[];
  created_at: string;
  backup_same_region: boolean;
  backup_schedule: { disabled: boolean; frequency: number; next_run_at: string | null; retention: number };
  encryption: { enabled: boolean };
  logs_policy: { max_age_retention: number; total_disk_retention: number | null };
  init_settings: Setting[];
  /** Settings set through the API (the node type's defaults fill in the rest). */
  settings: Setting[];
  volume: { class: "lssd" | "sbs"; size: number; type: string };
  endpoints: StoredEndpoint[];
  acl: AclRule[];
  /** The status the instance is in until `ready`: `provisioning` after create, `initializing` after an upgrade... */
  transient: InstanceStatus;
  since: string;
  /** Set once DELETE was called: the instance answers `deleting`, then 404. */
  deleted_at?: string;
  /** The real PostgreSQL server's TCP port on 127.0.0.1. */
  port: number;
}

export interface StoredUser {
  instance_id: string;
  name: string;
  is_admin: boolean;
}

export interface StoredDatabase {
  instance_id: string;
  name: string;
  created_at: string;
}

export type Permission = "readonly" | "readwrite" | "all" | "custom" | "none";
export const PERMISSIONS = ["readonly", "readwrite", "all", "custom", "none"] as const;

export interface StoredPrivilege {
  instance_id: string;
  database_name: string;
  user_name: string;
  permission: Permission;
}

export interface StoredBackup {
  id: string;
  instance_id: string;
  instance_name: string;
  database_name: string;
  name: string;
  region: string;
  project_id: string;
  created_at: string;
  updated_at: string | null;
  expires_at: string | null;
  size: number | null;
  same_region: boolean;
  /** `creating`, `exporting`, `restoring` or `deleting` until `ready` (deleting: then gone). */
  transient: "creating" | "exporting" | "restoring" | "deleting";
  since: string;
  download_url: string | null;
  download_url_expires_at: string | null;
  /** The presigned download's key (the query's `token`). */
  download_token: string | null;
  /** Set through `/_sandbox/rdb/backups/{id}` only: the backup reads `error` (the API offers no way to fail one). */
  failed?: boolean;
  /** Set through `/_sandbox/rdb/backups/{id}` only: a restore of it takes at least this long (as a large database would). */
  restore_ms?: number;
}

export const INSTANCES = "rdb.instances";
export const USERS = "rdb.users";
export const DATABASES = "rdb.databases";
export const PRIVILEGES = "rdb.privileges";
export const BACKUPS = "rdb.backups";

export const instances = (ctx: SandboxContext) => ctx.store.collection<StoredInstance>(INSTANCES);
export const users = (ctx: SandboxContext) => ctx.store.collection<StoredUser>(USERS);
export const databases = (ctx: SandboxContext) => ctx.store.collection<StoredDatabase>(DATABASES);
export const privileges = (ctx: SandboxContext) => ctx.store.collection<StoredPrivilege>(PRIVILEGES);
export const backups = (ctx: SandboxContext) => ctx.store.collection<StoredBackup>(BACKUPS);

export const subKey = (instanceId: string, ...names: string[]): string => [instanceId, ...names].join("/");

/** The defaults a db-dev-s answers once ready (recorded). */
export const DEFAULT_SETTINGS: Setting[] = [
  { name: "effective_cache_size", value: "1300" },
  { name: "maintenance_work_mem", value: "150" },
  { name: "max_connections", value: "100" },
  { name: "max_parallel_workers", value: "0" },
  { name: "max_parallel_workers_per_gather", value: "0" },
  { name: "work_mem", value: "4" },
];

/**
 * Instances a backup is being restored into, per sandbox: they read `backuping` meanwhile, as the
 * target instance does in the action-rdb-database-backup-restore-basic cassette (GET after the
 * restore), so they refuse changes (409 transient_state) until it ends.
 */
const restoreTargets = new WeakMap<SandboxContext, Map<string, number>>();
export function restoreTargetsOf(ctx: SandboxContext): Map<string, number> {
  let map = restoreTargets.get(ctx);
  if (!map) restoreTargets.set(ctx, (map = new Map<string, number>()));
  return map;
}

export function instanceStatus(ctx: SandboxContext, i: StoredInstance, now = nowMs()): InstanceStatus {
  if (i.deleted_at) return "deleting";
  if ((restoreTargetsOf(ctx).get(i.id) ?? 0) > 0) return "backuping";
  return statusAfter(i.since, ctx.readyDelayMs, i.transient, "ready", now);
}

/** A deleted instance is gone once its `deleting` time passed: it is purged then, and reads answer 404. */
export function isGone(ctx: SandboxContext, i: StoredInstance): boolean {
  return i.deleted_at !== undefined && nowMs() - Date.parse(i.deleted_at) >= ctx.readyDelayMs;
}

export function findInstance(ctx: SandboxContext, region: string | undefined, id: string | undefined): StoredInstance {
  const r = checkRegion(region);
  const i = id && isUuid(id) ? instances(ctx).get(id) : undefined;
  if (i && isGone(ctx, i)) instances(ctx).delete(i.id); // its server was removed at DELETE
  if (!i || i.region !== r || isGone(ctx, i)) throw notFound("instance", id ?? "");
  return i;
}

/** An instance that can take a change now: not deleting, not in a transient state. */
export function readyInstance(ctx: SandboxContext, region: string | undefined, id: string | undefined): StoredInstance {
  const i = findInstance(ctx, region, id);
  const status = instanceStatus(ctx, i);
  if (status !== "ready") throw transientState("instance", i.id, status);
  return i;
}

/** Puts an instance in a transient status (ready again after the sandbox's delay). */
export function touch(i: StoredInstance, transient: InstanceStatus): StoredInstance {
  return { ...i, transient, since: timestamp() };
}

/** Every endpoint is the instance's server on 127.0.0.1 (a static private one keeps the service_ip asked). */
export const endpointWire = (e: StoredEndpoint, port: number): Record<string, unknown> =>
  e.kind === "load_balancer"
    ? { id: e.id, ip: "127.0.0.1", load_balancer: {}, name: null, port }
    : { id: e.id, ip: "127.0.0.1", name: null, port, private_network: e.private_network };

/** rdb/v1 Instance, field for field in the recorded order. */
export function instanceWire(ctx: SandboxContext, i: StoredInstance, now = nowMs()): Record<string, unknown> {
  const status = instanceStatus(ctx, i, now);
  // Recorded: the public endpoint and the settings appear once the instance is ready; private ones at once.
  const provisioning = status === "provisioning";
  const shown = i.endpoints.filter(
    (e) =>
      e.kind !== "load_balancer" ||
      (!provisioning && (!e.since || statusAfter(e.since, ctx.readyDelayMs, "adding", "shown", now) === "shown")),
  );
  const endpoints = shown.map((e) => endpointWire(e, i.port));
  const lb = shown.find((e) => e.kind === "load_balancer");
  const settings = DEFAULT_SETTINGS.map((d) => i.settings.find((s) => s.name === d.name) ?? d);
  for (const s of i.settings) if (!settings.some((x) => x.name === s.name)) settings.push(s);
  settings.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    backup_same_region: i.backup_same_region,
    backup_schedule: i.backup_schedule,
    created_at: i.created_at,
    encryption: i.encryption,
    endpoint: lb ? endpointWire(lb, i.port) : null,
    endpoints,
    engine: i.engine,
    id: i.id,
    init_settings: i.init_settings,
    is_ha_cluster: i.is_ha_cluster,
    logs_policy: i.logs_policy,
    maintenances: [],
    name: i.name,
    node_type: i.node_type,
    organization_id: i.organization_id,
    project_id: i.project_id,
    read_replicas: [],
    region: i.region,
    settings: provisioning ? [] : settings,
    status,
    tags: i.tags,
    upgradable_version: [],
    volume: i.volume,
  };
}

/** Backups whose restore (a real pg_restore, run after the API answered) is still running, per sandbox. */
const restoring = new WeakMap<SandboxContext, Set<string>>();
export function restoringBackups(ctx: SandboxContext): Set<string> {
  let set = restoring.get(ctx);
  if (!set) restoring.set(ctx, (set = new Set<string>()));
  return set;
}

export function backupStatus(ctx: SandboxContext, b: StoredBackup): string {
  if (b.failed) return "error";
  if (restoringBackups(ctx).has(b.id)) return "restoring";
  return statusAfter(b.since, ctx.readyDelayMs, b.transient, "ready");
}

/** rdb/v1 DatabaseBackup, in the recorded order; size and updated_at stay null while it is created. */
export function backupWire(ctx: SandboxContext, b: StoredBackup): Record<string, unknown> {
  const status = backupStatus(ctx, b);
  const creating = status === "creating";
  return {
    created_at: b.created_at,
    database_name: b.database_name,
    // Recorded: the export answers `exporting` with no URL yet; the URL comes with `ready`.
    download_url: status === "exporting" ? null : b.download_url,
    download_url_expires_at: status === "exporting" ? null : b.download_url_expires_at,
    expires_at: b.expires_at,
    id: b.id,
    instance_id: b.instance_id,
    instance_name: b.instance_name,
    name: b.name,
    region: b.region,
    same_region: b.same_region,
    size: creating ? null : b.size,
    status,
    updated_at: creating ? null : b.updated_at,
  };
}
