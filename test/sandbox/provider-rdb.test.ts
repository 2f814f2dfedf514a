import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type RequestLogEntry, type Sandbox } from "../../src/sandbox/index.js";
import { FIXTURES, REPO, tofuIn } from "../helpers/project.js";
import { postgresPidsUnder } from "./postgres-procs.js";

/**
 * infra/modules/managed-postgresql applied by the real tofu and the real Scaleway provider 2.81.0 on
 * the sandbox: the instance is a real PostgreSQL server, and the POSTGRES_URL the module builds (and
 * stores in Secret Manager) connects to it with the application user's generated password.
 */
const TOKEN = "6a1e2f3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b";
const ORG = "2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f";
const DEFAULT_PROJECT = "8e9f0a1b-2c3d-4e5f-8a6b-7c8d9e0f1a2b";

describe("the real provider applies infra's managed-postgresql module on the sandbox", () => {
  let sandbox: Sandbox | undefined;
  let work: string;
  let dataDir: string;
  const env: Record<string, string> = {
    SCW_ACCESS_KEY: "SCWSANDBOX0000000000",
    SCW_SECRET_KEY: TOKEN,
    SCW_DEFAULT_ORGANIZATION_ID: ORG,
    SCW_DEFAULT_PROJECT_ID: DEFAULT_PROJECT,
    SCW_DEFAULT_REGION: "fr-par",
    SCW_DEFAULT_ZONE: "fr-par-1",
  };
  const calls: RequestLogEntry[] = [];
  const boot = async () => {
    sandbox = await startSandbox({
      dataDir,
      token: TOKEN,
      readyDelayMs: 300,
      account: { organizationId: ORG, defaultProjectId: DEFAULT_PROJECT },
      onRequest: (entry) => calls.push(entry),
    });
    env.SCW_API_URL = sandbox.url;
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-rdb-"));
    dataDir = path.join(work, "data");
    await boot();
    const root = path.join(work, "root");
    await cp(path.join(FIXTURES, "sandbox-rdb"), root, { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "managed-postgresql"), path.join(root, "modules", "managed-postgresql"), {
      recursive: true,
    });
  });

  afterAll(async () => {
    await sandbox?.stop();
    // No PostgreSQL server of this sandbox is left running.
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    if (work) await rm(work, { recursive: true, force: true });
  });

  const tofu = async (...args: string[]) => {
    const r = await tofuIn(path.join(work, "root"), [...args, "-no-color"], env);
    return { ...r, output: `tofu ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
  };
  const outputs = async (): Promise<Record<string, unknown>> => {
    const r = await tofuIn(path.join(work, "root"), ["output", "-json"], env);
    return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]));
  };
  const counts = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${sandbox?.url}/_sandbox/resources`, { headers: { "X-Auth-Token": TOKEN } });
    return ((await res.json()) as { counts: Record<string, number> }).counts;
  };
  const noDrift = async (...vars: string[]) => {
    const plan = await tofu("plan", "-detailed-exitcode", "-input=false", ...vars);
    expect(plan.exitCode, plan.output).toBe(0);
  };
  /** Connects as EvalAP would: DATABASE_URI = POSTGRES_URL + '/' + DB_NAME (the psycopg2 scheme is SQLAlchemy's). */
  const asApp = async (sql: string[]): Promise<pg.QueryResultRow[]> => {
    const { connection } = (await outputs()) as { connection: { postgres_url: string; db_name: string } };
    const url = new URL(`${connection.postgres_url.replace(/^postgresql\+psycopg2:/, "postgresql:")}/${connection.db_name}`);
    expect(url.hostname).toBe("127.0.0.1");
    const client = new pg.Client({
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
    });
    await client.connect();
    try {
      let rows: pg.QueryResultRow[] = [];
      for (const s of sql) rows = (await client.query(s)).rows;
      return rows;
    } finally {
      await client.end();
    }
  };

  it("applies with a public endpoint, connects for real, survives a restart without drift, and destroys to nothing", async () => {
    const init = await tofu("init", "-input=false");
    expect(init.exitCode, init.output).toBe(0);
    const apply = await tofu("apply", "-auto-approve", "-input=false");
    expect(apply.exitCode, apply.output).toBe(0);

    const out = await outputs();
    expect(out.endpoint).toMatchObject({ host: "127.0.0.1", private: false });
    expect(out.instance).toMatchObject({
      engine: "PostgreSQL-15",
      node_type: "db-dev-s",
      encryption_at_rest: true,
      backup_enabled: true,
      public_endpoint: true,
      acl_cidrs: ["10.20.0.0/16"],
    });
    expect(await counts()).toMatchObject({ "rdb.instances": 1, "rdb.users": 2, "rdb.databases": 1, "rdb.privileges": 1 });

    // The app user (permission "all") runs migrations and writes, through the module's POSTGRES_URL.
    await asApp(["CREATE TABLE evaluations (id serial PRIMARY KEY, name text)", "INSERT INTO evaluations (name) VALUES ('sandbox')"]);
    await noDrift();

    // A restart of the sandbox: the server comes back with the data, and the plan is still empty.
    await sandbox?.stop();
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    await boot();
    await noDrift();
    expect(await asApp(["SELECT name FROM evaluations"])).toEqual([{ name: "sandbox" }]);

    // Password rotation: new passwords for both users; the new POSTGRES_URL connects, with the data.
    const rotate = await tofu("apply", "-auto-approve", "-input=false", "-var", "password_rotation=2");
    expect(rotate.exitCode, rotate.output).toBe(0);
    expect(await asApp(["SELECT count(*)::int AS n FROM evaluations"])).toEqual([{ n: 1 }]);
    await noDrift("-var", "password_rotation=2");

    const destroy = await tofu("destroy", "-auto-approve", "-input=false", "-var", "password_rotation=2");
    expect(destroy.exitCode, destroy.output).toBe(0);
    const left = await counts();
    for (const c of ["rdb.instances", "rdb.users", "rdb.databases", "rdb.privileges", "secret.secrets"]) expect(left[c] ?? 0, c).toBe(0);
    expect(postgresPidsUnder(dataDir)).toEqual([]);

    // Every call the provider made was one the sandbox serves, and none failed on its side.
    const endpoints = [
      ...new Set(calls.map((c) => `${c.method} ${c.url.replace(/[0-9a-f-]{36}/g, "{id}").replace(/\?.*/, "")} ${c.status}`)),
    ];
    console.log(`provider calls: ${calls.length}\n  ${endpoints.sort().join("\n  ")}`);
    expect(calls.filter((c) => c.error === "route" || c.status >= 500)).toEqual([]);
  }, 600_000);

  it("applies on a private network only (IPAM endpoint, no public one), connects for real, and destroys to nothing", async () => {
    calls.length = 0;
    const vars = ["-var", "private=true", "-var", "public=false"];
    const apply = await tofu("apply", "-auto-approve", "-input=false", ...vars);
    expect(apply.exitCode, apply.output).toBe(0);
    const out = await outputs();
    expect(out.endpoint).toMatchObject({ host: "127.0.0.1", private: true });
    expect(out.instance).toMatchObject({ public_endpoint: false, private_ipam: true, acl_cidrs: [] });
    // The endpoint's address is booked in IPAM for the instance, as the provider reads it back.
    const ips = await fetch(
      `${sandbox?.url}/ipam/v1/regions/fr-par/ips?resource_type=rdb_instance&resource_id=${String(out.instance_id).split("/").pop()}`,
      {
        headers: { "X-Auth-Token": TOKEN },
      },
    );
    expect(((await ips.json()) as { ips: { address: string }[] }).ips.map((i) => i.address)).toEqual(["127.0.0.1/32"]);

    await asApp(["CREATE TABLE private_runs (id serial PRIMARY KEY)", "INSERT INTO private_runs DEFAULT VALUES"]);
    expect(await asApp(["SELECT count(*)::int AS n FROM private_runs"])).toEqual([{ n: 1 }]);
    await noDrift(...vars);
    await sandbox?.stop();
    await boot();
    await noDrift(...vars);

    const destroy = await tofu("destroy", "-auto-approve", "-input=false", ...vars);
    expect(destroy.exitCode, destroy.output).toBe(0);
    const left = await counts();
    for (const c of ["rdb.instances", "rdb.users", "rdb.databases", "ipam.ips", "vpc.private_networks"]) expect(left[c] ?? 0, c).toBe(0);
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    expect(calls.filter((c) => c.error === "route" || c.status >= 500)).toEqual([]);
  }, 600_000);
});
