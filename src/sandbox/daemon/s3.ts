import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { sleep } from "../../core/sleep.js";
import { processMatches, signal, waitGone } from "./processes.js";

const MARKS = ["versitygw"];
const PID_FILE = "versitygw.pid";

export interface S3Settings {
  bin: string;
  /** Its own folder: `buckets/`, `versions/` and the pid of the running server. */
  dir: string;
  port: number;
  accessKey: string;
  secretKey: string;
  region: string;
}

export interface RunningS3 {
  endpoint: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A versitygw left running by a daemon that was killed (SIGKILL: it had no chance to stop it) still
 * holds the port and the files: stopped before a new one starts.
 */
export async function stopOrphanS3(dir: string, log: (line: string) => void): Promise<void> {
  const pid = Number((await readFile(path.join(dir, PID_FILE), "utf8").catch(() => "")).trim());
  if (!processMatches(pid, MARKS)) return;
  log(`stopping the S3 server left by a previous daemon (pid ${pid})`);
  signal(pid, "SIGTERM");
  if (!(await waitGone(pid, MARKS, 5000))) {
    signal(pid, "SIGKILL");
    await waitGone(pid, MARKS, 5000);
  }
}

/** Starts versitygw (posix backend, static root keys) on 127.0.0.1 and waits until it answers. */
export async function startS3(s: S3Settings, timeoutMs = 30_000): Promise<RunningS3> {
  await mkdir(path.join(s.dir, "buckets"), { recursive: true });
  await mkdir(path.join(s.dir, "versions"), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Flags set everything; nothing from the environment may change the server (nor carry the keys).
  for (const k of Object.keys(env)) if (/^(VGW_|ROOT_ACCESS|ROOT_SECRET)/.test(k)) delete env[k];
  // The root keys go by environment, not flags: a command line is readable by every local user (ps).
  env.ROOT_ACCESS_KEY = s.accessKey;
  env.ROOT_SECRET_KEY = s.secretKey;
  const args = ["--port", `127.0.0.1:${s.port}`, "--region", s.region, "--health", "/health", "--quiet", "posix"];
  args.push("--versioning-dir", path.join(s.dir, "versions"), path.join(s.dir, "buckets"));
  // Its output joins the daemon's log (the daemon's stdout and stderr are that file).
  const child = spawn(s.bin, args, { stdio: ["ignore", "inherit", "inherit"], env });
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, sig) => resolve(`exited (${sig ?? code})`));
    child.once("error", (err) => resolve(`could not start: ${err.message}`));
  });
  if (child.pid === undefined) throw new Error(`the S3 server ${s.bin} ${await exited}`);
  await writeFile(path.join(s.dir, PID_FILE), String(child.pid), { mode: 0o600 });
  const endpoint = `http://127.0.0.1:${s.port}`;
  const stop = () => stopChild(child, path.join(s.dir, PID_FILE));
  const outcome = await Promise.race([waitHealthy(endpoint, timeoutMs), exited]);
  if (outcome !== "ready") {
    await stop();
    throw new Error(`the S3 server on port ${s.port} ${outcome === "timeout" ? `did not answer within ${timeoutMs} ms` : outcome}`);
  }
  return { endpoint, pid: child.pid, stop };
}

async function waitHealthy(endpoint: string, timeoutMs: number): Promise<"ready" | "timeout"> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return "ready";
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  return "timeout";
}

async function stopChild(child: ChildProcess, pidFile: string): Promise<void> {
  const gone = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(timer);
  await rm(pidFile, { force: true });
}

/**
 * The state bucket; already there after a restart. Not versioned, unlike infra/bootstrap's: versitygw
 * (1.8.0) answers 412 to a PutObject with `If-None-Match: *` over a delete marker, where S3 and
 * Scaleway take the key as absent, so tofu's `.tflock` (and our lease) could be taken only once in a
 * versioned bucket. Nothing the sandbox runs reads old versions.
 */
export async function ensureStateBucket(
  s3: { endpoint: string; region: string; accessKey: string; secretKey: string },
  bucket: string,
): Promise<"created" | "existed"> {
  // Loaded here only: `sandbox status`, `down` and `deploy sandbox` reach this module for stopOrphanS3.
  const { CreateBucketCommand, S3Client } = await import("@aws-sdk/client-s3");
  const client = new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey },
    maxAttempts: 3,
  });
  try {
    let outcome: "created" | "existed" = "created";
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } catch (err) {
      const name = (err as { name?: string }).name;
      if (name !== "BucketAlreadyOwnedByYou" && name !== "BucketAlreadyExists") throw err;
      outcome = "existed";
    }
    return outcome;
  } finally {
    client.destroy();
  }
}
