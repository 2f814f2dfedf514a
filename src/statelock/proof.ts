import { readdir, readFile, readlink, realpath } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { StateLockInfo } from "../tofu/diagnostics.js";
import { currentUser, lockOwnerHere, procStartTime, readRunRecords, type RunRecord } from "../tofu/run-record.js";

/** Whether the holder of a tofu state lock is proven dead, and why (or why not). */
export interface StateLockProof {
  dead: boolean;
  reason: string;
  /** The run record of the dead holder: remove it once its lock is broken. */
  recordFile?: string;
}

export interface ProofOptions {
  /** Tolerance between our clock reading before spawn and tofu's lock time (default 100 ms). */
  slackMs?: number;
  /** The proc file system (tests). */
  procDir?: string;
}

/**
 * How long after its start a tofu may have taken its lock, beyond its -lock-timeout wait: loading
 * the configuration, the plan and the backend. A record older than that did not take this lock.
 */
const LOCK_AFTER_START_MS = 15 * 60_000;

/**
 * Proves that the holder of a tofu state lock is dead, or says why it cannot. Dead only when all
 * hold: the lock names this user@host; a run record of ours shows a tofu started in this root
 * before the lock was created; that process is gone (no such pid, or the pid was reused); and no
 * tofu or terraform process on this host runs in this root (a `tofu apply` typed in another shell
 * holds the lock as much as ours does), nor in another directory initialised with the same backend
 * state (another checkout of the project). A lock of another host is never proven dead: its
 * processes cannot be seen from here.
 */
export async function proveStateLockHolderDead(
  lock: StateLockInfo,
  root: string,
  runRecordDir: string | undefined,
  opts: ProofOptions = {},
): Promise<StateLockProof> {
  const here = lockOwnerHere();
  if (!lock.who) return notProven("the lock does not say who holds it");
  if (lock.who !== here)
    return notProven(`it was taken by ${lock.who}, not ${here}: the processes of another user or host cannot be checked from here`);
  if (!lock.created) return notProven("the lock does not say when it was taken");
  if (!runRecordDir) return notProven("this run keeps no records of the tofu processes it starts");
  const cwd = await realpath(root).catch(() => path.resolve(root));
  const found = await takerOf(lock.created, cwd, runRecordDir, opts.slackMs ?? 100);
  if (!found) {
    return notProven(
      `no tofu started by evalap-infra on ${os.hostname()} in ${cwd} matches it (it may be a tofu run by hand, or from another checkout)`,
    );
  }
  const { file, record } = found;
  const gone = await processGone(record);
  if (gone === null)
    return notProven(`the tofu ${record.subcommand} that took it (pid ${record.pid}, started ${record.startedAt}) still runs`);
  const live = await liveTofuIn(cwd, await backendIdentity(cwd), opts.procDir ?? "/proc");
  if (live) return notProven(live);
  return {
    dead: true,
    reason:
      `lock ${lock.id} was taken by tofu ${record.subcommand} (pid ${record.pid}, started ${record.startedAt} by evalap-infra pid ${record.cliPid}), ` +
      `which is gone (${gone}), and no tofu process runs in ${cwd}`,
    recordFile: file,
  };
}

function notProven(reason: string): StateLockProof {
  return { dead: false, reason };
}

/** The newest run record of ours in this root that started before the lock was created, within reach of it. */
async function takerOf(created: Date, cwd: string, dir: string, slackMs: number): Promise<{ file: string; record: RunRecord } | null> {
  const at = created.getTime();
  const candidates = (await readRunRecords(dir)).filter(({ record }) => {
    const started = Date.parse(record.startedAt);
    if (Number.isNaN(started) || record.cwd !== cwd || record.host !== os.hostname() || record.user !== currentUser()) return false;
    return started <= at + slackMs && at <= started + (record.lockTimeoutMs ?? 0) + LOCK_AFTER_START_MS;
  });
  candidates.sort((a, b) => Date.parse(b.record.startedAt) - Date.parse(a.record.startedAt));
  return candidates[0] ?? null;
}

/** Why the recorded process is gone, or null when it may still run. */
async function processGone(record: RunRecord): Promise<string | null> {
  const now = await procStartTime(record.pid);
  if (now === null) return `no process ${record.pid}`;
  // Without a recorded start time a live pid cannot be told apart from a reused one: alive.
  if (record.procStart === null || now === record.procStart) return null;
  return `pid ${record.pid} now belongs to a process started later`;
}

/**
 * A live tofu/terraform process that may hold the lock, described: one whose working directory is
 * the root, or uses the same backend state; null when there is none.
 */
async function liveTofuIn(cwd: string, backend: string | null, procDir: string): Promise<string | null> {
  const entries = await readdir(procDir).catch(() => null);
  if (entries === null) return `the processes of this host cannot be listed (no ${procDir})`;
  for (const name of entries.filter((n) => /^\d+$/.test(n))) {
    const seen = await inspectProcess(path.join(procDir, name));
    if (seen.kind === "unreadable")
      return `process ${name} (${seen.comm}) may be a tofu in ${cwd}, but its executable or directory cannot be read`;
    if (seen.kind !== "tofu" || seen.cwd === null) continue;
    if (seen.cwd === cwd) return `a tofu process (pid ${name}, ${seen.exe}) runs in ${cwd}`;
    if (backend !== null && (await backendIdentity(seen.cwd)) === backend) {
      return `a tofu process (pid ${name}, ${seen.exe}) runs in ${seen.cwd}, which uses the same backend state as ${cwd}`;
    }
  }
  return null;
}

/** Option names that say where a backend keeps the state (s3, gcs, azurerm, local, http, pg…). */
const STATE_LOCATION = [
  "bucket",
  "key",
  "workspace_key_prefix",
  "prefix",
  "container_name",
  "storage_account_name",
  "path",
  "address",
  "conn_str",
  "schema_name",
];

/**
 * Where the state of an initialised directory lives, from tofu's own record of its backend
 * (.terraform/terraform.tfstate); null when it has none. Compared in memory only: that file may
 * hold credentials.
 */
async function backendIdentity(dir: string): Promise<string | null> {
  try {
    const text = await readFile(path.join(dir, ".terraform", "terraform.tfstate"), "utf8");
    const backend = (JSON.parse(text) as { backend?: { type?: string; config?: Record<string, unknown> } }).backend;
    if (!backend?.type || !backend.config) return null;
    const config = { ...backend.config };
    // A local state path is relative to the directory tofu runs in.
    if (typeof config.path === "string") config.path = path.resolve(dir, config.path);
    return JSON.stringify([backend.type, ...STATE_LOCATION.map((k) => config[k] ?? null)]);
  } catch {
    return null;
  }
}

type Seen = { kind: "other" } | { kind: "tofu"; exe: string; cwd: string | null } | { kind: "unreadable"; comm: string };

async function inspectProcess(dir: string): Promise<Seen> {
  const exe = await readlink(path.join(dir, "exe")).catch((err: NodeJS.ErrnoException) => err);
  if (exe instanceof Error) {
    // Another user's process: its name is still readable; a tofu among them cannot be ruled out.
    if (exe.code !== "EACCES" && exe.code !== "EPERM") return { kind: "other" };
    const comm = (await readFile(path.join(dir, "comm"), "utf8").catch(() => "")).trim();
    return isTofuName(comm) ? { kind: "unreadable", comm } : { kind: "other" };
  }
  if (!isTofuName(path.basename(exe.replace(/ \(deleted\)$/, "")))) return { kind: "other" };
  const cwd = await readlink(path.join(dir, "cwd")).catch((err: NodeJS.ErrnoException) => err);
  if (cwd instanceof Error)
    return cwd.code === "EACCES" || cwd.code === "EPERM" ? { kind: "unreadable", comm: path.basename(exe) } : { kind: "other" };
  return { kind: "tofu", exe, cwd };
}

/** tofu, terraform, opentofu, possibly with a version suffix; not their providers (terraform-provider-*). */
export function isTofuName(name: string): boolean {
  return /^(tofu|terraform|opentofu)([-_.]?v?\d[\w.]*)?$/.test(name);
}
