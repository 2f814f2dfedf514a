import { EvalapError } from "../core/errors.js";
import type { EventSink } from "../events/types.js";
import { PreconditionFailedError } from "../objectstore/errors.js";
import type { ObjectStore } from "../objectstore/types.js";
import { abortableSleep } from "../retry/retry.js";
import { isLockHolder, type LockHolder } from "./holder.js";
import { LockHeldError } from "./local.js";
import { WaitQueue } from "./queue.js";

/**
 * The cross-machine deployment lock: one JSON object in the state bucket, written only with
 * conditional puts. It is never deleted: on a versioned bucket a delete leaves a marker that still
 * blocks If-None-Match (versitygw), and deleting one version resurrects the previous one. Release
 * is a CAS-replace with `released` set; acquisition treats a released or expired record as free.
 */
export interface RemoteLockRecord {
  holder: LockHolder;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
  leaseMs: number;
  released?: { at: string; by: LockHolder; forced: boolean };
}

export type RemoteLockState = "held" | "expired" | "released";

export interface RemoteLockRead {
  record: RemoteLockRecord;
  etag: string;
  state: RemoteLockState;
}

export interface RemoteLockOptions {
  store: ObjectStore;
  /** e.g. evalap-infra/staging/lock.json */
  key: string;
  environment: string;
  holder: LockHolder;
  /** How long the lock stays ours without a heartbeat; the heartbeat runs every leaseMs/3. */
  leaseMs: number;
  timeoutMs: number;
  pollMs: number;
  events: EventSink;
  signal?: AbortSignal;
  now?: () => number;
}

export interface RemoteLockHandle {
  holder: LockHolder;
  /** True once someone else took the lock over (our lease had expired): stop writing. */
  readonly lost: boolean;
  release(): Promise<void>;
}

export class MalformedLockError extends EvalapError {
  constructor(key: string) {
    super("lock_malformed", `the lock object ${key} is not a lock record`, {
      hint: "inspect it in the state bucket; force-release the lock to overwrite it",
    });
    this.name = "MalformedLockError";
  }
}

export function isRemoteLockRecord(value: unknown): value is RemoteLockRecord {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return isLockHolder(v.holder) && typeof v.acquiredAt === "string" && typeof v.heartbeatAt === "string" && typeof v.expiresAt === "string" && typeof v.leaseMs === "number";
}

function stateOf(record: RemoteLockRecord, nowMs: number): RemoteLockState {
  if (record.released) return "released";
  return Date.parse(record.expiresAt) < nowMs ? "expired" : "held";
}

/** The lock record with its ETag and what it means now; null when there is none. */
export async function readRemoteLock(store: ObjectStore, key: string, now: () => number = Date.now): Promise<RemoteLockRead | null> {
  const got = await store.getJson<unknown>(key);
  if (!got) return null;
  if (!isRemoteLockRecord(got.value)) throw new MalformedLockError(key);
  return { record: got.value, etag: got.etag, state: stateOf(got.value, now()) };
}

/** Marks the lock released (forced) whoever holds it; returns the record it replaced, or null. */
export async function forceReleaseRemoteLock(store: ObjectStore, key: string, by: LockHolder, now: () => number = Date.now): Promise<RemoteLockRecord | null> {
  for (let attempt = 1; ; attempt++) {
    const got = await store.getJson<unknown>(key);
    if (!got) return null;
    const previous = got.value as RemoteLockRecord;
    if (isRemoteLockRecord(got.value) && got.value.released) return previous;
    // A malformed record is overwritten too: forcing is how an operator clears it.
    const base: RemoteLockRecord = isRemoteLockRecord(got.value) ? got.value : { holder: by, acquiredAt: iso(now()), heartbeatAt: iso(now()), expiresAt: iso(now()), leaseMs: 0 };
    try {
      await store.replaceJson(key, { ...base, released: { at: iso(now()), by, forced: true } }, got.etag);
      return previous;
    } catch (err) {
      // The holder heartbeated or released meanwhile: read again and force that.
      if (!(err instanceof PreconditionFailedError) || attempt >= 10) throw err;
    }
  }
}

/**
 * Takes the environment's remote lock, waiting up to timeoutMs (LockHeldError then). Waiters line
 * up in a WaitQueue: only the first live one tries the lock, so it is first come, first served,
 * and each waiter is told its place. A released record, or one whose lease expired, is taken over
 * by CAS on its ETag: of racers, one wins.
 */
export async function acquireRemoteLock(opts: RemoteLockOptions): Promise<RemoteLockHandle> {
  const now = opts.now ?? Date.now;
  const started = now();
  const queue = new WaitQueue(opts.store, `${opts.key}.queue/`, opts.holder, opts.leaseMs, now);
  const acquired = (attempt: { record: RemoteLockRecord; etag: string }): RemoteLockHandle => {
    opts.events.emit({ type: "lock.acquired", environment: opts.environment, scope: "remote" });
    return startHolding(opts, now, attempt.record, attempt.etag);
  };
  try {
    // Nobody waiting: try at once, without a ticket (the common, uncontended case).
    if ((await queue.others()).length === 0) {
      const attempt = await tryAcquire(opts, now);
      if ("etag" in attempt) return acquired(attempt);
    }
    await queue.join();
    let toldPosition = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const { position } = await queue.view();
      let current: RemoteLockRead | null | undefined;
      if (position === 1) {
        const attempt = await tryAcquire(opts, now);
        if ("etag" in attempt) return acquired(attempt);
        current = attempt.current;
      }
      const waitedMs = now() - started;
      if (waitedMs >= opts.timeoutMs || position !== toldPosition) {
        current ??= await readRemoteLock(opts.store, opts.key, now);
        const holder = current?.record.holder ?? null;
        if (waitedMs >= opts.timeoutMs) throw new LockHeldError(opts.environment, holder, waitedMs);
        opts.events.emit({ type: "lock.waiting", environment: opts.environment, scope: "remote", holder, waitedMs, timeoutMs: opts.timeoutMs, position });
        toldPosition = position;
      }
      await abortableSleep(Math.max(1, Math.min(opts.pollMs, opts.timeoutMs - waitedMs)), opts.signal);
    }
  } finally {
    await queue.leave();
  }
}

type Attempt = { record: RemoteLockRecord; etag: string } | { current: RemoteLockRead | null };

async function tryAcquire(opts: RemoteLockOptions, now: () => number): Promise<Attempt> {
  const record = freshRecord(opts.holder, opts.leaseMs, now());
  try {
    return { record, etag: (await opts.store.createJson(opts.key, record)).etag };
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  const current = await readRemoteLock(opts.store, opts.key, now);
  // null: the key is taken yet unreadable (e.g. a delete marker left by hand): keep waiting.
  if (!current || current.state === "held") return { current };
  const mine = freshRecord(opts.holder, opts.leaseMs, now());
  try {
    const { etag } = await opts.store.replaceJson(opts.key, mine, current.etag);
    if (current.state === "expired") {
      opts.events.emit({ type: "lock.recovered", environment: opts.environment, scope: "remote", previousHolder: current.record.holder, reason: `lease expired at ${current.record.expiresAt}` });
    }
    return { record: mine, etag };
  } catch (err) {
    if (err instanceof PreconditionFailedError) return { current }; // another racer won
    throw err;
  }
}

function freshRecord(holder: LockHolder, leaseMs: number, nowMs: number): RemoteLockRecord {
  return { holder, acquiredAt: iso(nowMs), heartbeatAt: iso(nowMs), expiresAt: iso(nowMs + leaseMs), leaseMs };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The held lock: a heartbeat extends the lease by CAS until release, or until it loses. */
function startHolding(opts: RemoteLockOptions, now: () => number, first: RemoteLockRecord, firstEtag: string): RemoteLockHandle {
  let record = first;
  let etag = firstEtag;
  let lost = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<void> = Promise.resolve();
  let releasing: Promise<void> | undefined;
  const intervalMs = Math.max(1, Math.floor(opts.leaseMs / 3));

  const markLost = (why: string): void => {
    lost = true;
    opts.events.emit({ type: "log", level: "warn", message: `the remote lock of ${opts.environment} was lost: ${why}` });
  };

  const beat = async (): Promise<void> => {
    const nowMs = now();
    const next: RemoteLockRecord = { ...record, heartbeatAt: iso(nowMs), expiresAt: iso(nowMs + opts.leaseMs) };
    try {
      etag = (await opts.store.replaceJson(opts.key, next, etag)).etag;
      record = next;
    } catch (err) {
      if (err instanceof PreconditionFailedError) return markLost(`another run took it over after our lease expired at ${record.expiresAt}`);
      // A transient failure: the next beat tries again while the lease still runs.
      opts.events.emit({ type: "log", level: "debug", message: `remote lock heartbeat failed: ${err instanceof Error ? err.message : String(err)}` });
    }
  };

  const schedule = (): void => {
    if (stopped || lost) return;
    timer = setTimeout(() => {
      beating = beat().finally(schedule);
    }, intervalMs);
    timer.unref();
  };
  schedule();

  const release = async (): Promise<void> => {
    stopped = true;
    clearTimeout(timer);
    await beating;
    if (!lost) {
      const nowMs = now();
      try {
        await opts.store.replaceJson(opts.key, { ...record, released: { at: iso(nowMs), by: opts.holder, forced: false } }, etag);
      } catch (err) {
        // Someone holds it now: their record is not ours to overwrite.
        if (!(err instanceof PreconditionFailedError)) throw err;
        markLost("another run took it over before we released it");
      }
    }
    opts.events.emit({ type: "lock.released", environment: opts.environment, scope: "remote" });
  };

  return {
    holder: opts.holder,
    get lost() {
      return lost;
    },
    release: () => (releasing ??= release()),
  };
}
