import { readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import lockfile from "proper-lockfile";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { EventSink } from "../events/types.js";
import { abortableSleep } from "../core/sleep.js";
import { makeDirectory, toFileSystemError, withFileSystemErrors } from "../tofu/fs-errors.js";
import { processIsGone, type LockHolder } from "./holder.js";
import { lockHolderSchema, parseJsonAs } from "./schema.js";

export interface LocalLockOptions {
  /** Directory holding the lock files (.evalap-infra/locks). */
  dir: string;
  environment: string;
  holder: LockHolder;
  timeoutMs: number;
  pollMs: number;
  /** A lock whose mtime is older than this belongs to a dead process (proper-lockfile's stale). */
  staleMs: number;
  events: EventSink;
  signal?: AbortSignal;
}

export interface LockHandle {
  holder: LockHolder;
  release(): Promise<void>;
}

export class LockHeldError extends EvalapError {
  readonly holder: LockHolder | null;
  constructor(environment: string, holder: LockHolder | null, waitedMs: number) {
    const who = holder
      ? `${holder.user}@${holder.host} (pid ${holder.pid}, "${holder.command}", since ${holder.startedAt})`
      : "another run";
    super("lock_held", `${environment} is locked by ${who}; gave up after waiting ${Math.round(waitedMs / 1000)}s`, {
      exitCode: ExitCode.LockHeld,
      hint: "wait for that run to finish, or raise --lock-timeout; if its process is gone, the lock is recovered automatically",
    });
    this.name = "LockHeldError";
    this.holder = holder;
  }
}

/**
 * The deployment lock of one environment on this machine (proper-lockfile: an atomic mkdir whose
 * mtime the holder refreshes). A waiting run says who holds it; a lock whose holder process is
 * gone is taken over at once on the same host, or after `staleMs` without refresh elsewhere.
 */
export async function acquireLocalLock(opts: LocalLockOptions): Promise<LockHandle> {
  const target = path.join(opts.dir, opts.environment);
  const holderFile = localHolderFile(opts.dir, opts.environment);
  // A full or read-only disk is said as such, naming the file, rather than as an internal error.
  await withFileSystemErrors(target, "take the local lock", async () => {
    await makeDirectory(opts.dir);
    await writeFile(target, "", { flag: "a" });
  });
  const started = Date.now();
  let announced = false;
  for (;;) {
    let release: (() => Promise<void>) | null = null;
    try {
      release = await lockfile.lock(target, {
        stale: Math.max(opts.staleMs, 2000),
        update: Math.max(1000, Math.floor(Math.max(opts.staleMs, 2000) / 3)),
        retries: 0,
        realpath: false,
        onCompromised: () => {
          opts.events.emit({ type: "log", level: "warn", message: `the local lock of ${opts.environment} was removed by someone else` });
        },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ELOCKED") throw toFileSystemError(err, `${target}.lock`, "take the local lock") ?? err;
    }
    if (release) return held(opts, holderFile, release);
    const holder = await readHolder(holderFile);
    if (holder && holder.host === os.hostname() && holder.pid !== process.pid && processIsGone(holder.pid)) {
      // The holder died without releasing (kill -9, power loss): its lock protects nothing.
      await rm(`${target}.lock`, { recursive: true, force: true });
      await rm(holderFile, { force: true });
      opts.events.emit({
        type: "lock.recovered",
        environment: opts.environment,
        scope: "local",
        previousHolder: holder,
        reason: `process ${holder.pid} is gone`,
      });
      continue;
    }
    const waitedMs = Date.now() - started;
    if (waitedMs >= opts.timeoutMs) throw new LockHeldError(opts.environment, holder, waitedMs);
    if (!announced) {
      opts.events.emit({
        type: "lock.waiting",
        environment: opts.environment,
        scope: "local",
        holder,
        waitedMs,
        timeoutMs: opts.timeoutMs,
      });
      announced = true;
    }
    await abortableSleep(Math.min(opts.pollMs, Math.max(50, opts.timeoutMs - waitedMs)), opts.signal);
  }
}

/** The lock is ours: record its holder (or give it back at once when that fails), and hand it over. */
async function held(opts: LocalLockOptions, holderFile: string, release: () => Promise<void>): Promise<LockHandle> {
  await writeFile(holderFile, JSON.stringify(opts.holder, null, 2) + "\n").catch(async (err: unknown) => {
    // Taken but not recorded: a lock nobody can name would hold the next run until it goes stale.
    await rm(holderFile, { force: true }).catch(() => undefined);
    await release().catch(() => undefined);
    throw toFileSystemError(err, holderFile, "record the holder of the local lock") ?? err;
  });
  opts.events.emit({ type: "lock.acquired", environment: opts.environment, scope: "local" });
  let released = false;
  return {
    holder: opts.holder,
    release: async () => {
      if (released) return;
      released = true;
      await rm(holderFile, { force: true });
      await release().catch(() => undefined);
      opts.events.emit({ type: "lock.released", environment: opts.environment, scope: "local" });
    },
  };
}

/** Where the holder of an environment's local lock is recorded (lock status reads it). */
export function localHolderFile(dir: string, environment: string): string {
  return path.join(dir, `${environment}.holder.json`);
}

/** The recorded holder; null when there is none or it cannot be read (not JSON, not a holder). */
export async function readHolder(file: string): Promise<LockHolder | null> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return null;
  const parsed = parseJsonAs<LockHolder>(lockHolderSchema, text);
  return "value" in parsed ? parsed.value : null;
}
