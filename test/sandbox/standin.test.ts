import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standinPath } from "../../src/sandbox/apis/container/runtime.js";
import { freePort } from "../../src/sandbox/ports.js";
import { startSandbox } from "../../src/sandbox/index.js";
import { argon2id, argon2idHash, argon2idMatches } from "../../src/sandbox/apis/container/argon2.js";
import { duration } from "../../src/sandbox/apis/container/index.js";
import { behaviourOf, databaseUri } from "../../src/sandbox/standin/behaviour.js";

/**
 * The EvalAP stand-in alone (the built dist/standin/main.js: run `npm run build` first), against a
 * throwaway real PostgreSQL cluster (initdb/pg_ctl, as the postgres user when the tests run as root).
 */
const PG_SUPER_PASSWORD = "super-secret-pw";
const APP_PASSWORD = "app-secret-pw";

interface Cluster {
  port: number;
  stop(): Promise<void>;
}

async function startCluster(): Promise<Cluster> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-standin-pg-"));
  const asRoot = process.getuid?.() === 0;
  const as = asRoot
    ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) }
    : {};
  if (asRoot) await chown(dir, as.uid ?? 0, as.gid ?? 0);
  const pwfile = path.join(dir, "pw");
  await writeFile(pwfile, PG_SUPER_PASSWORD, { mode: 0o600 });
  if (asRoot) await chown(pwfile, as.uid ?? 0, as.gid ?? 0);
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, { ...as, stdio: ["ignore", "ignore", "pipe"], cwd: dir });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
    });
  const data = path.join(dir, "data");
  await run("initdb", ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${pwfile}`]);
  const port = await freePort();
  await run("pg_ctl", ["-D", data, "-w", "-l", path.join(dir, "log"), "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, "start"]);
  const admin = new pg.Client({ host: "127.0.0.1", port, user: "postgres", password: PG_SUPER_PASSWORD, database: "postgres" });
  await admin.connect();
  await admin.query(`create role evalap login password '${APP_PASSWORD}'`);
  await admin.query("create database evalap owner evalap");
  await admin.end();
  return {
    port,
    stop: async () => {
      await run("pg_ctl", ["-D", data, "-w", "-m", "fast", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

interface Run {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
  port: number;
}

async function runStandin(env: Record<string, string>): Promise<Run> {
  const port = await freePort();
  const child = spawn(process.execPath, [standinPath()], {
    env: { PATH: process.env.PATH ?? "", EVALAP_STANDIN_LISTEN_PORT: String(port), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, output: () => out, exit, port };
}

/** Polls until the stand-in answers (any status), or fails when it exits first. */
async function answered(run: Run, p = "/openapi.json"): Promise<Response> {
  const deadline = Date.now() + 30_000;
  let exited = false;
  void run.exit.then(() => (exited = true));
  while (Date.now() < deadline) {
    try {
      return await fetch(`http://127.0.0.1:${run.port}${p}`);
    } catch {
      if (exited) throw new Error(`the stand-in exited: ${run.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the stand-in never answered: ${run.output()}`);
}

const sha256 = (v: string) => createHash("sha256").update(v).digest("hex");

describe("the EvalAP stand-in", () => {
  let cluster: Cluster | undefined;
  const runs: Run[] = [];
  const start = async (env: Record<string, string>) => {
    const r = await runStandin(env);
    runs.push(r);
    return r;
  };
  const postgresUrl = (password = APP_PASSWORD) => `postgresql+psycopg2://evalap:${password}@127.0.0.1:${cluster?.port}/`;

  beforeAll(async () => {
    cluster = await startCluster();
  }, 120_000);

  afterAll(async () => {
    for (const r of runs) r.child.kill("SIGKILL");
    await cluster?.stop();
  });

  it("reads its misbehaviour from the image tag and builds the database URI as EvalAP does", () => {
    expect(behaviourOf("rg.fr-par.scw.cloud/ns/evalap:v1")).toEqual({ crash: false, neverReady: false, fail500: false, slowMs: 0 });
    expect(behaviourOf("rg.fr-par.scw.cloud/ns/evalap:v2-fail500")).toMatchObject({ fail500: true });
    expect(behaviourOf("rg.fr-par.scw.cloud/ns/evalap:v2-slow5-crash")).toMatchObject({ crash: true, slowMs: 5000 });
    expect(behaviourOf("rg.fr-par.scw.cloud/ns/evalap:v2-slow")).toMatchObject({ slowMs: 3000 });
    expect(behaviourOf("rg.fr-par.scw.cloud/ns/evalap:v2-neverready")).toMatchObject({ neverReady: true });
    // A namespace or image name is not the tag.
    expect(behaviourOf("rg.fr-par.scw.cloud/x-crash/evalap:v1").crash).toBe(false);
    expect(databaseUri("postgresql+psycopg2://u:p@h:5432/", "evalap")).toBe("postgresql://u:p@h:5432/evalap");
    expect(databaseUri("postgresql://u:p@h:5432", "db")).toBe("postgresql://u:p@h:5432/db");
  });

  it("refuses an ENV other than unittest, dev or prod, as EvalAP's assert does", async () => {
    const r = await start({ ENV: "staging", ADMIN_TOKEN: "t" });
    expect(await r.exit).not.toBe(0);
    expect(r.output()).toMatch(/AssertionError: Unknown ENV: staging/);
  });

  it("refuses ENV=prod without POSTGRES_URL, and a missing ADMIN_TOKEN", async () => {
    const noDb = await start({ ENV: "prod", ADMIN_TOKEN: "t" });
    expect(await noDb.exit).not.toBe(0);
    expect(noDb.output()).toMatch(/POSTGRES_URL is required/);
    const noToken = await start({ ENV: "dev" });
    expect(await noToken.exit).not.toBe(0);
    expect(noToken.output()).toMatch(/ADMIN_TOKEN is required/);
  });

  it("never listens when the database cannot be reached, and exits without printing the password", async () => {
    const closed = await freePort();
    const r = await start({
      ENV: "prod",
      ADMIN_TOKEN: "t",
      POSTGRES_URL: `postgresql+psycopg2://evalap:${APP_PASSWORD}@127.0.0.1:${closed}`,
      EVALAP_STANDIN_DB_WAIT_MS: "1500",
    });
    await expect(fetch(`http://127.0.0.1:${r.port}/openapi.json`)).rejects.toThrow();
    expect(await r.exit).not.toBe(0);
    expect(r.output()).toMatch(/cannot connect to the database evalap/);
    expect(r.output()).not.toContain(APP_PASSWORD);
  });

  it("exits on a wrong database password, without printing it", async () => {
    const r = await start({ ENV: "prod", ADMIN_TOKEN: "t", POSTGRES_URL: postgresUrl("wrong-pw-123"), EVALAP_STANDIN_DB_WAIT_MS: "500" });
    expect(await r.exit).not.toBe(0);
    expect(r.output()).toMatch(/password authentication failed/);
    expect(r.output()).not.toContain("wrong-pw-123");
  });

  it("connects to the real database, then serves the API and proves what it got", async () => {
    const r = await start({
      ENV: "prod",
      ADMIN_TOKEN: "admin-123",
      POSTGRES_URL: postgresUrl(),
      DB_NAME: "evalap",
      OPENAI_API_KEY: "sk-test",
      PORT: "8000",
      EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v1",
      EVALAP_STANDIN_SECRET_KEYS: "ADMIN_TOKEN,POSTGRES_URL,OPENAI_API_KEY,MISSING_ONE",
    });
    const res = await answered(r);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { openapi?: unknown }).openapi).toBeTypeOf("string");
    expect((await fetch(`http://127.0.0.1:${r.port}/_standin/proof`)).status).toBe(403);
    const proof = await fetch(`http://127.0.0.1:${r.port}/_standin/proof`, { headers: { "x-evalap-admin": "admin-123" } });
    const body = (await proof.json()) as Record<string, unknown>;
    expect(body).toEqual({
      env: "prod",
      image: "rg.fr-par.scw.cloud/ns/evalap:v1",
      port: 8000,
      database: { user: "evalap", name: "evalap", connected: true },
      secrets: {
        ADMIN_TOKEN: sha256("admin-123"),
        POSTGRES_URL: sha256(postgresUrl()),
        OPENAI_API_KEY: sha256("sk-test"),
        MISSING_ONE: null,
      },
    });
    expect(JSON.stringify(body)).not.toContain(APP_PASSWORD);
    expect(r.output()).not.toContain(APP_PASSWORD);
    // The connection is real: the server sees it.
    const admin = new pg.Client({
      host: "127.0.0.1",
      port: cluster?.port,
      user: "postgres",
      password: PG_SUPER_PASSWORD,
      database: "postgres",
    });
    await admin.connect();
    const seen = await admin.query("select count(*)::int as n from pg_stat_activity where usename = 'evalap' and datname = 'evalap'");
    await admin.end();
    expect((seen.rows[0] as { n: number }).n).toBeGreaterThanOrEqual(1);
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(0);
  });

  it("waits for its port when the previous revision still holds it (a redeploy)", async () => {
    const first = await start({ ENV: "dev", ADMIN_TOKEN: "t", EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v1" });
    expect((await answered(first)).status).toBe(200);
    const port = String(first.port);
    const next = await runStandin({
      ENV: "dev",
      ADMIN_TOKEN: "t",
      EVALAP_STANDIN_LISTEN_PORT: port,
      EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v2",
    });
    runs.push(next);
    await new Promise((r) => setTimeout(r, 500));
    expect(next.child.exitCode).toBeNull();
    first.child.kill("SIGTERM");
    await first.exit;
    const proof = await answered({ ...next, port: first.port }, "/_standin/proof");
    expect(proof.status).toBe(403); // the admin token is required: it is the new process answering
    const res = await fetch(`http://127.0.0.1:${port}/_standin/proof`, { headers: { "x-evalap-admin": "t" } });
    expect(((await res.json()) as { image: string }).image).toBe("rg.fr-par.scw.cloud/ns/evalap:v2");
  });

  it("serves Streamlit's health path on port 8501", async () => {
    const r = await start({ ENV: "dev", ADMIN_TOKEN: "t", PORT: "8501" });
    const res = await answered(r, "/_stcore/health");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok");
  });

  it("misbehaves as its tag says: -crash, -fail500, -neverready, -slow", async () => {
    const crash = await start({ ENV: "dev", ADMIN_TOKEN: "t", EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v1-crash" });
    expect(await crash.exit).toBe(3);
    const fail = await start({ ENV: "dev", ADMIN_TOKEN: "t", EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v1-fail500" });
    expect((await answered(fail)).status).toBe(500);
    const slow = await start({ ENV: "dev", ADMIN_TOKEN: "t", EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v1-slow1" });
    expect((await answered(slow)).status).toBe(200);
    const never = await start({ ENV: "dev", ADMIN_TOKEN: "t", EVALAP_STANDIN_IMAGE: "rg.fr-par.scw.cloud/ns/evalap:v1-neverready" });
    await new Promise((r) => setTimeout(r, 1500));
    expect(never.child.exitCode).toBeNull();
    await expect(fetch(`http://127.0.0.1:${never.port}/openapi.json`)).rejects.toThrow();
    expect(never.output()).toMatch(/never to become ready/);
  });
});

/**
 * The stand-in behind the containers API: what a failed release looks like on the wire (the sandbox's
 * startup budget shortened so that -neverready fails fast).
 */
describe("deploys that fail, through the containers API", () => {
  const TOKEN = "11111111-2222-4333-8444-555555555555";
  const PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";
  let sandbox: Awaited<ReturnType<typeof startSandbox>> | undefined;
  let dataDir = "";
  const saved = process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS;

  beforeAll(async () => {
    process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS = "2000";
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-standin-api-"));
    sandbox = await startSandbox({ dataDir, token: TOKEN, account: { organizationId: PROJECT, defaultProjectId: PROJECT } });
  });

  afterAll(async () => {
    if (saved === undefined) delete process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS;
    else process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS = saved;
    await sandbox?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const call = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${sandbox?.url}${p}`, {
      method,
      headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const settled = async (id: string): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const c = await call("GET", `/containers/v1/regions/fr-par/containers/${id}`);
      if (c.status === "ready" || c.status === "error" || Date.now() > deadline) return c;
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it("ends in error for -crash and -neverready, ready but answering 500 for -fail500", async () => {
    await call("POST", "/registry/v1/regions/fr-par/namespaces", { name: "evalap-fail", project_id: PROJECT });
    const ns = await call("POST", "/containers/v1/regions/fr-par/namespaces", { name: "evalap-fail", project_id: PROJECT });
    const deploy = async (name: string, tag: string) => {
      const image = `rg.fr-par.scw.cloud/evalap-fail/evalap:${tag}`;
      await call("POST", "/_sandbox/registry/images", { image });
      const c = await call("POST", "/containers/v1/regions/fr-par/containers", {
        namespace_id: ns.id,
        name,
        image,
        port: 8000,
        environment_variables: { ENV: "dev" },
        secret_environment_variables: { ADMIN_TOKEN: "t" },
        startup_probe: { failure_threshold: 3, interval: "10s", timeout: "5s", http: { path: "/openapi.json" } },
      });
      expect(c.status).toBe("creating");
      expect(c).not.toHaveProperty("error_message");
      return settled(c.id as string);
    };
    const crash = await deploy("crash", "v1-crash");
    expect(crash).toMatchObject({
      status: "error",
      error_message: expect.stringMatching(/Container is unable to start OR is not listening on port 8000/) as unknown,
    });
    const never = await deploy("never", "v1-neverready");
    expect(never).toMatchObject({
      status: "error",
      error_message: "Container is unable to start OR does not respond to HTTP requests on port 8000 and path /openapi.json",
    });
    const fail = await deploy("fail", "v1-fail500");
    expect(fail).toMatchObject({ status: "ready", error_message: "" });
    expect((await fetch(`${fail.public_endpoint as string}/openapi.json`)).status).toBe(500);
    // A redeploy of the good tag (a rollback) makes it healthy again, at the same endpoint.
    await call("POST", "/_sandbox/registry/images", { image: "rg.fr-par.scw.cloud/evalap-fail/evalap:v1" });
    const patched = await call("PATCH", `/containers/v1/regions/fr-par/containers/${fail.id as string}`, {
      image: "rg.fr-par.scw.cloud/evalap-fail/evalap:v1",
    });
    expect(patched.status).toBe("updating");
    const back = await settled(fail.id as string);
    expect(back).toMatchObject({ status: "ready", public_endpoint: fail.public_endpoint });
    expect((await fetch(`${fail.public_endpoint as string}/openapi.json`)).status).toBe(200);
  });
});

/**
 * A sandbox killed outright (SIGKILL: its stop hooks never run) leaves its stand-ins running; the next
 * sandbox on the folder stops them and serves the containers again on the same ports.
 */
describe("a sandbox killed without stopping", () => {
  it("the next one stops the stand-ins left behind and takes their ports back", async () => {
    const TOKEN = "11111111-2222-4333-8444-555555555555";
    const PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";
    const work = await mkdtemp(path.join(os.tmpdir(), "evalap-standin-killed-"));
    const dataDir = path.join(work, "data");
    // The first sandbox runs in a process of its own (bundled from the sources), so that it can be killed.
    // The bundle sits in the repository (node_modules/.cache) so that its packages (pg...) resolve.
    const script = path.join(process.cwd(), "node_modules", ".cache", `evalap-standin-killed-${process.pid}-${Date.now()}.mjs`);
    await mkdir(path.dirname(script), { recursive: true });
    const { build } = await import("esbuild");
    await build({
      stdin: {
        contents: `import { startSandbox } from ${JSON.stringify(path.join(process.cwd(), "src/sandbox/index.ts"))};
const s = await startSandbox({ dataDir: process.argv[2], token: process.argv[3], account: { organizationId: process.argv[4], defaultProjectId: process.argv[4] } });
process.stdout.write(s.url + "\\n");`,
        resolveDir: process.cwd(),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: script,
      packages: "external",
      logLevel: "silent",
    });
    const child = spawn(process.execPath, [script, dataDir, TOKEN, PROJECT], {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, EVALAP_SANDBOX_STANDIN: standinPath() },
    });
    let second: Awaited<ReturnType<typeof startSandbox>> | undefined;
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout?.once("data", (d: Buffer) => resolve(d.toString().trim()));
        child.once("exit", (code) => reject(new Error(`the sandbox process exited ${code}`)));
      });
      const call = async (base: string, method: string, p: string, body?: unknown) => {
        const res = await fetch(`${base}${p}`, {
          method,
          headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return (await res.json()) as Record<string, unknown>;
      };
      await call(url, "POST", "/registry/v1/regions/fr-par/namespaces", { name: "evalap-kill", project_id: PROJECT });
      await call(url, "POST", "/_sandbox/registry/images", { image: "rg.fr-par.scw.cloud/evalap-kill/evalap:v1" });
      const ns = await call(url, "POST", "/containers/v1/regions/fr-par/namespaces", { name: "evalap-kill", project_id: PROJECT });
      const c = await call(url, "POST", "/containers/v1/regions/fr-par/containers", {
        namespace_id: ns.id,
        name: "evalap",
        image: "rg.fr-par.scw.cloud/evalap-kill/evalap:v1",
        port: 8000,
        environment_variables: { ENV: "dev" },
        secret_environment_variables: { ADMIN_TOKEN: "t" },
      });
      const endpoint = c.public_endpoint as string;
      const deadline = Date.now() + 30_000;
      while (
        (await call(url, "GET", `/containers/v1/regions/fr-par/containers/${c.id as string}`)).status !== "ready" &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 100));
      }
      const orphan = (await call(url, "GET", `/_sandbox/containers/${c.id as string}`)).pid as number;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
      // The stand-in outlived its sandbox (its public endpoint, the sandbox's proxy, did not).
      expect(() => process.kill(orphan, 0)).not.toThrow();

      second = await startSandbox({ dataDir, token: TOKEN, account: { organizationId: PROJECT, defaultProjectId: PROJECT } });
      const after = await call(second.url, "GET", `/containers/v1/regions/fr-par/containers/${c.id as string}`);
      expect(after).toMatchObject({ status: "ready", public_endpoint: endpoint });
      const pid = (await call(second.url, "GET", `/_sandbox/containers/${c.id as string}`)).pid as number;
      expect(pid).not.toBe(orphan);
      // Gone, or a zombie (its parent was killed; nothing may reap it in this machine).
      const stat = await readFile(`/proc/${orphan}/stat`, "utf8").catch(() => "");
      expect(stat === "" || / Z /.test(stat), stat).toBe(true);
      expect((await fetch(`${endpoint}/openapi.json`)).status).toBe(200);
    } finally {
      child.kill("SIGKILL");
      await second?.stop();
      await rm(work, { recursive: true, force: true });
      await rm(script, { force: true });
    }
  }, 120_000);
});

describe("the containers API's pure parts", () => {
  it("computes Argon2id as Go's golang.org/x/crypto/argon2.IDKey does (the provider's check)", () => {
    // Vectors printed by argon2.IDKey([]byte("password"), []byte("somesalt12345678"), t, m, p, 32).
    const vectors: [number, number, number, string][] = [
      [64, 1, 1, "2a8bf2c64a9623c36221b9d54ec1c91ad59d6b4edac54aa825522e3e8b6a2027"],
      [32, 3, 4, "cd342db86d5658c8e3267ba1c32c14f66bd95c49ca2c842dbff0e298d37817c9"],
      [16, 2, 2, "e13610ff51211d85675028a70c6aad42329cbbcd33de1306d5d420d542f70a40"],
    ];
    for (const [memoryKiB, passes, lanes, hex] of vectors) {
      const tag = argon2id(Buffer.from("password"), Buffer.from("somesalt12345678"), { memoryKiB, passes, lanes, tagLength: 32 });
      expect(Buffer.from(tag).toString("hex")).toBe(hex);
    }
    const phc = argon2idHash("s3cret");
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(argon2idMatches("s3cret", phc)).toBe(true);
    expect(argon2idMatches("other", phc)).toBe(false);
    expect(argon2idHash("s3cret")).not.toBe(phc); // a fresh salt each time
  });

  it("answers durations in protobuf's short form, as recorded", () => {
    expect(duration("300.000000000s")).toBe("300s");
    expect(duration("10s")).toBe("10s");
    expect(duration("1.500000000s")).toBe("1.500s");
    expect(duration("0.000001s")).toBe("0.000001s");
    expect(duration("10m")).toBeUndefined();
  });
});
