import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { EvalapError } from "../../core/errors.js";
import { ExitCode, type ExitCodeValue } from "../../core/exit-codes.js";
import { sleep } from "../../core/sleep.js";
import { DATA_LOCK_FILE } from "../datalock.js";
import { DESCRIPTOR_FILE, readDescriptor, type SandboxDescriptor } from "../descriptor.js";
import { DAEMON_MARKS, daemonFiles, type StartFailure } from "./files.js";
import { processMatches, signal, waitGone } from "./processes.js";
import { stopOrphanS3 } from "./s3.js";
import { resourceCounts } from "./seed.js";

/** What a data folder holds: a sandbox answering, one starting or stuck, one that died, or none. */
export type SandboxState =
  | { state: "running"; descriptor: SandboxDescriptor; counts: Record<string, number> }
  | { state: "not-answering"; descriptor: SandboxDescriptor; problem: string }
  | { state: "starting"; pid: number }
  | { state: "stale"; descriptor: SandboxDescriptor }
  | { state: "stopped" };

const isDaemon = (pid: number): boolean => processMatches(pid, DAEMON_MARKS);

async function lockHolder(dataDir: string): Promise<number | undefined> {
  const pid = Number((await readFile(path.join(daemonFiles(dataDir).lockDir, DATA_LOCK_FILE), "utf8").catch(() => "")).trim());
  return isDaemon(pid) ? pid : undefined;
}

export async function inspectSandbox(dataDir: string): Promise<SandboxState> {
  let descriptor: SandboxDescriptor | undefined;
  try {
    descriptor = await readDescriptor(dataDir);
  } catch (err) {
    throw new EvalapError("sandbox_descriptor_invalid", `${daemonFiles(dataDir).descriptor} is unreadable: ${String(err)}`, {
      hint: "`evalap-infra sandbox down` stops the daemon and removes it",
    });
  }
  if (!descriptor) {
    const pid = await lockHolder(dataDir);
    return pid === undefined ? { state: "stopped" } : { state: "starting", pid };
  }
  if (!isDaemon(descriptor.pid)) return { state: "stale", descriptor };
  try {
    return { state: "running", descriptor, counts: await resourceCounts({ url: descriptor.apiUrl, token: descriptor.scaleway.secretKey }) };
  } catch (err) {
    return { state: "not-answering", descriptor, problem: err instanceof Error ? err.message : String(err) };
  }
}

function notRunning(dataDir: string, why: string): EvalapError {
  return new EvalapError("sandbox_not_running", `no sandbox answers on ${dataDir}: ${why}`, {
    exitCode: ExitCode.SandboxNotRunning,
    hint: "start one with `evalap-infra sandbox up` (or pass the --data-dir it runs on)",
  });
}

/** What a state means for a command that needs a sandbox: why it cannot be used. */
export function describeNotRunning(s: Exclude<SandboxState, { state: "running" }>): string {
  switch (s.state) {
    case "stopped":
      return "none is running";
    case "starting":
      return `its daemon (pid ${s.pid}) is starting or stopping`;
    case "stale":
      return `its daemon (pid ${s.descriptor.pid}) is gone without cleaning up (\`sandbox up\` takes over)`;
    case "not-answering":
      return `its daemon (pid ${s.descriptor.pid}) runs but ${s.descriptor.apiUrl} does not answer (${s.problem})`;
  }
}

/** The running sandbox's descriptor, or an error (exit 14) saying why there is none. */
export async function requireRunningSandbox(dataDir: string): Promise<SandboxDescriptor> {
  const s = await inspectSandbox(dataDir);
  if (s.state === "running") return s.descriptor;
  throw notRunning(dataDir, describeNotRunning(s));
}

export interface StartRequest {
  dataDir: string;
  port?: number;
  readyDelay: string;
  /** The CLI entry to run the daemon with (`bin/evalap-infra.js`). */
  cli: string;
  timeoutMs: number;
  log: (line: string) => void;
  /** Ctrl-C while waiting: the half-started daemon is stopped (it would otherwise run on, unseen). */
  signal?: AbortSignal;
  /** Checks made once no sandbox is found running, before the daemon starts (prerequisites, the port). */
  preflight: () => Promise<void>;
}

function alreadyRunning(dataDir: string, pid: number): EvalapError {
  return new EvalapError("sandbox_running", `a sandbox already runs on ${dataDir} (daemon pid ${pid})`, {
    exitCode: ExitCode.SandboxRunning,
    hint: "use it (`evalap-infra sandbox status`), or stop it first with `evalap-infra sandbox down`",
  });
}

/**
 * Starts the daemon detached (its own session: it outlives this process and its terminal), its
 * output in `sandbox.log`, and waits until it has written the descriptor.
 */
export async function startDaemon(req: StartRequest): Promise<SandboxDescriptor> {
  const files = daemonFiles(req.dataDir);
  const before = await inspectSandbox(req.dataDir);
  if (before.state === "running" || before.state === "not-answering") throw alreadyRunning(req.dataDir, before.descriptor.pid);
  if (before.state === "starting") throw alreadyRunning(req.dataDir, before.pid);
  if (before.state === "stale") {
    req.log(`the sandbox of pid ${before.descriptor.pid} died without cleaning up: taking its data folder over`);
    await stopOrphanS3(files.s3Dir, req.log);
    await rm(files.descriptor, { force: true });
  }
  await req.preflight();
  await mkdir(req.dataDir, { recursive: true, mode: 0o700 });
  await rm(files.failure, { force: true });
  const args = [req.cli, "sandbox", "serve", "--data-dir", req.dataDir, "--ready-delay", req.readyDelay];
  if (req.port !== undefined) args.push("--port", String(req.port));
  const out = openSync(files.log, "a", 0o600);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let pid: number;
  try {
    const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", out, out], cwd: req.dataDir, env: process.env });
    child.on("exit", (code, sig) => (exit = { code, signal: sig }));
    child.on("error", () => (exit = { code: null, signal: null }));
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${process.execPath}`);
    pid = child.pid;
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + req.timeoutMs;
  for (;;) {
    const d = await readDescriptor(req.dataDir).catch(() => undefined);
    if (d?.pid === pid) return d;
    if (exit) throw await startFailure(req.dataDir, exit);
    if (req.signal?.aborted) {
      await stopDaemonPid(req.dataDir, pid, 30_000, req.log);
      throw req.signal.reason instanceof Error ? req.signal.reason : new Error("interrupted");
    }
    if (Date.now() > deadline) {
      await stopDaemonPid(req.dataDir, pid, 30_000, req.log);
      throw new EvalapError(
        "sandbox_start_timeout",
        `the sandbox did not get ready within ${Math.round(req.timeoutMs / 1000)} s: stopped it`,
        {
          hint: `see its log: ${files.log}`,
        },
      );
    }
    await sleep(200);
  }
}

async function startFailure(dataDir: string, exit: { code: number | null; signal: NodeJS.Signals | null }): Promise<EvalapError> {
  const files = daemonFiles(dataDir);
  const text = await readFile(files.failure, "utf8").catch(() => undefined);
  if (text !== undefined) {
    const f = JSON.parse(text) as StartFailure;
    return new EvalapError(f.code, f.message, { exitCode: f.exitCode as ExitCodeValue, ...(f.hint ? { hint: f.hint } : {}) });
  }
  return new EvalapError("sandbox_start_failed", `the sandbox daemon exited (${exit.signal ?? exit.code}) before it was ready`, {
    hint: `see its log: ${files.log}`,
  });
}

export interface StopOutcome {
  /** Nothing ran. */
  wasRunning: boolean;
  pid?: number;
  /** The daemon outlived the grace and was killed (SIGKILL): its databases may need recovery at the next start. */
  killed: boolean;
}

/** Stops the daemon (SIGTERM, SIGKILL after `graceMs`) and removes what a dead one left. Idempotent. */
export async function stopDaemon(dataDir: string, graceMs: number, log: (line: string) => void): Promise<StopOutcome> {
  const files = daemonFiles(dataDir);
  const s = await inspectSandbox(dataDir);
  if (s.state === "stopped") return { wasRunning: false, killed: false };
  if (s.state === "stale") {
    log(`the sandbox of pid ${s.descriptor.pid} had died without cleaning up: removed what it left`);
    await stopOrphanS3(files.s3Dir, log);
    await rm(files.descriptor, { force: true });
    return { wasRunning: false, pid: s.descriptor.pid, killed: false };
  }
  const pid = s.state === "starting" ? s.pid : s.descriptor.pid;
  const killed = await stopDaemonPid(dataDir, pid, graceMs, log);
  return { wasRunning: true, pid, killed };
}

async function stopDaemonPid(dataDir: string, pid: number, graceMs: number, log: (line: string) => void): Promise<boolean> {
  const files = daemonFiles(dataDir);
  signal(pid, "SIGTERM");
  let killed = false;
  if (!(await waitGone(pid, DAEMON_MARKS, graceMs))) {
    log(`the sandbox daemon (pid ${pid}) did not stop within ${Math.round(graceMs / 1000)} s of SIGTERM: killing it (SIGKILL)`);
    signal(pid, "SIGKILL");
    killed = true;
    await waitGone(pid, DAEMON_MARKS, 10_000);
    await stopOrphanS3(files.s3Dir, log);
  }
  await rm(files.descriptor, { force: true });
  return killed;
}

/** Files and folders a sandbox data folder holds: `reset` removes only a folder made of these. */
const SANDBOX_ENTRIES = new Set([
  DESCRIPTOR_FILE,
  "credentials.json",
  "sandbox.log",
  "sandbox.failed.json",
  "daemon",
  "s3",
  "state.json",
  DATA_LOCK_FILE,
]);

/**
 * Removes a stopped sandbox's data folder. Refuses a folder holding anything but sandbox files at
 * its top (beside the folders of API modules, named like `rdb`, made of lowercase letters): a
 * mistyped --data-dir must not wipe someone's files.
 */
export async function removeDataDir(dataDir: string): Promise<boolean> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
  const foreign = entries.filter((e) => !SANDBOX_ENTRIES.has(e) && !/^[a-z]+$/.test(e) && !/\.tmp$/.test(e));
  if (foreign.length > 0 || (entries.length > 0 && !entries.includes("credentials.json") && !entries.includes("state.json"))) {
    throw new EvalapError("sandbox_not_a_data_dir", `${dataDir} does not look like a sandbox data folder: not removed`, {
      exitCode: ExitCode.Usage,
      hint: foreign.length > 0 ? `it holds ${foreign.slice(0, 3).join(", ")}; check --data-dir` : "check --data-dir",
    });
  }
  await rm(dataDir, { recursive: true, force: true });
  return true;
}
