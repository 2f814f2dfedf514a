import { randomBytes, timingSafeEqual } from "node:crypto";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import path from "node:path";
import { isUuid, newId, timestamp } from "../../clock.js";
import { checkRegion, type SandboxContext } from "../../context.js";
import { notFound, transientState } from "../../errors.js";
import { Fields } from "../../fields.js";
import { ordersBy, paginate, sameAsQuery } from "../../pagination.js";
import type { Router } from "../../router.js";
import { clusterOf, createDatabase } from "./clusters.js";
import { base } from "./instances.js";
import {
  backupStatus,
  backupWire,
  backups,
  databases,
  instances,
  readyInstance,
  restoreTargetsOf,
  restoringBackups,
  type StoredBackup,
  subKey,
} from "./model.js";

const DAY_MS = 24 * 3600 * 1000;

/** Where backups' dumps live: `<dataDir>/rdb/backups/<id>.dump` (pg_dump's custom format). */
export const dumpFile = (ctx: SandboxContext, id: string): string => path.join(ctx.dataDir, "rdb", "backups", `${id}.dump`);

/** The path of a backup's download, served without the API token (a presigned URL carries its own). */
export const DOWNLOAD_PATH = "/_sandbox/public/rdb/backups/{backup_id}";

export function backupRoutes(router: Router, ctx: SandboxContext): void {
  const find = (region: string | undefined, id: string | undefined): StoredBackup => {
    const r = checkRegion(region);
    const b = id && isUuid(id) ? backups(ctx).get(id) : undefined;
    if (!b || b.region !== r) throw notFound("database_backup", id ?? "");
    // A deleted backup answers `deleting` for the sandbox's delay, then 404.
    if (b.transient === "deleting" && backupStatus(ctx, b) === "ready") {
      backups(ctx).delete(b.id);
      throw notFound("database_backup", b.id);
    }
    return b;
  };
  /** A backup that can be used now (not being made, exported, restored or deleted). */
  const readyBackup = (region: string | undefined, id: string | undefined): StoredBackup => {
    const b = find(region, id);
    const status = backupStatus(ctx, b);
    if (status !== "ready") throw transientState("database_backup", b.id, status);
    return b;
  };
  const save = async (b: StoredBackup) => {
    backups(ctx).put(b.id, b);
    await ctx.store.flush();
    return { body: backupWire(ctx, b) };
  };
  const purge = () => {
    for (const b of backups(ctx).all()) if (b.transient === "deleting" && backupStatus(ctx, b) === "ready") backups(ctx).delete(b.id);
  };

  // Create: a real pg_dump of the database, taken now; the backup reads `creating` for the sandbox's delay.
  router.add("POST", `${base}/backups`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const instanceId = f.uuid("instance_id", { required: true });
    const database = f.string("database_name", { required: true, min: 1 });
    const name = f.string("name") ?? `${database}-${timestamp().slice(0, 19)}`;
    const expiresAt = f.string("expires_at") ?? null;
    if (expiresAt !== null && Number.isNaN(Date.parse(expiresAt))) f.fail("expires_at", "format", "must be an RFC 3339 time");
    f.check();
    const instance = readyInstance(ctx, region, instanceId);
    if (!databases(ctx).get(subKey(instance.id, database))) throw notFound("database", database);
    const id = newId();
    const file = dumpFile(ctx, id);
    await mkdir(path.dirname(file), { recursive: true });
    await (await clusterOf(ctx, instance)).dump(database, file);
    const now = timestamp();
    return save({
      id,
      instance_id: instance.id,
      instance_name: instance.name,
      database_name: database,
      name,
      region,
      project_id: instance.project_id,
      created_at: now,
      updated_at: now,
      expires_at: expiresAt,
      size: (await stat(file)).size,
      same_region: instance.backup_same_region,
      transient: "creating",
      since: now,
      download_url: null,
      download_url_expires_at: null,
      download_token: null,
    });
  });

  router.add("GET", `${base}/backups`, (req) => {
    const region = checkRegion(req.params.region);
    purge();
    const q = req.query;
    const projectOf = (b: StoredBackup) => b.project_id;
    const orgOf = (b: StoredBackup) => instances(ctx).get(b.instance_id)?.organization_id ?? b.project_id;
    const matches = backups(ctx)
      .all()
      .filter((b) => b.region === region)
      .filter((b) => !q.get("name") || b.name.includes(q.get("name") ?? ""))
      .filter(sameAsQuery(q, "instance_id"))
      .filter((b) => !q.get("project_id") || projectOf(b) === q.get("project_id"))
      .filter((b) => !q.get("organization_id") || orgOf(b) === q.get("organization_id"));
    const page = paginate(
      q,
      matches,
      ordersBy<StoredBackup>({ created_at: (b) => b.created_at, name: (b) => b.name, status: (b) => backupStatus(ctx, b) }),
      "created_at_asc",
    );
    return { body: { database_backups: page.items.map((b) => backupWire(ctx, b)), total_count: page.total } };
  });

  router.add("GET", `${base}/backups/{backup_id}`, (req) => ({ body: backupWire(ctx, find(req.params.region, req.params.backup_id)) }));

  router.add("PATCH", `${base}/backups/{backup_id}`, async (req) => {
    const b = find(req.params.region, req.params.backup_id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1, max: 255 });
    const expiresAt = f.string("expires_at");
    if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) f.fail("expires_at", "format", "must be an RFC 3339 time");
    f.check();
    return save({ ...b, name: name ?? b.name, expires_at: expiresAt ?? b.expires_at, updated_at: timestamp() });
  });

  router.add("DELETE", `${base}/backups/{backup_id}`, async (req) => {
    const b = readyBackup(req.params.region, req.params.backup_id);
    await rm(dumpFile(ctx, b.id), { force: true });
    const now = timestamp();
    return save({ ...b, transient: "deleting", since: now, updated_at: now });
  });

  // Export: a download URL on the sandbox's own server, valid a day, that serves the dump.
  router.add("POST", `${base}/backups/{backup_id}/export`, async (req) => {
    const b = readyBackup(req.params.region, req.params.backup_id);
    const token = randomBytes(24).toString("hex");
    const now = timestamp();
    const url = `${ctx.url}${DOWNLOAD_PATH.replace("{backup_id}", b.id)}?token=${token}`;
    return save({
      ...b,
      transient: "exporting",
      since: now,
      updated_at: now,
      download_url: url,
      download_url_expires_at: timestamp(Date.parse(now) + DAY_MS),
      download_token: token,
    });
  });

  // Restore: the dump really goes into the instance's database (made if missing), its objects replaced.
  // As recorded (action-rdb-database-backup-restore-basic cassette), the call answers `restoring` at
  // once and the backup reads `ready` later: pg_restore runs after the answer, and the backup stays
  // `restoring` while it runs (and at least the sandbox's delay, or the backup's `restore_ms`); the
  // target instance reads `backuping` meanwhile, as recorded.
  router.add("POST", `${base}/backups/{backup_id}/restore`, async (req) => {
    const b = readyBackup(req.params.region, req.params.backup_id);
    const f = new Fields(req.body);
    const instanceId = f.uuid("instance_id", { required: true });
    const database = f.string("database_name") ?? b.database_name;
    f.check();
    const target = readyInstance(ctx, req.params.region, instanceId);
    const cluster = await clusterOf(ctx, target);
    if (!databases(ctx).get(subKey(target.id, database))) {
      await createDatabase(ctx, cluster, target.id, database);
      databases(ctx).put(subKey(target.id, database), { instance_id: target.id, name: database, created_at: timestamp() });
    }
    const now = timestamp();
    // Busy before the answer is built, so it says `restoring` whatever the delay.
    const busy = restoringBackups(ctx);
    const targets = restoreTargetsOf(ctx);
    busy.add(b.id);
    targets.set(target.id, (targets.get(target.id) ?? 0) + 1);
    const answer = await save({ ...b, transient: "restoring", since: now, updated_at: now });
    const hold = new Promise<void>((resolve) => setTimeout(resolve, b.restore_ms ?? 0).unref());
    void Promise.all([cluster.restore(database, dumpFile(ctx, b.id), target.id !== b.instance_id), hold])
      // A restore cut short (the sandbox stopping) leaves the backup as it was.
      .catch(() => undefined)
      .finally(() => {
        busy.delete(b.id);
        const left = (targets.get(target.id) ?? 1) - 1;
        if (left > 0) targets.set(target.id, left);
        else targets.delete(target.id);
      });
    return answer;
  });

  // Sandbox only: what the API cannot do to a backup, for tests of what reads backups. `status:
  // "error"` fails it (`"ready"` undoes that), `created_at` ages it, `restore_ms` makes its restores
  // last at least that long.
  router.add("PATCH", "/_sandbox/rdb/backups/{backup_id}", async (req) => {
    const id = req.params.backup_id ?? "";
    const b = isUuid(id) ? backups(ctx).get(id) : undefined;
    if (!b) throw notFound("database_backup", id);
    const f = new Fields(req.body);
    const status = f.has("status") ? f.oneOf("status", ["error", "ready"] as const, "ready") : undefined;
    const createdAt = f.string("created_at");
    if (createdAt !== undefined && Number.isNaN(Date.parse(createdAt))) f.fail("created_at", "format", "must be an RFC 3339 time");
    const rawMs = req.body.restore_ms;
    const restoreMs = typeof rawMs === "number" && Number.isInteger(rawMs) && rawMs >= 0 ? rawMs : undefined;
    if (rawMs !== undefined && restoreMs === undefined) f.fail("restore_ms", "constraint", "must be a whole number of milliseconds ≥ 0");
    f.check();
    return save({
      ...b,
      ...(status === undefined ? {} : { failed: status === "error" }),
      ...(createdAt === undefined ? {} : { created_at: timestamp(Date.parse(createdAt)) }),
      ...(restoreMs === undefined ? {} : { restore_ms: restoreMs }),
    });
  });

  router.add("GET", DOWNLOAD_PATH, async (req) => {
    const id = req.params.backup_id ?? "";
    const b = isUuid(id) ? backups(ctx).get(id) : undefined;
    const given = Buffer.from(req.query.get("token") ?? "");
    const wanted = Buffer.from(b?.download_token ?? "");
    const valid =
      b !== undefined &&
      wanted.length > 0 &&
      given.length === wanted.length &&
      timingSafeEqual(given, wanted) &&
      b.download_url_expires_at !== null &&
      Date.parse(b.download_url_expires_at) > Date.now();
    // As a presigned S3 URL: a wrong or expired key is refused without saying which.
    if (!b || !valid) throw notFound("database_backup", id);
    if (backupStatus(ctx, b) === "exporting") throw transientState("database_backup", b.id, "exporting");
    return { body: await readFile(dumpFile(ctx, b.id)) };
  });
}
