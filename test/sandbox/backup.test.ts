import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupView } from "../../src/backup/policy.js";
import type { BackupListReport, RunResult, VerifyReport } from "../../src/operations/backup.js";
import type { RestoreTestResult } from "../../src/operations/backup-restore.js";
import type { SecretsListReport } from "../../src/operations/secrets.js";
import { parseEvents } from "../helpers/project.js";
import { sandboxProject, signalWhen, type RunningSandbox, type SandboxRun } from "../helpers/sandbox.js";

/**
 * `backup list/run/verify/prune` on the sandbox daemon after a real deploy of infra/staging: RDB
 * backups are real pg_dumps of the app database, restores real pg_restores into a real scratch
 * database. What the API cannot do (fail a backup, age it, slow its restore) goes through the
 * sandbox's `/_sandbox/rdb/backups/{id}`.
 */
describe("backup on the sandbox", () => {
  let sb: RunningSandbox;
  const printed: string[] = [];
  const secretValues = new Set<string>();
  /** Rows the test writes into the app database before any backup: what a restore must bring back. */
  const SEEDED = { datasets: 3, models: 2, experiments: 5, experiment_sets: 1, results: 4, observation_table: 6, answers: 7 };
  const REVISION = "6f8e64af304c";

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const run = async (args: string[]): Promise<SandboxRun> => {
    const r = await sb.run(args);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const data = <T>(r: SandboxRun, kind: string): T => {
    const e = r.events.find((x) => x.type === "data" && x.kind === kind);
    if (!e) throw new Error(`no ${kind} data event:\n${r.output}`);
    return e.data as T;
  };
  const api = async <T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${sb.descriptor.apiUrl}${path}`, {
      method,
      headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey, "Content-Type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T };
  };
  const secret = async (name: string): Promise<string> => {
    const r = await run(["secrets", "list", "sandbox", "--json"]);
    const report = data<SecretsListReport>(r, "secrets.list");
    const id = report.secrets.find((s) => s.name === name)?.secretId.split("/")[1] ?? "";
    const got = await api<{ data: string }>("GET", `/secret-manager/v1beta1/regions/fr-par/secrets/${id}/versions/latest_enabled/access`);
    const v = Buffer.from(got.body.data, "base64").toString("utf8");
    secretValues.add(v);
    return v;
  };
  /** A client on the instance's real server: the app user from POSTGRES_URL, or the admin with DB_ADMIN_PASSWORD. */
  const connect = async (as: "app" | "admin", database: string): Promise<pg.Client> => {
    const url = new URL((await secret("POSTGRES_URL")).replace(/^postgresql\+psycopg2:/, "postgresql:"));
    const login =
      as === "app"
        ? { user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
        : { user: "evalap_admin", password: await secret("DB_ADMIN_PASSWORD") };
    const client = new pg.Client({ host: url.hostname, port: Number(url.port), database, ...login });
    await client.connect();
    return client;
  };
  const list = async (): Promise<BackupListReport> => {
    const r = await run(["backup", "list", "sandbox", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    return data<BackupListReport>(r, "backup.list");
  };
  const backupRun = async (tier: string): Promise<BackupView> => {
    const r = await run(["backup", "run", "sandbox", "--tier", tier, "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    return data<RunResult>(r, "backup.run").backup;
  };
  const verify = (...extra: string[]) => run(["backup", "verify", "sandbox", "--json", ...extra]);
  const failedChecks = (r: SandboxRun) =>
    data<VerifyReport>(r, "backup.verify")
      .checks.filter((c) => !c.ok)
      .map((c) => c.check);
  const sandboxPatch = async (id: string, body: Record<string, unknown>) => {
    const res = await api("PATCH", `/_sandbox/rdb/backups/${id}`, body);
    expect(res.status).toBe(200);
  };
  /** Makes a backup look `days` old: created_at through the sandbox, expires_at through the API (UpdateDatabaseBackup) kept at its tier's distance. */
  const age = async (b: BackupView, hours: number) => {
    const created = Date.now() - hours * 3_600_000;
    const keep = Date.parse(b.expires ?? "") - Date.parse(b.created ?? "");
    await sandboxPatch(b.id, { created_at: new Date(created).toISOString() });
    const res = await api("PATCH", `/rdb/v1/regions/fr-par/backups/${b.id}`, { expires_at: new Date(created + keep).toISOString() });
    expect(res.status).toBe(200);
  };
  /** The databases of the instance, as the API lists them and as the real server holds them. */
  const scratchDatabases = async (): Promise<{ api: string[]; server: string[] }> => {
    const instanceId = (await list()).instanceId.split("/")[1] ?? "";
    const got = await api<{ databases: { name: string }[] }>("GET", `/rdb/v1/regions/fr-par/instances/${instanceId}/databases`);
    const admin = await connect("admin", "postgres");
    try {
      const rows = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'evalap_restore_%'");
      return {
        api: got.body.databases.map((d) => d.name).filter((n) => n.startsWith("evalap_restore_")),
        server: rows.rows.map((r) => r.datname),
      };
    } finally {
      await admin.end();
    }
  };

  it("before any deploy: exit 9 naming the deploy that creates the database; then deployed", async () => {
    for (const args of [
      ["backup", "list", "sandbox", "--json"],
      ["backup", "verify", "sandbox", "--json"],
    ]) {
      const r = await run(args);
      expect(r.exitCode, r.output).toBe(9);
      expect(r.result.error?.code).toBe("database_not_deployed");
      expect(r.result.error?.hint).toContain("evalap-infra deploy sandbox");
    }
    const deployed = await sb.run(["deploy", "sandbox", "--json"]);
    printed.push(deployed.stdout, deployed.stderr);
    expect(deployed.exitCode, deployed.output).toBe(0);
  }, 900_000);

  it("a new environment has no backup: the list is empty and verify fails on the daily first (exit 19)", async () => {
    const report = await list();
    expect(report).toMatchObject({ environment: "sandbox", database: "evalap", backups: [] });
    expect(report.instanceId).toMatch(/^fr-par\/[0-9a-f-]{36}$/);
    const r = await verify();
    expect(r.exitCode, r.output).toBe(19);
    expect(failedChecks(r)).toEqual(["daily", "weekly", "monthly"]);
  }, 300_000);

  it("backup run per tier: named for its tier, expiring 7 days (staging's schedule), 90 and 365 days later; list shows them; verify passes", async () => {
    // EvalAP's tables with rows, and a schema revision, written as the application would.
    const app = await connect("app", "evalap");
    try {
      await app.query("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY)");
      await app.query("INSERT INTO alembic_version VALUES ($1)", [REVISION]);
      for (const [table, rows] of Object.entries(SEEDED)) {
        await app.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
        await app.query(`INSERT INTO ${table} (note) SELECT 'row ' || g FROM generate_series(1, $1) g`, [rows]);
      }
    } finally {
      await app.end();
    }
    const DAY = 86_400_000;
    const made: Record<string, BackupView> = {};
    for (const [tier, days] of [
      ["daily", 7],
      ["weekly", 90],
      ["monthly", 365],
    ] as const) {
      const b = await backupRun(tier);
      made[tier] = b;
      expect(b.name).toMatch(new RegExp(`^evalap-sandbox-${tier}-\\d{8}T\\d{6}Z$`));
      expect(b).toMatchObject({ tier, status: "ready", databaseName: "evalap" });
      expect(b.size).toBeGreaterThan(0);
      expect(Date.parse(b.expires ?? "") - Date.parse(b.created ?? "")).toBeGreaterThan(days * DAY - 60_000);
      expect(Date.parse(b.expires ?? "") - Date.parse(b.created ?? "")).toBeLessThan(days * DAY + 60_000);
    }
    const report = await list();
    expect(report.backups.map((b) => b.tier)).toEqual(["monthly", "weekly", "daily"]);
    const human = await run(["backup", "list", "sandbox"]);
    expect(human.exitCode, human.output).toBe(0);
    expect(human.stdout).toMatch(/NAME +TIER +STATUS +SIZE +AGE +EXPIRES \(UTC\) +ID/);
    expect(human.stdout).toMatch(/evalap-sandbox-weekly-\S+ +weekly +ready +\d/);

    const ok = await verify();
    expect(ok.exitCode, ok.output).toBe(0);
    expect(failedChecks(ok)).toEqual([]);
  }, 600_000);

  it("verify fails with its code on a stale daily (19), a missing weekly (20), a backup in error (22, named with its reason)", async () => {
    const before = await list();
    const daily = before.backups.find((b) => b.tier === "daily") as BackupView;
    const weekly = before.backups.find((b) => b.tier === "weekly") as BackupView;

    await age(daily, 27);
    let r = await verify();
    expect(r.exitCode, r.output).toBe(19);
    expect(failedChecks(r)).toEqual(["daily"]);
    expect(data<VerifyReport>(r, "backup.verify").checks[0]?.message).toMatch(/is 27 h old \(limit 26 h\)/);
    await backupRun("daily");

    await age(weekly, 9 * 24);
    r = await verify();
    expect(r.exitCode, r.output).toBe(20);
    expect(failedChecks(r)).toEqual(["weekly"]);
    const human = await run(["backup", "verify", "sandbox"]);
    expect(human.exitCode).toBe(20);
    expect(human.stdout + human.stderr).toMatch(/FAIL weekly: newest weekly backup \S+ is 9 days old \(limit 8 days\)/);
    await backupRun("weekly");
    expect((await verify()).exitCode).toBe(0);

    // A backup in error besides fresh ones of every tier: only the errors check fails.
    const broken = await backupRun("daily");
    await sandboxPatch(broken.id, { status: "error" });
    r = await verify();
    expect(r.exitCode, r.output).toBe(22);
    expect(failedChecks(r)).toEqual(["errors"]);
    const errors = data<VerifyReport>(r, "backup.verify").checks.find((c) => c.check === "errors");
    expect(errors?.failed).toEqual([
      expect.objectContaining({ id: broken.id, name: broken.name, reason: expect.stringMatching(/^status error/) }),
    ]);
    const shown = await run(["backup", "verify", "sandbox"]);
    expect(shown.stdout + shown.stderr).toContain(`${broken.name} (${broken.id}): status error`);
    const listed = await list();
    expect(listed.backups.find((b) => b.id === broken.id)?.status).toBe("error");
    await sandboxPatch(broken.id, { status: "ready" });
    expect((await verify()).exitCode).toBe(0);
  }, 600_000);

  it("--restore-test restores the newest backup into a scratch database, counts the tables, drops it", async () => {
    // Rows written after the backups are not in them: the restore brings the backup's state back.
    const app = await connect("app", "evalap");
    await app.query("INSERT INTO datasets (note) VALUES ('after the backups')");
    await app.end();

    const r = await verify("--restore-test", "--expect-revision", REVISION);
    expect(r.exitCode, r.output).toBe(0);
    const result = data<RestoreTestResult>(r, "backup.restore-test");
    expect(result).toMatchObject({ ok: true, dropped: true, alembic: [REVISION], tables: SEEDED, targetMs: 600_000 });
    expect(result.database).toMatch(/^evalap_restore_\d{14}$/);
    expect(result.checks.map((c) => [c.check, c.ok])).toEqual([
      ["restored", true],
      ["alembic", true],
      ["tables", true],
      ["target", true],
    ]);
    expect(result.restoreMs).toBeLessThan(600_000);
    expect(await scratchDatabases()).toEqual({ api: [], server: [] });
    // Under the lease, with an audit entry.
    const history = await run(["history", "sandbox", "--json"]);
    expect(history.stdout).toContain("backup.restore-test");
  }, 600_000);

  it("a failed check (a revision the database does not hold) exits 23 and still drops the scratch database", async () => {
    const r = await verify("--restore-test", "--expect-revision", "ffffffffffff");
    expect(r.exitCode, r.output).toBe(23);
    const result = data<RestoreTestResult>(r, "backup.restore-test");
    expect(result.ok).toBe(false);
    expect(result.dropped).toBe(true);
    expect(result.checks.find((c) => c.check === "alembic")).toMatchObject({
      ok: false,
      message: `alembic_version is ${REVISION}, the release expects ffffffffffff`,
    });
    expect(await scratchDatabases()).toEqual({ api: [], server: [] });
  }, 600_000);

  it("prune deletes only expired backups and keeps the newest of each tier; --dry-run deletes nothing", async () => {
    const before = await list();
    const weeklies = before.backups.filter((b) => b.tier === "weekly");
    const monthly = before.backups.filter((b) => b.tier === "monthly");
    expect(weeklies).toHaveLength(2);
    expect(monthly).toHaveLength(1);
    const past = new Date(Date.now() - 60_000).toISOString();
    // Both weeklies and the only monthly expired: the older weekly goes, the newest of each tier stays.
    for (const b of [...weeklies, ...monthly])
      expect((await api("PATCH", `/rdb/v1/regions/fr-par/backups/${b.id}`, { expires_at: past })).status).toBe(200);
    const older = weeklies[1] as BackupView;

    const dry = await run(["backup", "prune", "sandbox", "--dry-run", "--json"]);
    expect(dry.exitCode, dry.output).toBe(0);
    expect(data<{ deleted: BackupView[] }>(dry, "backup.prune").deleted.map((b) => b.id)).toEqual([older.id]);
    expect((await list()).backups).toHaveLength(before.backups.length);

    const pruned = await run(["backup", "prune", "sandbox", "--json"]);
    expect(pruned.exitCode, pruned.output).toBe(0);
    expect(data<{ deleted: BackupView[] }>(pruned, "backup.prune").deleted.map((b) => b.id)).toEqual([older.id]);
    const after = await list();
    expect(after.backups.map((b) => b.id)).not.toContain(older.id);
    expect(after.backups.map((b) => b.id)).toEqual(before.backups.map((b) => b.id).filter((id) => id !== older.id));
    // Nothing left to prune.
    const again = await run(["backup", "prune", "sandbox", "--json"]);
    expect(data<{ deleted: BackupView[] }>(again, "backup.prune").deleted).toEqual([]);
  }, 600_000);

  it("SIGINT while restoring: exit 130 and no scratch database left", async () => {
    const newest = (await list()).backups.find((b) => b.status === "ready") as BackupView;
    // Its restore lasts 15 s, as a large database's would: the interruption comes in the middle, and
    // the drop waits for the instance, which refuses changes while a restore runs (backuping).
    await sandboxPatch(newest.id, { restore_ms: 15_000 });
    const {
      exitCode,
      out,
      signalled: sent,
    } = await signalWhen(
      sb,
      ["backup", "verify", "sandbox", "--restore-test"],
      (e) => e.type === "log" && /^restore: restoring, waiting/.test(String(e.message)),
      "SIGINT",
    );
    printed.push(out);
    expect(sent, out).toBe(true);
    expect(exitCode, out).toBe(130);
    const events = parseEvents(out);
    expect(
      events.some((e) => e.type === "step.finished" && e.step === "drop scratch database" && e.outcome === "ok"),
      out,
    ).toBe(true);
    expect(await scratchDatabases()).toEqual({ api: [], server: [] });
  }, 600_000);

  it("no secret value in anything the CLI printed", () => {
    expect(secretValues.size).toBeGreaterThan(0);
    for (const v of secretValues) for (const text of printed) expect(text.includes(v)).toBe(false);
  });
});
