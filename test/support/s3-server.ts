/**
 * A real S3-compatible server on 127.0.0.1 for tests: Versity S3 Gateway (versitygw, Apache-2.0)
 * with its posix backend, built from its Go module by scripts/s3-server.sh into the toolchain cache.
 *
 * It implements what the deployment lock, the release ledger and OpenTofu's `s3` backend with
 * `use_lockfile = true` rely on: conditional PutObject (`If-None-Match: *` and `If-Match: <etag>`,
 * 412 PreconditionFailed otherwise), Get/Head/ListObjectsV2/Delete, bucket versioning, path-style
 * addressing and static root credentials.
 *
 * Usage:
 *   const s3 = await startS3Server({ bucket: 'state', versioning: true });
 *   const client = s3Client(s3);
 *   ...
 *   await s3.stop();                      // kills it, removes its data dir
 *   await s3.stop({ keepData: true });    // kills it, keeps data: restart with
 *   await startS3Server({ dataDir: s3.dataDir, port: s3.port, bucket: s3.bucket });
 *
 * Every server started here is killed when the test process exits, and a detached watchdog kills
 * it too if the test process dies without running exit handlers (SIGKILL, crash).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client, type S3ClientConfig } from "@aws-sdk/client-s3";

export interface S3ServerOptions {
  /** Bucket to create once the server is up (default `evalap-test`); `null` creates none. */
  bucket?: string | null;
  /** Enable versioning on that bucket (default false). */
  versioning?: boolean;
  /** Reuse a data dir (e.g. of a server stopped with `keepData`); default: a fresh temp dir. */
  dataDir?: string;
  /** Listen on this port of 127.0.0.1; default: a free one. */
  port?: number;
  accessKey?: string;
  secretKey?: string;
  /** Region the server signs for (default `fr-par`, as Scaleway's). */
  region?: string;
  /** How long to wait for the server to answer its health check (default 20 s). */
  readyTimeoutMs?: number;
  /** The versitygw binary; default: env EVALAP_S3_SERVER_BIN, else the toolchain cache. */
  bin?: string;
}

export interface S3StopOptions {
  /** Keep the data dir so that a server started later on it sees the same buckets and objects. */
  keepData?: boolean;
}

export interface S3Server {
  /** `http://127.0.0.1:PORT`, to use with path-style addressing. */
  endpoint: string;
  port: number;
  accessKey: string;
  secretKey: string;
  region: string;
  /** The bucket created at start ('' when none was asked for). */
  bucket: string;
  pid: number;
  /** Root of the server's files: `buckets/` (objects) and `versions/` (old versions). */
  dataDir: string;
  /** Whether the server process is still running. */
  readonly running: boolean;
  /** What the server printed (stdout and stderr, last 64 KiB), for diagnostics. */
  output(): string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); removes the data dir unless keepData. */
  stop(opts?: S3StopOptions): Promise<void>;
}

export const DEFAULT_ACCESS_KEY = "evalap-test-access";
export const DEFAULT_SECRET_KEY = "evalap-test-secret-key";
export const DEFAULT_REGION = "fr-par";
export const DEFAULT_BUCKET = "evalap-test";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD_SCRIPT = join(REPO_ROOT, "scripts", "s3-server.sh");
const OUTPUT_LIMIT = 64 * 1024;

export function toolchainDir(): string {
  return process.env.EVALAP_TOOLCHAIN_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "evalap-infra", "toolchain");
}

/** Where the server binary is expected: env EVALAP_S3_SERVER_BIN, else `<toolchain>/bin/versitygw`. */
export function s3ServerBinPath(): string {
  return process.env.EVALAP_S3_SERVER_BIN ?? join(toolchainDir(), "bin", "versitygw");
}

/**
 * Makes sure the server binary exists, building it with scripts/s3-server.sh when needed (about a
 * minute from the Go module proxy, once; instant afterwards). Returns its path. Call it from a
 * `beforeAll` with a long timeout so that a fresh machine builds it instead of failing.
 */
export function ensureS3ServerBinary(): string {
  if (process.env.EVALAP_S3_SERVER_BIN) {
    const bin = process.env.EVALAP_S3_SERVER_BIN;
    if (!existsSync(bin)) throw new Error(`EVALAP_S3_SERVER_BIN=${bin} does not exist`);
    return bin;
  }
  const bin = s3ServerBinPath();
  if (existsSync(bin)) return bin;
  const r = spawnSync("bash", [BUILD_SCRIPT], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    throw new Error(`bash scripts/s3-server.sh failed (status ${r.status ?? r.signal}):\n${(r.stderr ?? "").slice(-8000)}`);
  }
  const built = r.stdout.trim().split("\n").pop() ?? "";
  if (!built || !existsSync(built)) throw new Error(`scripts/s3-server.sh printed no binary path:\n${r.stdout}`);
  return built;
}

/** An S3 client for the server: path-style, static credentials, no retries (fail fast in tests). */
export function s3Client(server: S3Server, extra: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKey, secretAccessKey: server.secretKey },
    maxAttempts: 1,
    ...extra,
  });
}

/** Environment for a subprocess (tofu, the CLI) to talk to the server with AWS-style variables. */
export function s3Env(server: S3Server): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: server.accessKey,
    AWS_SECRET_ACCESS_KEY: server.secretKey,
    AWS_REGION: server.region,
    AWS_DEFAULT_REGION: server.region,
    AWS_ENDPOINT_URL_S3: server.endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

// ---- process tracking: nothing outlives the test process ----

interface Tracked {
  /** The temp data dir made for this server (not a caller's dataDir). */
  tempDir?: string;
  watchdog?: ChildProcess;
}
/** Servers started here and not stopped yet. */
const live = new Map<ChildProcess, Tracked>();
/** Temp data dirs made here and not yet removed: removed on exit, even when kept by stop(). */
const ownedDataDirs = new Set<string>();
let exitHookInstalled = false;

function cleanupSync(): void {
  for (const [child, tracked] of live) {
    try {
      child.kill("SIGKILL");
      tracked.watchdog?.kill("SIGKILL");
    } catch {
      /* already gone */
    }
  }
  for (const dir of ownedDataDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", cleanupSync);
  // Vitest ends its fork workers with SIGTERM, which skips 'exit' handlers: clean up, then let the
  // signal do what it would have done (re-raise it when no one else listens for it).
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
    const onSignal = (): void => {
      cleanupSync();
      if (process.listenerCount(sig) === 1) {
        process.off(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

/**
 * Stops every server this process started and has not stopped yet, and removes their temp data
 * dirs (an afterAll safety net for a test that failed before its own stop()).
 */
export async function stopAllS3Servers(): Promise<void> {
  await Promise.all(
    [...live].map(async ([child, tracked]) => {
      await killChild(child);
      if (tracked.tempDir) {
        await rm(tracked.tempDir, { recursive: true, force: true });
        ownedDataDirs.delete(tracked.tempDir);
      }
    }),
  );
}

/**
 * A detached shell that SIGKILLs the server when the test process disappears (crash, SIGKILL),
 * when `process.on('exit')` never runs, and then removes the temp data dir made for it. It ends by
 * itself within a second of the server ending, and kills only when the test process is gone.
 */
function startWatchdog(serverPid: number, tempDir: string | undefined): ChildProcess | undefined {
  const parent = process.pid;
  const quoted = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
  const cleanup = tempDir ? `; sleep 1; rm -rf ${quoted(tempDir)}` : "";
  const script =
    `while kill -0 ${parent} 2>/dev/null && kill -0 ${serverPid} 2>/dev/null; do sleep 1; done; ` +
    `if ! kill -0 ${parent} 2>/dev/null; then kill -9 ${serverPid} 2>/dev/null${cleanup}; fi; exit 0`;
  try {
    const dog = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
    dog.on("error", () => {});
    dog.unref();
    return dog;
  } catch {
    return undefined; // the exit hook still covers ordinary exits
  }
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((res) => {
    const timer = setTimeout(() => {
      child.off("exit", onExit);
      res(false);
    }, ms);
    const onExit = (): void => {
      clearTimeout(timer);
      res(true);
    };
    child.once("exit", onExit);
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (!exited(child)) {
    child.kill("SIGTERM");
    if (!(await waitExit(child, 5000))) {
      child.kill("SIGKILL");
      await waitExit(child, 5000);
    }
  }
  const watchdog = live.get(child)?.watchdog;
  if (watchdog && !exited(watchdog)) watchdog.kill("SIGKILL");
  live.delete(child);
}

// ---- start ----

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", rej);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? res(port) : rej(new Error("could not get a free port"))));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<"ready" | "exited" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(child)) return "exited";
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status === 200) return exited(child) ? "exited" : "ready";
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  return exited(child) ? "exited" : "timeout";
}

interface Launched {
  child: ChildProcess;
  output: () => string;
}

function launch(
  bin: string,
  port: number,
  opts: Required<Pick<S3ServerOptions, "accessKey" | "secretKey" | "region">>,
  dataDir: string,
): Launched {
  let out = "";
  const append = (chunk: Buffer): void => {
    out += chunk.toString("utf8");
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Flags win over these, but make sure nothing from the caller's environment changes the server.
  for (const k of Object.keys(env)) if (k.startsWith("VGW_") || k.startsWith("ROOT_ACCESS") || k.startsWith("ROOT_SECRET")) delete env[k];
  const child = spawn(
    bin,
    [
      "--port",
      `127.0.0.1:${port}`,
      "--access",
      opts.accessKey,
      "--secret",
      opts.secretKey,
      "--region",
      opts.region,
      "--health",
      "/health",
      "--quiet",
      "posix",
      "--versioning-dir",
      join(dataDir, "versions"),
      join(dataDir, "buckets"),
    ],
    { stdio: ["ignore", "pipe", "pipe"], env },
  );
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  child.on("error", (err) => append(Buffer.from(`\nspawn error: ${err.message}\n`)));
  return { child, output: () => out };
}

/**
 * Starts versitygw on 127.0.0.1, waits until it answers, then creates the bucket (and enables
 * versioning when asked). With `dataDir` and `port` it restarts a server stopped with `keepData`.
 */
export async function startS3Server(opts: S3ServerOptions = {}): Promise<S3Server> {
  const bin = opts.bin ?? s3ServerBinPath();
  if (!existsSync(bin)) {
    throw new Error(
      `S3 test server binary not found at ${bin}: run \`bash scripts/s3-server.sh\` ` +
        "(or call ensureS3ServerBinary() in beforeAll), or set EVALAP_S3_SERVER_BIN",
    );
  }
  const creds = {
    accessKey: opts.accessKey ?? DEFAULT_ACCESS_KEY,
    secretKey: opts.secretKey ?? DEFAULT_SECRET_KEY,
    region: opts.region ?? DEFAULT_REGION,
  };
  const ownDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), "evalap-s3-")));
  if (ownDataDir) ownedDataDirs.add(dataDir);
  await mkdir(join(dataDir, "buckets"), { recursive: true });
  await mkdir(join(dataDir, "versions"), { recursive: true });
  installExitHook();

  const readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
  // A free port can be taken between probing and binding: retry a few times with a new one.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const port = opts.port ?? (await freePort());
    const endpoint = `http://127.0.0.1:${port}`;
    const { child, output } = launch(bin, port, creds, dataDir);
    if (child.pid === undefined) {
      await waitExit(child, 1000);
      lastError = `could not spawn ${bin}:\n${output()}`;
      break;
    }
    live.set(child, {
      ...(ownDataDir ? { tempDir: dataDir } : {}),
      watchdog: startWatchdog(child.pid, ownDataDir ? dataDir : undefined),
    });
    const state = await waitHealthy(endpoint, child, readyTimeoutMs);
    if (state !== "ready") {
      await killChild(child);
      lastError =
        state === "exited"
          ? `S3 test server exited with ${child.exitCode ?? child.signalCode} before it was ready (${bin}, port ${port}):\n${output()}`
          : `S3 test server did not answer ${endpoint}/health within ${readyTimeoutMs} ms:\n${output()}`;
      if (state === "exited" && /address already in use/i.test(output()) && attempt < attempts) continue;
      break;
    }

    let stopped = false;
    const server: S3Server = {
      endpoint,
      port,
      ...creds,
      bucket: opts.bucket === null ? "" : (opts.bucket ?? DEFAULT_BUCKET),
      pid: child.pid,
      dataDir,
      get running() {
        return !exited(child);
      },
      output,
      async stop(stopOpts: S3StopOptions = {}) {
        if (!stopped) {
          stopped = true;
          await killChild(child);
        }
        // A kept data dir made here is still removed when the test process exits.
        if (!stopOpts.keepData) {
          await rm(dataDir, { recursive: true, force: true });
          ownedDataDirs.delete(dataDir);
        }
      },
    };
    try {
      if (server.bucket) await createBucket(server, opts.versioning ?? false);
    } catch (err) {
      await server.stop({ keepData: !ownDataDir });
      throw err;
    }
    return server;
  }
  if (ownDataDir) {
    await rm(dataDir, { recursive: true, force: true });
    ownedDataDirs.delete(dataDir);
  }
  throw new Error(lastError);
}

async function createBucket(server: S3Server, versioning: boolean): Promise<void> {
  const client = s3Client(server);
  try {
    try {
      await client.send(new CreateBucketCommand({ Bucket: server.bucket }));
    } catch (err) {
      const name = (err as { name?: string }).name;
      // Restarted on a kept data dir: the bucket is already there.
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
    }
    if (versioning) {
      await client.send(
        new PutBucketVersioningCommand({
          Bucket: server.bucket,
          VersioningConfiguration: { Status: "Enabled" },
        }),
      );
    }
  } finally {
    client.destroy();
  }
}

/** Stops a server; same as `server.stop(opts)`. */
export async function stopS3Server(server: S3Server, opts?: S3StopOptions): Promise<void> {
  await server.stop(opts);
}
