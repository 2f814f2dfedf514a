import path from "node:path";
import type { SandboxContext } from "../../context.js";
import { PgCluster, SUPERUSER, ident, literal } from "../../postgres/cluster.js";
import { freePort } from "../../ports.js";
import { databases, instances, type Permission, type StoredInstance, users } from "./model.js";

/**
 * The real PostgreSQL servers behind the sandbox's RDB instances: one cluster per instance under
 * `<dataDir>/rdb/<instance-id>/`, kept running while the sandbox runs, stopped with it.
 */
const running = new WeakMap<SandboxContext, Map<string, PgCluster>>();

function registry(ctx: SandboxContext): Map<string, PgCluster> {
  let map = running.get(ctx);
  if (!map) {
    const fresh = new Map<string, PgCluster>();
    running.set(ctx, fresh);
    // Stops every server of this sandbox when it stops (fast shutdown: clients are cut off).
    ctx.onStop(async () => {
      const failures: unknown[] = [];
      for (const c of fresh.values()) await c.stop().catch((err: unknown) => void failures.push(err));
      fresh.clear();
      if (failures.length > 0) throw failures[0];
    });
    map = fresh;
  }
  return map;
}

export const clusterDir = (ctx: SandboxContext, instanceId: string): string => path.join(ctx.dataDir, "rdb", instanceId);

/** Makes and starts a new cluster for an instance; answers its port. */
export async function createCluster(ctx: SandboxContext, instanceId: string): Promise<PgCluster> {
  const cluster = new PgCluster(clusterDir(ctx, instanceId), await freePort());
  try {
    await cluster.init();
    await cluster.start();
  } catch (err) {
    await cluster.remove().catch(() => undefined); // no half-made cluster left behind
    throw err;
  }
  registry(ctx).set(instanceId, cluster);
  return cluster;
}

/** The running cluster of an instance (started again if it was stopped behind the sandbox's back). */
export async function clusterOf(ctx: SandboxContext, instance: StoredInstance): Promise<PgCluster> {
  const map = registry(ctx);
  let cluster = map.get(instance.id);
  if (!cluster) {
    cluster = new PgCluster(clusterDir(ctx, instance.id), instance.port);
    map.set(instance.id, cluster);
  }
  await cluster.start();
  if (cluster.port !== instance.port) instances(ctx).put(instance.id, { ...instance, port: cluster.port });
  return cluster;
}

export async function removeCluster(ctx: SandboxContext, instance: StoredInstance): Promise<void> {
  const map = registry(ctx);
  const cluster = map.get(instance.id) ?? new PgCluster(clusterDir(ctx, instance.id), instance.port);
  map.delete(instance.id);
  await cluster.remove();
}

/** Restarts the servers of the stored instances (a sandbox restart finds its databases running again). */
export async function resumeRdb(ctx: SandboxContext): Promise<void> {
  for (const instance of instances(ctx).all()) {
    if (instance.deleted_at) continue;
    await clusterOf(ctx, instance);
  }
  await ctx.store.flush();
}

/**
 * Runs statements in every database of the server, e.g. to drop what a role owns. The list is the
 * server's own, read now; a database dropped meanwhile (a concurrent DELETE) is passed over.
 */
async function inEachDatabase(cluster: PgCluster, statements: string[]): Promise<void> {
  const rows = await cluster.sql<{ datname: string }>("postgres", ["SELECT datname FROM pg_database WHERE datallowconn"]);
  for (const { datname } of rows) {
    await cluster.sql(datname, statements).catch((err: unknown) => {
      // Dropped meanwhile: not there any more (3D000) or our session cut by DROP DATABASE ... WITH (FORCE) (57P01).
      const code = (err as { code?: string }).code;
      if (code !== "3D000" && code !== "57P01") throw err;
    });
  }
}

/**
 * A Scaleway RDB user: a login role with its password. Admin users can create databases and roles
 * (CREATEDB, CREATEROLE, as Scaleway documents for PostgreSQL admins) and read and write every database.
 */
export async function createRole(cluster: PgCluster, name: string, password: string, isAdmin: boolean, dbNames: string[]): Promise<void> {
  await cluster.sql("postgres", [
    `CREATE ROLE ${ident(name)} LOGIN PASSWORD ${literal(password)}${isAdmin ? " CREATEDB CREATEROLE" : ""}`,
    ...(isAdmin ? adminGrants(name, dbNames) : []),
  ]);
}

function adminGrants(name: string, dbNames: string[]): string[] {
  return [
    `GRANT pg_read_all_data, pg_write_all_data TO ${ident(name)}`,
    ...dbNames.map((db) => `GRANT ALL PRIVILEGES ON DATABASE ${ident(db)} TO ${ident(name)}`),
  ];
}

export async function alterRole(
  ctx: SandboxContext,
  cluster: PgCluster,
  instanceId: string,
  name: string,
  change: { password?: string; isAdmin?: boolean },
): Promise<void> {
  const statements: string[] = [];
  if (change.password !== undefined) statements.push(`ALTER ROLE ${ident(name)} PASSWORD ${literal(change.password)}`);
  if (change.isAdmin === true) {
    const dbNames = databases(ctx)
      .all()
      .filter((d) => d.instance_id === instanceId)
      .map((d) => d.name);
    statements.push(`ALTER ROLE ${ident(name)} CREATEDB CREATEROLE`, ...adminGrants(name, dbNames));
  } else if (change.isAdmin === false) {
    statements.push(`ALTER ROLE ${ident(name)} NOCREATEDB NOCREATEROLE`, `REVOKE pg_read_all_data, pg_write_all_data FROM ${ident(name)}`);
  }
  if (statements.length > 0) await cluster.sql("postgres", statements);
}

/** Drops a role: what it owns goes to the superuser first, in every database. */
export async function dropRole(cluster: PgCluster, name: string): Promise<void> {
  await inEachDatabase(cluster, [`REASSIGN OWNED BY ${ident(name)} TO ${SUPERUSER}`, `DROP OWNED BY ${ident(name)}`]);
  await cluster.sql("postgres", [`DROP ROLE IF EXISTS ${ident(name)}`]);
}

/**
 * A database no one but its owner and the instance's admins may connect to: Scaleway users reach
 * one through privileges only (PostgreSQL would let PUBLIC connect and use `public`).
 */
export async function createDatabase(ctx: SandboxContext, cluster: PgCluster, instanceId: string, name: string): Promise<void> {
  const admins = users(ctx)
    .all()
    .filter((u) => u.instance_id === instanceId && u.is_admin)
    .map((u) => u.name);
  await cluster.sql("postgres", [
    `CREATE DATABASE ${ident(name)} OWNER ${SUPERUSER}`,
    `REVOKE ALL ON DATABASE ${ident(name)} FROM PUBLIC`,
    ...admins.map((a) => `GRANT ALL PRIVILEGES ON DATABASE ${ident(name)} TO ${ident(a)}`),
  ]);
  await cluster.sql(name, ["REVOKE ALL ON SCHEMA public FROM PUBLIC"]);
}

export async function dropDatabase(cluster: PgCluster, name: string): Promise<void> {
  await cluster.sql("postgres", [`DROP DATABASE IF EXISTS ${ident(name)} WITH (FORCE)`]);
}

export async function databaseSize(cluster: PgCluster, name: string): Promise<number> {
  const rows = await cluster.sql<{ size: string }>("postgres", [`SELECT pg_database_size(${literal(name)})::text AS size`]);
  return Number(rows[0]?.size ?? 0);
}

/**
 * Scaleway's permissions as GRANTs on the database, its `public` schema and what it holds (now and,
 * through default privileges, later): readonly reads, readwrite also writes rows, all also changes
 * the schema (DDL: migrations), none revokes everything. `custom` (set outside the API) is left as is.
 */
/** The permission changes in flight per cluster: run one after the other (see setPermission). */
const permissionQueues = new WeakMap<PgCluster, Promise<void>>();

/**
 * Sets one permission, after any other in flight on the same instance: the provider sets the
 * privileges of several users at once, and PostgreSQL refuses concurrent GRANTs on the same
 * objects ("tuple concurrently updated"), which Scaleway's API never answers with.
 */
export function setPermission(cluster: PgCluster, database: string, user: string, permission: Permission): Promise<void> {
  const previous = permissionQueues.get(cluster) ?? Promise.resolve();
  const run = previous.then(() => applyPermission(cluster, database, user, permission));
  permissionQueues.set(
    cluster,
    run.catch(() => undefined),
  );
  return run;
}

async function applyPermission(cluster: PgCluster, database: string, user: string, permission: Permission): Promise<void> {
  if (permission === "custom") return;
  const u = ident(user);
  const d = ident(database);
  const defaults = (what: string) => `ALTER DEFAULT PRIVILEGES FOR ROLE ${SUPERUSER} IN SCHEMA public ${what}`;
  const revoke = [
    `REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${u}`,
    `REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${u}`,
    `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA public FROM ${u}`,
    `REVOKE ALL ON SCHEMA public FROM ${u}`,
    defaults(`REVOKE ALL ON TABLES FROM ${u}`),
    defaults(`REVOKE ALL ON SEQUENCES FROM ${u}`),
  ];
  const grants: Record<Exclude<Permission, "custom" | "none">, { db: string; inDb: string[] }> = {
    readonly: {
      db: "CONNECT",
      inDb: [
        `GRANT USAGE ON SCHEMA public TO ${u}`,
        `GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${u}`,
        `GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${u}`,
        defaults(`GRANT SELECT ON TABLES TO ${u}`),
        defaults(`GRANT SELECT ON SEQUENCES TO ${u}`),
      ],
    },
    readwrite: {
      db: "CONNECT, TEMPORARY",
      inDb: [
        `GRANT USAGE ON SCHEMA public TO ${u}`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${u}`,
        `GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO ${u}`,
        defaults(`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${u}`),
        defaults(`GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO ${u}`),
      ],
    },
    all: {
      db: "ALL PRIVILEGES",
      inDb: [
        `GRANT ALL ON SCHEMA public TO ${u}`,
        `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${u}`,
        `GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${u}`,
        `GRANT ALL ON ALL FUNCTIONS IN SCHEMA public TO ${u}`,
        defaults(`GRANT ALL ON TABLES TO ${u}`),
        defaults(`GRANT ALL ON SEQUENCES TO ${u}`),
      ],
    },
  };
  await cluster.sql("postgres", [`REVOKE ALL ON DATABASE ${d} FROM ${u}`]);
  await cluster.sql(database, revoke);
  if (permission === "none") return;
  const g = grants[permission];
  await cluster.sql("postgres", [`GRANT ${g.db} ON DATABASE ${d} TO ${u}`]);
  await cluster.sql(database, g.inDb);
}
