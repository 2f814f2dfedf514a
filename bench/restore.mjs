// npm run bench: `backup verify sandbox --restore-test` of a database holding 100 000 rows against
// a restore of the same dump by hand (issue 12; target <= 1.2): CREATE DATABASE, `pg_restore` of
// the backup's own dump (exported through the RDB API), the same row counts, DROP DATABASE. The
// CLI's side is the whole command (policy checks, lease, audit entry, RDB calls, TLS connection,
// checks, drop); its restore steps alone are printed too. One sandbox, deployed once, one backup;
// sides alternate per round.
import { existsSync, readdirSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const ROWS = 100_000;
const TABLES = ["datasets", "models", "experiments", "experiment_sets", "results", "observation_table", "answers"];

const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-restore-"));
const dataDir = path.join(dir, ".evalap-infra", "sandbox");
await cp(path.join(repo, "infra"), path.join(dir, "infra"), { recursive: true, filter: (s) => !s.includes(".terraform") });
await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } } }));
const base = { ...process.env, NO_COLOR: "1", CI: "true" };

try {
  await run("node", [cli, "sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"], { cwd: dir, env: base });
  const sandbox = JSON.parse(
    (await run("node", [cli, "sandbox", "env", "--data-dir", dataDir, "--shell", "json"], { cwd: dir, env: base })).out,
  );
  const env = base;
  const cliRun = (args) => run("node", [cli, ...args], { cwd: dir, env });
  await cliRun(["deploy", "sandbox", "--json"]);

  const api = async (p, init = {}) => {
    const res = await fetch(`${sandbox.SCW_API_URL}${p}`, {
      ...init,
      headers: { "X-Auth-Token": sandbox.SCW_SECRET_KEY, "Content-Type": "application/json" },
    });
    if (!res.ok) throw new Error(`${p}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  const secrets = JSON.parse(
    (await cliRun(["secrets", "list", "sandbox", "--json"])).out
      .trim()
      .split("\n")
      .find((l) => l.includes('"secrets.list"')),
  ).data.secrets;
  const secret = async (name) => {
    const id = secrets.find((s) => s.name === name).secretId.split("/")[1];
    return Buffer.from(
      (await api(`/secret-manager/v1beta1/regions/fr-par/secrets/${id}/versions/latest_enabled/access`)).data,
      "base64",
    ).toString("utf8");
  };
  const url = new URL((await secret("POSTGRES_URL")).replace(/^postgresql\+psycopg2:/, "postgresql:"));
  const server = { host: url.hostname, port: Number(url.port) };
  const admin = { ...server, user: "evalap_admin", password: await secret("DB_ADMIN_PASSWORD") };

  // EvalAP's main tables, 100 000 rows in all (most in answers, as a real database's), written as the app.
  const app = new pg.Client({
    ...server,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: "evalap",
  });
  await app.connect();
  await app.query(
    "CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('6f8e64af304c')",
  );
  for (const t of TABLES) {
    const n = t === "answers" ? ROWS - 6 * 1000 : 1000;
    await app.query(`CREATE TABLE ${t} (id serial PRIMARY KEY, created_at timestamptz DEFAULT now(), body text)`);
    await app.query(`INSERT INTO ${t} (body) SELECT md5(g::text) || repeat('x', 200) FROM generate_series(1, $1) g`, [n]);
  }
  await app.end();

  // One backup, and its dump exported through the API: what the hand-made restore reads.
  // A backup of each tier, so that the policy checks pass too (the weekly, newest, is the one restored).
  for (const tier of ["daily", "monthly", "weekly"]) await cliRun(["backup", "run", "sandbox", "--tier", tier, "--json"]);
  const [backup] = (await api(`/rdb/v1/regions/fr-par/backups?order_by=created_at_desc`)).database_backups;
  await api(`/rdb/v1/regions/fr-par/backups/${backup.id}/export`, { method: "POST", body: "{}" });
  let exported;
  for (let i = 0; i < 100 && !exported?.download_url; i++) {
    exported = await api(`/rdb/v1/regions/fr-par/backups/${backup.id}`);
    if (!exported.download_url) await new Promise((r) => setTimeout(r, 100));
  }
  const dump = path.join(dir, "evalap.dump");
  await writeFile(dump, Buffer.from(await (await fetch(exported.download_url)).arrayBuffer()));
  // The same pg_restore the sandbox finds: EVALAP_PG_BIN, Debian's /usr/lib/postgresql/<v>/bin, PATH.
  const debian = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .sort()
        .reverse()
        .map((v) => `/usr/lib/postgresql/${v}/bin`)
    : [];
  const found = [process.env.EVALAP_PG_BIN, ...debian].find((d) => d && existsSync(path.join(d, "pg_restore")));
  const pgRestore = found ? path.join(found, "pg_restore") : "pg_restore";

  const byHand = async () => {
    const started = process.hrtime.bigint();
    const name = `by_hand_${Date.now()}`;
    const c = new pg.Client({ ...admin, database: "postgres" });
    await c.connect();
    await c.query(`CREATE DATABASE ${name}`);
    await run(pgRestore, ["-h", server.host, "-p", String(server.port), "-U", admin.user, "-d", name, "--no-owner", "--no-acl", dump], {
      env: { ...base, PGPASSWORD: admin.password },
    });
    const r = new pg.Client({ ...admin, database: name });
    await r.connect();
    for (const t of TABLES) await r.query(`SELECT count(*) FROM ${t}`);
    await r.end();
    await c.query(`DROP DATABASE ${name} WITH (FORCE)`);
    await c.end();
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  const RESTORE_STEPS = new Set(["scratch database", "restore", "check", "drop scratch database"]);
  const ours = async () => {
    const r = await cliRun(["backup", "verify", "sandbox", "--restore-test", "--json"]);
    const events = r.out
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const steps = events.filter((e) => e.type === "step.finished" && RESTORE_STEPS.has(e.step)).reduce((s, e) => s + e.durationMs, 0);
    const data = events.find((e) => e.type === "data" && e.kind === "backup.restore-test").data;
    if (!data.ok || !data.dropped || data.tables.answers !== ROWS - 6000)
      throw new Error(`restore test failed: ${JSON.stringify(data.checks)}`);
    for (const e of events) if (e.type === "step.finished") (stepTimes[e.step] ??= []).push(e.durationMs);
    return { whole: r.ms, steps };
  };

  const stepTimes = {};
  const hand = [];
  const whole = [];
  const steps = [];
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 === 0 ? ["cli", "hand"] : ["hand", "cli"]) {
      if (side === "hand") hand.push(await byHand());
      else {
        const o = await ours();
        whole.push(o.whole);
        steps.push(o.steps);
      }
    }
  }
  const h = median(hand);
  const w = median(whole);
  const s = median(steps);
  console.log(`restore test of ${ROWS} rows on the sandbox (${rounds} rounds, medians; dump ${(backup.size / 1048576).toFixed(1)} MiB):`);
  console.log(`  by hand: CREATE DATABASE, pg_restore, counts, DROP:           ${fmt(h)}`);
  console.log(`  evalap-infra backup verify sandbox --restore-test (whole run): ${fmt(w)} (ratio ${(w / h).toFixed(2)}; target <= 1.2)`);
  console.log(`  of which its restore steps (create, restore, checks, drop):   ${fmt(s)} (ratio ${(s / h).toFixed(2)})`);
  console.log(
    `  where the whole run goes (medians per step): ${Object.entries(stepTimes)
      .map(([k, v]) => `${k} ${fmt(median(v))}`)
      .join(", ")}`,
  );
} finally {
  await run("node", [cli, "sandbox", "down", "--data-dir", dataDir], { cwd: dir, env: base, allowFailure: true });
  const log = await readFile(path.join(dataDir, "sandbox.log"), "utf8").catch(() => "");
  if (process.env.BENCH_VERBOSE) console.log(log);
  await rm(dir, { recursive: true, force: true });
}
