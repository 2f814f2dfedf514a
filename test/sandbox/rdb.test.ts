import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { PgCluster } from "../../src/sandbox/postgres/cluster.js";
import { freePort } from "../../src/sandbox/ports.js";
import { runSql } from "./pg-run.js";
import { postgresPidsUnder } from "./postgres-procs.js";

/**
 * The real part behind the RDB API: each instance is a real PostgreSQL server whose roles,
 * databases and grants are those the API calls made, whose backups are real dumps, and which
 * survives a restart of the sandbox.
 */
const TOKEN = "0c6b2b6e-3f55-4c0f-9d3e-7a1f2b3c4d5e";
const PROJECT = "5a1c7e2d-9b3f-4e6a-8c1d-2f3e4a5b6c7d";
const ADMIN = { name: "sandbox_admin", password: "Adm1n_p@ssword" };
const APP = { name: "app", password: "App_p@ssw0rd_1" };
const OTHER = { name: "other", password: "Other_p@ssw0rd_2" };

interface Endpoint {
  ip: string;
  port: number;
}

describe("RDB instances are real PostgreSQL servers", () => {
  let sandbox: Sandbox | undefined;
  let dataDir: string;
  let instanceId = "";

  const boot = async () => {
    sandbox = await startSandbox({ dataDir, token: TOKEN, readyDelayMs: 0 });
  };
  const api = async <T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${sandbox?.url}/rdb/v1/regions/fr-par${p}`, {
      method,
      headers: { "X-Auth-Token": TOKEN, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  const ok = async <T = Record<string, unknown>>(method: string, p: string, body?: unknown): Promise<T> => {
    const r = await api<T>(method, p, body);
    expect(r.status, `${method} ${p}: ${JSON.stringify(r.body)}`).toBeLessThan(300);
    return r.body;
  };
  const endpoint = async (): Promise<Endpoint> => {
    const i = await ok<{ endpoint: Endpoint | null; status: string }>("GET", `/instances/${instanceId}`);
    expect(i.status).toBe("ready");
    expect(i.endpoint?.ip).toBe("127.0.0.1");
    return i.endpoint as Endpoint;
  };
  /** Runs SQL as a login over TCP, with its password, as a client of the instance would. */
  const asUser = async (user: { name: string; password: string }, database: string, sql: string[]): Promise<pg.QueryResultRow[]> => {
    const e = await endpoint();
    return runSql({ host: e.ip, port: e.port, user: user.name, password: user.password, database }, sql);
  };
  const waitReady = async (p: string): Promise<Record<string, unknown>> => {
    for (let n = 0; n < 100; n++) {
      const b = await ok("GET", p);
      if (b.status === "ready") return b;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${p} never became ready`);
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-rdb-"));
    await boot();
  });

  afterAll(async () => {
    await sandbox?.stop();
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("makes roles with their passwords, databases and grants as the API says", async () => {
    const created = await ok<{ id: string; status: string }>("POST", "/instances", {
      project_id: PROJECT,
      name: "real-pg",
      engine: "PostgreSQL-15",
      user_name: ADMIN.name,
      password: ADMIN.password,
      node_type: "db-dev-s",
      is_ha_cluster: false,
      disable_backup: true,
      volume_type: "sbs_5k",
      volume_size: 10_000_000_000,
    });
    instanceId = created.id;
    expect(existsSync(path.join(dataDir, "rdb", instanceId, "data", "PG_VERSION"))).toBe(true);
    await waitReady(`/instances/${instanceId}`);

    await ok("POST", `/instances/${instanceId}/databases`, { name: "appdb" });
    await ok("POST", `/instances/${instanceId}/users`, { ...APP, is_admin: false });
    await ok("POST", `/instances/${instanceId}/users`, { ...OTHER, is_admin: false });
    await ok("PUT", `/instances/${instanceId}/privileges`, { database_name: "appdb", user_name: APP.name, permission: "all" });

    // The admin logs in with its password and may create databases, as Scaleway's admins.
    const [admin] = await asUser(ADMIN, "postgres", ["SELECT current_user AS me, rolcreatedb FROM pg_roles WHERE rolname = current_user"]);
    expect(admin).toEqual({ me: ADMIN.name, rolcreatedb: true });
    // A wrong password is refused.
    await expect(asUser({ name: APP.name, password: "wrong-password" }, "appdb", ["SELECT 1"])).rejects.toThrow(
      /password authentication failed/,
    );

    // "all": the app user changes the schema (migrations) and writes rows.
    await asUser(APP, "appdb", [
      "CREATE TABLE runs (id serial PRIMARY KEY, label text)",
      "INSERT INTO runs (label) VALUES ('first'), ('second')",
    ]);

    // Without a privilege, another user cannot even connect to the database.
    await expect(asUser(OTHER, "appdb", ["SELECT * FROM runs"])).rejects.toThrow(/permission denied for database/);
    // readonly: reads, but cannot write.
    await ok("PUT", `/instances/${instanceId}/privileges`, { database_name: "appdb", user_name: OTHER.name, permission: "readonly" });
    expect(await asUser(OTHER, "appdb", ["SELECT label FROM runs ORDER BY id"])).toEqual([{ label: "first" }, { label: "second" }]);
    await expect(asUser(OTHER, "appdb", ["INSERT INTO runs (label) VALUES ('x')"])).rejects.toThrow(/permission denied for table runs/);
    // none: nothing again.
    await ok("PUT", `/instances/${instanceId}/privileges`, { database_name: "appdb", user_name: OTHER.name, permission: "none" });
    await expect(asUser(OTHER, "appdb", ["SELECT 1"])).rejects.toThrow(/permission denied for database/);

    // A password change through the API is the role's new password.
    await ok("PATCH", `/instances/${instanceId}/users/${OTHER.name}`, { password: "N3w_p@ssword_9" });
    await ok("PUT", `/instances/${instanceId}/privileges`, { database_name: "appdb", user_name: OTHER.name, permission: "readonly" });
    await expect(asUser(OTHER, "appdb", ["SELECT 1"])).rejects.toThrow(/password authentication failed/);
    expect(await asUser({ name: OTHER.name, password: "N3w_p@ssword_9" }, "appdb", ["SELECT count(*)::int AS n FROM runs"])).toEqual([
      { n: 2 },
    ]);

    // Listing reads the real sizes.
    const dbs = await ok<{ databases: { name: string; size: number; owner: string }[] }>("GET", `/instances/${instanceId}/databases`);
    expect(dbs.databases).toEqual([expect.objectContaining({ name: "appdb", owner: "_rdb_superadmin" })]);
    expect(dbs.databases[0]?.size).toBeGreaterThan(1_000_000);
  }, 120_000);

  it("backs up with pg_dump, restores what was dropped, and exports a real dump", async () => {
    const backup = await ok<{ id: string; status: string }>("POST", "/backups", {
      instance_id: instanceId,
      database_name: "appdb",
      name: "before-drop",
    });
    const ready = await waitReady(`/backups/${backup.id}`);
    expect(ready.size).toBeGreaterThan(0);

    await asUser(APP, "appdb", ["DROP TABLE runs"]);
    await expect(asUser(APP, "appdb", ["SELECT * FROM runs"])).rejects.toThrow(/relation "runs" does not exist/);
    await ok("POST", `/backups/${backup.id}/restore`, { instance_id: instanceId, database_name: "appdb" });
    await waitReady(`/backups/${backup.id}`);
    // Back, with its rows, its owner and its grants: the app user reads and writes it again.
    expect(await asUser(APP, "appdb", ["INSERT INTO runs (label) VALUES ('third')", "SELECT label FROM runs ORDER BY id"])).toEqual([
      { label: "first" },
      { label: "second" },
      { label: "third" },
    ]);

    await ok("POST", `/backups/${backup.id}/export`, {});
    const exported = await waitReady(`/backups/${backup.id}`);
    const url = String(exported.download_url);
    expect(url.startsWith(`${sandbox?.url}/`)).toBe(true);
    // A presigned URL: no API token needed, and its key is checked.
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const dump = Buffer.from(await res.arrayBuffer());
    expect(dump.subarray(0, 5).toString("latin1")).toBe("PGDMP"); // pg_dump's custom format
    expect(dump.includes(Buffer.from("runs"))).toBe(true);
    expect((await fetch(url.replace(/token=[0-9a-f]+/, "token=00"))).status).toBe(404);

    // Deleting the backup removes its dump.
    await ok("DELETE", `/backups/${backup.id}`);
    expect(existsSync(path.join(dataDir, "rdb", "backups", `${backup.id}.dump`))).toBe(false);
  }, 120_000);

  it("a restore answers `restoring` at once and runs after, as recorded; the sandbox's control fails, ages and slows a backup", async () => {
    const backup = await ok<{ id: string }>("POST", "/backups", { instance_id: instanceId, database_name: "appdb", name: "controlled" });
    await waitReady(`/backups/${backup.id}`);
    const sandboxApi = (body: unknown) =>
      fetch(`${sandbox?.url}/_sandbox/rdb/backups/${backup.id}`, {
        method: "PATCH",
        headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    // A restore held for 3 s: the call answers first, the backup reads `restoring` meanwhile, then `ready`.
    expect((await sandboxApi({ restore_ms: 3000 })).status).toBe(200);
    const answered = await ok<{ status: string }>("POST", `/backups/${backup.id}/restore`, {
      instance_id: instanceId,
      database_name: "scratchdb",
    });
    expect(answered.status).toBe("restoring");
    expect((await ok<{ status: string }>("GET", `/backups/${backup.id}`)).status).toBe("restoring");
    // The target instance reads `backuping` meanwhile (recorded) and refuses changes, a database's drop included.
    expect((await ok<{ status: string }>("GET", `/instances/${instanceId}`)).status).toBe("backuping");
    const refused = await api<{ type: string; current_state: string }>("DELETE", `/instances/${instanceId}/databases/scratchdb`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: "transient_state", current_state: "backuping" });
    // Busy: the API refuses another use of it with its transient state.
    const busy = await api<{ type: string; current_state: string }>("POST", `/backups/${backup.id}/export`, {});
    expect(busy.status).toBe(409);
    expect(busy.body).toMatchObject({ type: "transient_state", current_state: "restoring" });
    await waitReady(`/backups/${backup.id}`);
    expect((await ok<{ status: string }>("GET", `/instances/${instanceId}`)).status).toBe("ready");
    expect(await asUser(ADMIN, "scratchdb", ["SELECT count(*)::int AS n FROM runs"])).toEqual([{ n: 3 }]);
    await ok("DELETE", `/instances/${instanceId}/databases/scratchdb`);

    // Failed and aged: what backup verify must notice; `ready` undoes the failure.
    expect((await sandboxApi({ status: "error", created_at: "2026-01-01T00:00:00Z" })).status).toBe(200);
    expect(await ok("GET", `/backups/${backup.id}`)).toMatchObject({ status: "error", created_at: "2026-01-01T00:00:00.000000Z" });
    expect((await sandboxApi({ status: "broken" })).status).toBe(400);
    expect((await sandboxApi({ status: "ready", restore_ms: 0 })).status).toBe(200);
    expect((await ok<{ status: string }>("GET", `/backups/${backup.id}`)).status).toBe("ready");
    await ok("DELETE", `/backups/${backup.id}`);
  }, 120_000);

  it("the certificate: the file object the provider reads, and the PEM itself with dl=1 (the JS SDK's download)", async () => {
    const file = await ok<{ content: string; content_type: string; name: string }>("GET", `/instances/${instanceId}/certificate`);
    const pem = Buffer.from(file.content, "base64").toString("utf8");
    expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const res = await fetch(`${sandbox?.url}/rdb/v1/regions/fr-par/instances/${instanceId}/certificate?dl=1`, {
      headers: { "X-Auth-Token": TOKEN },
    });
    expect(res.headers.get("content-type")).toBe("application/x-pem-file");
    expect(await res.text()).toBe(pem);
  }, 60_000);

  it("keeps the data and the server across a restart of the sandbox, and removes both with the instance", async () => {
    await sandbox?.stop();
    // Stopping the sandbox stops its server.
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    await boot();
    const again = await endpoint();
    expect(again.port).toBeGreaterThan(0);
    expect(await asUser(APP, "appdb", ["SELECT count(*)::int AS n FROM runs"])).toEqual([{ n: 3 }]);

    const deleted = await ok<{ status: string }>("DELETE", `/instances/${instanceId}`);
    expect(deleted.status).toBe("deleting");
    expect((await api("GET", `/instances/${instanceId}`)).status).toBe(404);
    expect(existsSync(path.join(dataDir, "rdb", instanceId))).toBe(false);
    expect(postgresPidsUnder(dataDir)).toEqual([]);
  }, 120_000);

  it("runs a cluster whose folder is too deep for a unix socket path, with a short socket folder, and leaves none behind", async () => {
    const deep = path.join(dataDir, "x".repeat(60), "rdb", "0c6b2b6e-3f55-4c0f-9d3e-7a1f2b3c4d5e");
    const cluster = new PgCluster(deep, await freePort());
    expect(cluster.socketDir).not.toBe(deep);
    await cluster.init();
    await cluster.start();
    try {
      expect(await cluster.sql("postgres", ["SELECT 1 AS one"])).toEqual([{ one: 1 }]);
      expect(existsSync(cluster.socketDir)).toBe(true);
    } finally {
      await cluster.remove();
    }
    expect(existsSync(cluster.socketDir)).toBe(false);
    expect(existsSync(deep)).toBe(false);
    expect(postgresPidsUnder(dataDir)).toEqual([]);
  }, 60_000);
});
