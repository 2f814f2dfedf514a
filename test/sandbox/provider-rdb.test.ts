import { cp } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, REPO } from "../helpers/project.js";
import { runSql } from "./pg-run.js";
import { postgresPidsUnder } from "./postgres-procs.js";
import { providerHarness } from "./provider-harness.js";

/**
 * infra/modules/managed-postgresql applied by the real tofu and the real Scaleway provider 2.81.0 on
 * the sandbox: the instance is a real PostgreSQL server, and the POSTGRES_URL the module builds (and
 * stores in Secret Manager) connects to it with the credentials of db-app-credentials' latest enabled
 * version: the first one OpenTofu writes (user _a), then the ones a rotation writes (the other user).
 */
describe("the real provider applies infra's managed-postgresql module on the sandbox", () => {
  const h = providerHarness({ prefix: "evalap-sandbox-rdb-", readyDelayMs: 300 });
  const root = h.root();
  const { tofu, outputs, noDrift } = root;
  const counts = () => h.counts();

  beforeAll(async () => {
    await h.start();
    await cp(path.join(FIXTURES, "sandbox-rdb"), root.dir, { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "managed-postgresql"), path.join(root.dir, "modules", "managed-postgresql"), {
      recursive: true,
    });
  });

  afterAll(async () => {
    await h.stop();
    // No PostgreSQL server of this sandbox is left running.
    expect(postgresPidsUnder(h.dataDir)).toEqual([]);
    await h.cleanup();
  });

  /** Connects as EvalAP would: DATABASE_URI = POSTGRES_URL + '/' + DB_NAME (the psycopg2 scheme is SQLAlchemy's). */
  const asApp = async (sql: string[]): Promise<pg.QueryResultRow[]> => {
    const { connection } = (await outputs()) as { connection: { postgres_url: string; db_name: string } };
    const url = new URL(`${connection.postgres_url.replace(/^postgresql\+psycopg2:/, "postgresql:")}/${connection.db_name}`);
    expect(url.hostname).toBe("127.0.0.1");
    return runSql(
      {
        host: url.hostname,
        port: Number(url.port),
        user: decodeURIComponent(url.username),
        password: decodeURIComponent(url.password),
        database: url.pathname.slice(1),
      },
      sql,
    );
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
    // The admin and the two application users that take turns, each with the same privilege.
    expect(await counts()).toMatchObject({ "rdb.instances": 1, "rdb.users": 3, "rdb.databases": 1, "rdb.privileges": 2 });
    expect(out.app_user_names).toEqual(["evalap_a", "evalap_b"]);
    const instance = String(out.instance_id).split("/").pop() ?? "";
    const users = (await (await h.fetch(`/rdb/v1/regions/fr-par/instances/${instance}/users`)).json()) as {
      users: { name: string; is_admin: boolean }[];
    };
    expect(users.users.filter((u) => !u.is_admin).map((u) => u.name)).toEqual(["evalap_a", "evalap_b"]);
    const privileges = (await (await h.fetch(`/rdb/v1/regions/fr-par/instances/${instance}/privileges?database_name=evalap`)).json()) as {
      privileges: { user_name: string; permission: string }[];
    };
    expect(
      Object.fromEntries(privileges.privileges.filter((p) => p.user_name.startsWith("evalap_")).map((p) => [p.user_name, p.permission])),
    ).toEqual({
      evalap_a: "all",
      evalap_b: "all",
    });

    // The first credentials are user _a's: the app user (permission "all") runs migrations and
    // writes, through the module's POSTGRES_URL.
    expect(await asApp(["SELECT current_user AS u"])).toEqual([{ u: "evalap_a" }]);
    await asApp(["CREATE TABLE evaluations (id serial PRIMARY KEY, name text)", "INSERT INTO evaluations (name) VALUES ('sandbox')"]);
    await noDrift();

    // A restart of the sandbox: the server comes back with the data, and the plan is still empty.
    await h.stop();
    expect(postgresPidsUnder(h.dataDir)).toEqual([]);
    await h.boot();
    await noDrift();
    expect(await asApp(["SELECT name FROM evaluations"])).toEqual([{ name: "sandbox" }]);

    // Alembic's kind of DDL, as the app user: its version table, a foreign key, an index, an enum.
    // The app user owns what it creates, so the privilege read back stays "all": no drift.
    await asApp([
      "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)",
      "INSERT INTO alembic_version VALUES ('abc123')",
      "CREATE TYPE run_status AS ENUM ('pending', 'done')",
      "CREATE TABLE runs (id serial PRIMARY KEY, evaluation_id int REFERENCES evaluations (id), status run_status)",
      "CREATE INDEX runs_evaluation ON runs (evaluation_id)",
    ]);
    await noDrift();

    // Engine settings as evalap-platform sets them: all six a PostgreSQL instance reports (here a
    // db-dev-s's defaults but max_connections), read back without drift. max_connections alone
    // plans the five others away on every run (the module refuses such a map).
    const settings = [
      "-var",
      'settings={max_connections="200",effective_cache_size="1300",maintenance_work_mem="150",work_mem="4",max_parallel_workers="0",max_parallel_workers_per_gather="0"}',
    ];
    const tuned = await tofu("apply", "-auto-approve", "-input=false", ...settings);
    expect(tuned.exitCode, tuned.output).toBe(0);
    expect(((await outputs()) as { instance: { max_connections: string } }).instance.max_connections).toBe("200");
    await noDrift(...settings);
    const partial = await tofu("plan", "-input=false", "-var", 'settings={max_connections="250"}');
    expect(partial.exitCode).toBe(1);
    expect(partial.output.replace(/\s+/g, " ")).toContain("settings must be empty or set all six settings");

    // A rotation as the CLI does it, once the schema exists: a new password for the idle user _b
    // through the RDB API, then a new credentials version naming it. The next apply derives
    // POSTGRES_URL from it (user _b), the user's password is not put back (ignore_changes), and the
    // plan after is empty.
    const credentialsId =
      String((out.secret_ids as Record<string, string>)["db-app-credentials"])
        .split("/")
        .pop() ?? "";
    const rotated = `Rot9_${instance.replace(/-/g, "").toUpperCase()}.b`;
    const setPassword = await h.fetch(`/rdb/v1/regions/fr-par/instances/${instance}/users/evalap_b`, {
      method: "PATCH",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ password: rotated }),
    });
    expect(setPassword.status, await setPassword.text()).toBe(200);
    const version = await h.fetch(`/secret-manager/v1beta1/regions/fr-par/secrets/${credentialsId}/versions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ data: Buffer.from(JSON.stringify({ user: "evalap_b", password: rotated })).toString("base64") }),
    });
    expect(version.status, await version.text()).toBe(200);
    const rotate = await tofu("apply", "-auto-approve", "-input=false", ...settings);
    expect(rotate.exitCode, rotate.output).toBe(0);
    // Only POSTGRES_URL's version is replaced: no user update (the rotated password stays).
    expect(rotate.output).toContain("Apply complete! Resources: 1 added, 0 changed, 1 destroyed.");
    expect(rotate.output).not.toMatch(/scaleway_rdb_user\.app\["[ab]"\] will be updated/);
    expect((await outputs()).secret_revisions).toMatchObject({ "db-app-credentials": "2" });
    expect(await asApp(["SELECT current_user AS u"])).toEqual([{ u: "evalap_b" }]);
    await noDrift(...settings);

    // prevent_destroy (production's prevent_database_destroy): OpenTofu itself refuses any plan that
    // deletes or replaces the instance or its database, before the CLI's guard sees it.
    for (const plan of [
      ["plan", "-destroy"],
      ["plan", "-replace=module.db.scaleway_rdb_instance.this"],
    ]) {
      const refused = await tofu(...plan, "-input=false", "-var", "prevent_destroy=true");
      expect(refused.exitCode, refused.output).toBe(1);
      expect(refused.output.replace(/\s+/g, " ")).toMatch(
        /Resource instance module\.db\.scaleway_rdb_(instance\.this|database\.app) has prevent_destroy set/,
      );
    }

    const destroy = await tofu("destroy", "-auto-approve", "-input=false");
    expect(destroy.exitCode, destroy.output).toBe(0);
    const left = await counts();
    for (const c of ["rdb.instances", "rdb.users", "rdb.databases", "rdb.privileges", "secret.secrets"]) expect(left[c] ?? 0, c).toBe(0);
    expect(postgresPidsUnder(h.dataDir)).toEqual([]);

    // Every call the provider made was one the sandbox serves, and none failed on its side.
    h.expectAllServed();
  }, 600_000);

  it("applies on a private network only (IPAM endpoint, no public one), connects for real, and destroys to nothing", async () => {
    h.calls.length = 0;
    const vars = ["-var", "private=true", "-var", "public=false"];
    const apply = await tofu("apply", "-auto-approve", "-input=false", ...vars);
    expect(apply.exitCode, apply.output).toBe(0);
    const out = await outputs();
    expect(out.endpoint).toMatchObject({ host: "127.0.0.1", private: true });
    expect(out.instance).toMatchObject({ public_endpoint: false, private_ipam: true, acl_cidrs: [] });
    // The endpoint's address is booked in IPAM for the instance, as the provider reads it back.
    const ips = await h.fetch(
      `/ipam/v1/regions/fr-par/ips?resource_type=rdb_instance&resource_id=${String(out.instance_id).split("/").pop()}`,
    );
    expect(((await ips.json()) as { ips: { address: string }[] }).ips.map((i) => i.address)).toEqual(["127.0.0.1/32"]);

    await asApp(["CREATE TABLE private_runs (id serial PRIMARY KEY)", "INSERT INTO private_runs DEFAULT VALUES"]);
    expect(await asApp(["SELECT count(*)::int AS n FROM private_runs"])).toEqual([{ n: 1 }]);
    await noDrift(...vars);
    await h.restart();
    await noDrift(...vars);

    const destroy = await tofu("destroy", "-auto-approve", "-input=false", ...vars);
    expect(destroy.exitCode, destroy.output).toBe(0);
    const left = await counts();
    for (const c of ["rdb.instances", "rdb.users", "rdb.databases", "ipam.ips", "vpc.private_networks"]) expect(left[c] ?? 0, c).toBe(0);
    expect(postgresPidsUnder(h.dataDir)).toEqual([]);
    h.expectAllServed();
  }, 600_000);
});
