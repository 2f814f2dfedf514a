import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { imageRevisions, materializeImage } from "../../src/sandbox/apis/container/image.js";
import { freePort } from "../../src/sandbox/ports.js";
import { startCluster, type Cluster } from "../helpers/pg-cluster.js";

/**
 * The migration runner's script (infra/modules/migration-runner/runner.py.tftpl) run as the runner
 * container runs it: `python3 -c <script> <alembic args>` with Debian's python3, Alembic and psycopg2,
 * in the stand-in image's files (src/sandbox/standin/image), against a throwaway real PostgreSQL.
 */
const TEMPLATE = path.join(process.cwd(), "infra/modules/migration-runner/runner.py.tftpl");
const LOCK_KEY = 726173;

interface RunnerState {
  id: string;
  status: "starting" | "waiting" | "running" | "succeeded" | "failed";
  exit_code: number | null;
  args: string[];
  log: string[];
}

describe("the migration runner script", () => {
  let cluster: Cluster;
  let dataDir: string;
  let script: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    const template = await readFile(TEMPLATE, "utf8");
    // templatefile's only interpolation in the script: the lock key (anything else would need tofu to render).
    expect(template.match(/\$\{[^}]*\}|%\{/g)).toEqual(["${lock_key}"]);
    script = template.replace("${lock_key}", String(LOCK_KEY));
    cluster = await startCluster();
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-runner-"));
  }, 60_000);

  afterAll(async () => {
    for (const c of children) c.kill("SIGKILL");
    await cluster?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }, 60_000);

  const source = path.join(process.cwd(), "src/sandbox/standin/image");

  async function start(image: string, args: string[]): Promise<{ port: number; child: ChildProcess }> {
    const cwd = await materializeImage(dataDir, image, source);
    const port = await freePort();
    const child = spawn("/usr/bin/python3", ["-c", script, ...args], {
      cwd,
      env: {
        PATH: "/usr/bin:/bin",
        PORT: String(port),
        RUNNER_BIND_ADDRESS: "127.0.0.1",
        POSTGRES_URL: cluster.postgresUrl,
        DB_NAME: cluster.database,
        ENV: "prod",
        MIGRATION_ID: "t1",
        PYTHONDONTWRITEBYTECODE: "1",
      },
      stdio: ["ignore", "ignore", "ignore"],
    });
    children.push(child);
    return { port, child };
  }

  async function read(port: number): Promise<RunnerState | null> {
    try {
      return (await (await fetch(`http://127.0.0.1:${port}/`)).json()) as RunnerState;
    } catch {
      return null; // not listening yet
    }
  }

  async function until(port: number, done: (s: RunnerState) => boolean): Promise<RunnerState> {
    for (let i = 0; i < 600; i++) {
      const s = await read(port);
      if (s && done(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the runner on ${port} never got there: ${JSON.stringify(await read(port))}`);
  }
  const finished = (s: RunnerState) => s.status === "succeeded" || s.status === "failed";

  async function run(image: string, args: string[]): Promise<RunnerState> {
    const { port, child } = await start(image, args);
    const s = await until(port, finished);
    child.kill("SIGTERM");
    return s;
  }

  const sql = async (q: string): Promise<pg.QueryResultRow[]> => {
    const c = new pg.Client(cluster.admin());
    await c.connect();
    try {
      return (await c.query<pg.QueryResultRow>(q)).rows;
    } finally {
      await c.end();
    }
  };
  const version = async () => {
    const rows = await sql("select to_regclass('alembic_version') is not null as present");
    if (!rows[0]?.present) return null;
    return ((await sql("select version_num from alembic_version"))[0]?.version_num as string | undefined) ?? null;
  };
  const tables = async () =>
    (await sql("select tablename from pg_tables where schemaname = 'public' order by 1")).map((r) => r.tablename as string);

  it("an image's tag chooses the revisions it ships", () => {
    const files = ["0001_a.py", "0002_b.py", "0003_c.py", "0004_badmigration.py", "env.py"];
    expect(imageRevisions("rg.fr-par.scw.cloud/evalap/evalap:sandbox-1", files)).toEqual(["0001_a.py", "0002_b.py", "0003_c.py"]);
    expect(imageRevisions("rg.fr-par.scw.cloud/evalap/evalap:v2-head2", files)).toEqual(["0001_a.py", "0002_b.py"]);
    expect(imageRevisions("rg.fr-par.scw.cloud/evalap/evalap:v3-badmigration", files)).toEqual(files.slice(0, 4));
  });

  it("offline mode from an empty database prints the SQL and changes nothing", async () => {
    const s = await run("r/evalap:v1-head2", ["upgrade", "head", "--sql"]);
    expect(s.status, s.log.join("\n")).toBe("succeeded");
    const out = s.log.join("\n");
    expect(out).toContain("CREATE TABLE datasets");
    expect(out).toContain("CREATE TABLE experiments");
    expect(await version()).toBeNull();
    expect(await tables()).toEqual([]);
  }, 60_000);

  it("upgrade to the image's head from empty, then history shows it current", async () => {
    const s = await run("r/evalap:v1-head2", ["upgrade", "head"]);
    expect(s).toMatchObject({ status: "succeeded", exit_code: 0, id: "t1", args: ["upgrade", "head"] });
    expect(s.log.join("\n")).toContain("Running upgrade 0001 -> 0002");
    expect(await version()).toBe("0002");
    expect(await tables()).toEqual(["alembic_version", "datasets", "experiment_sets", "experiments", "results"]);

    const h = await run("r/evalap:v2", ["history", "--indicate-current"]);
    expect(h.status).toBe("succeeded");
    expect(h.log.find((l) => l.includes("-> 0003"))).toContain("(head)");
    expect(h.log.find((l) => l.includes("-> 0002"))).toContain("(current)");
  }, 60_000);

  it("offline mode on a database at 0002 starts from 0002", async () => {
    const s = await run("r/evalap:v2", ["upgrade", "head", "--sql"]);
    expect(s.status).toBe("succeeded");
    const out = s.log.join("\n");
    expect(out).toContain("offline SQL from the database's revision 0002 to head");
    expect(out).toContain("ALTER TABLE experiments ADD COLUMN experiment_status");
    expect(out).not.toContain("CREATE TABLE datasets");
    expect(await version()).toBe("0002");
  }, 60_000);

  it("a second runner waits for the advisory lock the first holds", async () => {
    // The lock a first runner holds while its Alembic runs, held here so the order is certain.
    const holder = new pg.Client(cluster.admin());
    await holder.connect();
    try {
      await holder.query("select pg_advisory_lock($1)", [LOCK_KEY]);
      const { port, child } = await start("r/evalap:v2", ["upgrade", "head"]);
      const waiting = await until(port, (s) => s.status === "waiting");
      expect(waiting.log.join("\n")).toContain(`pg_advisory_lock(${LOCK_KEY})`);
      // Still waiting a moment later, and nothing migrated meanwhile.
      await new Promise((r) => setTimeout(r, 1500));
      expect((await read(port))?.status).toBe("waiting");
      expect(await version()).toBe("0002");
      await holder.query("select pg_advisory_unlock($1)", [LOCK_KEY]);
      const s = await until(port, finished);
      child.kill("SIGTERM");
      expect(s.status).toBe("succeeded");
      expect(await version()).toBe("0003");
    } finally {
      await holder.end();
    }
  }, 60_000);

  it("a revision failing halfway leaves the database at the previous revision", async () => {
    const s = await run("r/evalap:v3-badmigration", ["upgrade", "head"]);
    expect(s.status).toBe("failed");
    expect(s.exit_code).not.toBe(0);
    expect(s.log.join("\n")).toContain('relation "judges" does not exist');
    expect(await version()).toBe("0003");
    expect(await tables()).not.toContain("answers");
    // The log never carries the database password.
    expect(JSON.stringify(s)).not.toContain("cluster-app-pw");
  }, 60_000);
});
