import { EvalapError, errorMessage } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { EventSink } from "../events/types.js";
import { PreconditionFailedError } from "../objectstore/errors.js";
import type { ObjectStore, RawObject } from "../objectstore/types.js";
import { abortableSleep } from "../core/sleep.js";
import type { LockHolder } from "./holder.js";
import { LockHeldError } from "./local.js";
import { CLOCK_RESOLUTION_MS, isPastLease, WaitQueue } from "./queue.js";
import { parseJsonAs, remoteLockRecordSchema } from "./schema.js";

/**
 * The cross-machine deployment lock: a lease, one JSON object in the state bucket, written only with
 * conditional puts. It is never deleted: on a versioned bucket a delete leaves a marker that still
 * blocks If-None-Match (versitygw), and deleting one version resurrects the previous one. Release is a
 * CAS-replace with `released` set; acquisition treats a released or expired record as free.
 *
 * What holds:
 * 1. Expiry is judged on the bucket's clock only: a record is expired when, in one read,
 *    `serverTime - lastModified >= record.leaseMs + 1 s` (isPastLease explains the second). The times
 *    written inside the record are the writer's clock, for people to read; they decide nothing.
 * 2. The holder knows whether it still holds the lease without trusting any wall clock: each write of its
 *    record was sent at a monotonic instant t0, and the bucket stamped it later, so nobody can see it
 *    expired before t0 + leaseMs. The handle counts its lease valid until t0 + leaseMs - margin; past
 *    that, assertHeld() renews by CAS before answering, and throws LeaseLostError when the lease was
 *    taken over (lost, for good) or cannot be confirmed (unproven). It is called before every tofu step.
 * 3. A heartbeat renews by CAS every leaseMs/3, never two at once; a failure is a warning the first
 *    time, and again when the lease becomes unproven; finding another holder marks the lease lost.
 * 4. release() never fails a run: the store retries transient errors and recognises its own lost
 *    answers; if the bucket still cannot be reached, a warning says the lease expires by itself.
 *    A record someone else holds is left alone.
 * 5. A lock object that is not a lock record does not crash anyone: waiters treat it as held until it
 *    is a lease old on the bucket's clock, then take it over by CAS; forceReleaseRemoteLock clears
 *    whatever is there.
 * 6. Waiters are served first come, first served by the bucket's clock (WaitQueue). Uncontended,
 *    acquiring is one listing and one create: no queue object is written.
 * 7. Waiting past timeoutMs throws LockHeldError.
 */
export interface RemoteLockRecord {
  holder: LockHolder;
  /** The writer's clock, for display: expiry is judged on the object's Last-Modified. */
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
  leaseMs: number;
  released?: { at: string; by: LockHolder; forced: boolean };
}

/** The bucket's view of an object, from one answer. */
export interface BucketTimes {
  etag: string;
  /** When the object was last written, on the bucket's clock. */
  lastModified: Date;
  /** The bucket's clock when it answered. */
  serverTime: Date;
  /** serverTime - lastModified: how long ago it was written, on the bucket's clock. */
  ageMs: number;
}

export interface RemoteLockRecordRead extends BucketTimes {
  state: "held" | "expired" | "released";
  record: RemoteLockRecord;
}

/** The lock key holds something that is not a lock record (not JSON, or another shape). */
export interface MalformedLockRead extends BucketTimes {
  state: "malformed";
  text: string;
  /** Why it is not a record, e.g. "not JSON". */
  problem: string;
}

export type RemoteLockRead = RemoteLockRecordRead | MalformedLockRead;
export type RemoteLockState = RemoteLockRead["state"];

/** What a forced release replaced: the lock as read, "unreadable" for a key that reads as absent yet refused creation. */
export type ForcedRelease = RemoteLockRead | { state: "unreadable" };

/** Schedules `run` after `ms`; returns what cancels it. */
export type Scheduler = (run: () => void, ms: number) => () => void;

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
  /** Wall clock: only for the times written in records, for display. */
  now?: () => number;
  /** Monotonic milliseconds (default performance.now): the lease's validity and waiting times. */
  clock?: () => number;
  /** Schedules heartbeats (default: unref'd setTimeout); a test passes one that never fires to play a stalled process. */
  schedule?: Scheduler;
}

export interface RemoteLockHandle {
  holder: LockHolder;
  /** True once another run took the lease over (or an operator forced it): stop writing, for good. */
  readonly lost: boolean;
  /** Resolves at once while the lease is certainly ours; else renews it first. LeaseLostError when it cannot. */
  assertHeld(): Promise<void>;
  /** Marks the record released; never rejects (a warning when the bucket cannot be reached). */
  release(): Promise<void>;
}

export type LeaseLoss = "lost" | "unproven";

/** The run can no longer prove it holds the remote lease: no further tofu step may start. */
export class LeaseLostError extends EvalapError {
  readonly loss: LeaseLoss;
  constructor(environment: string, loss: LeaseLoss, detail: string) {
    const message =
      loss === "lost"
        ? `the remote lock of ${environment} was lost: ${detail}`
        : `this run cannot prove it still holds the remote lock of ${environment}: ${detail}`;
    const check = loss === "unproven" ? "whether the state bucket answers, " : "";
    super("lock_lost", message, {
      exitCode: ExitCode.LockLost,
      hint:
        `no further tofu step was started. Check ${check}who holds the lock (\`evalap-infra lock status ${environment}\`) ` +
        `and what this run recorded (\`evalap-infra releases list ${environment}\`) before running again`,
    });
    this.name = "LeaseLostError";
    this.loss = loss;
  }
}

/** The lock as the bucket sees it now; null when there is none. Never throws on what the object holds. */
export async function readRemoteLock(store: ObjectStore, key: string): Promise<RemoteLockRead | null> {
  const raw = await store.read(key);
  return raw && interpret(raw);
}

function interpret(raw: RawObject): RemoteLockRead {
  const { etag, lastModified, serverTime } = raw;
  const times: BucketTimes = { etag, lastModified, serverTime, ageMs: serverTime.getTime() - lastModified.getTime() };
  const record = parseRecord(raw.text);
  if (typeof record === "string") return { state: "malformed", ...times, text: raw.text, problem: record };
  const state = record.released ? "released" : isPastLease(times.ageMs, record.leaseMs) ? "expired" : "held";
  return { state, record, ...times };
}

/** The record, or why the text is not one. */
function parseRecord(text: string): RemoteLockRecord | string {
  const parsed = parseJsonAs<RemoteLockRecord>(remoteLockRecordSchema, text);
  if ("value" in parsed) return parsed.value;
  return parsed.problem === "not JSON" ? "not JSON" : "JSON, but not a lock record";
}

/**
 * Marks the lock released (forced) whatever the object holds; returns what it replaced, or null when the
 * key was free. A key that reads as absent yet refuses creation (a delete marker) is overwritten.
 */
export async function forceReleaseRemoteLock(
  store: ObjectStore,
  key: string,
  by: LockHolder,
  now: () => number = Date.now,
): Promise<ForcedRelease | null> {
  for (let attempt = 1; ; attempt++) {
    const current = await readRemoteLock(store, key);
    try {
      if (!current) return await releaseAbsent(store, key, releasedRecord(null, by, now()));
      if (current.state === "released") return current;
      await store.replaceJson(key, releasedRecord(current, by, now()), current.etag);
      return current;
    } catch (err) {
      // The holder heartbeated, released or took it meanwhile: read again and force that.
      if (!(err instanceof PreconditionFailedError) || attempt >= 10) throw err;
    }
  }
}

/** PreconditionFailedError when the key was written meanwhile (the caller reads it again). */
async function releaseAbsent(store: ObjectStore, key: string, record: RemoteLockRecord): Promise<ForcedRelease | null> {
  try {
    await store.createJson(key, record);
    return null; // it was free: a released record there is harmless
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  if (await store.read(key)) throw new PreconditionFailedError(key, "written meanwhile");
  await store.putJson(key, record);
  return { state: "unreadable" };
}

function releasedRecord(current: RemoteLockRead | null, by: LockHolder, nowMs: number): RemoteLockRecord {
  // A malformed object has no record to keep: the operator who forces stands in for its holder.
  const base = current && current.state !== "malformed" ? current.record : freshRecord(by, 0, nowMs);
  return { ...base, released: { at: iso(nowMs), by, forced: true } };
}

/**
 * Takes the environment's remote lock, waiting up to timeoutMs (LockHeldError then). Waiters line up in a
 * WaitQueue: only the first live one tries the lock, so it is first come, first served, and each waiter is
 * told its place. A released record, or one expired on the bucket's clock, is taken over by CAS on its
 * ETag: of racers, one wins.
 */
export async function acquireRemoteLock(opts: RemoteLockOptions): Promise<RemoteLockHandle> {
  const ctx = contextOf(opts);
  const started = ctx.clock();
  const queue = new WaitQueue({
    store: opts.store,
    prefix: `${opts.key}.queue/`,
    holder: opts.holder,
    leaseMs: opts.leaseMs,
    clock: ctx.clock,
  });
  const notices = new WaitNotices(opts);
  try {
    // Nobody waiting: try at once, without a ticket (the common, uncontended case).
    if ((await queue.others()).length === 0) {
      const attempt = await tryAcquire(ctx);
      if ("won" in attempt) return new HeldLease(ctx, attempt.won);
    }
    await queue.join();
    for (;;) {
      opts.signal?.throwIfAborted();
      const { position } = await queue.view();
      let current: RemoteLockRead | null | undefined;
      if (position === 1) {
        const attempt = await tryAcquire(ctx);
        if ("won" in attempt) return new HeldLease(ctx, attempt.won);
        current = attempt.blocked;
      }
      const waitedMs = ctx.clock() - started;
      if (waitedMs >= opts.timeoutMs || notices.due(position)) {
        current ??= await readRemoteLock(opts.store, opts.key);
        const holder = current && current.state !== "malformed" ? current.record.holder : null;
        if (waitedMs >= opts.timeoutMs) throw new LockHeldError(opts.environment, holder, waitedMs);
        notices.tell(position, holder, waitedMs);
      }
      if (current !== undefined) notices.unreadable(current);
      await abortableSleep(Math.max(1, Math.min(opts.pollMs, opts.leaseMs / 3, opts.timeoutMs - waitedMs)), opts.signal);
    }
  } finally {
    await queue.leave();
  }
}

/** The options with their defaults filled in. */
interface LockContext extends RemoteLockOptions {
  now: () => number;
  clock: () => number;
  schedule: Scheduler;
}

function contextOf(opts: RemoteLockOptions): LockContext {
  return { ...opts, now: opts.now ?? Date.now, clock: opts.clock ?? (() => performance.now()), schedule: opts.schedule ?? unrefTimeout };
}

const unrefTimeout: Scheduler = (run, ms) => {
  const timer = setTimeout(run, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

/** What a waiter is told: its place when it changes, and once what blocks the lock when it is not a record. */
class WaitNotices {
  private told = 0;
  private warned = false;
  constructor(private readonly opts: RemoteLockOptions) {}

  due(position: number): boolean {
    return position !== this.told;
  }

  tell(position: number, holder: LockHolder | null, waitedMs: number): void {
    const { environment, timeoutMs, events } = this.opts;
    events.emit({ type: "lock.waiting", environment, scope: "remote", holder, waitedMs, timeoutMs, position });
    this.told = position;
  }

  /** Warns once when the lock object is not a record, or refuses creation while reading as absent. */
  unreadable(current: RemoteLockRead | null): void {
    if (this.warned || (current && current.state !== "malformed")) return;
    this.warned = true;
    const takeover = seconds(this.opts.leaseMs + CLOCK_RESOLUTION_MS);
    const what = current
      ? `is not a lock record (${current.problem}): it is taken over once unchanged for ${takeover} on the bucket's clock`
      : "reads as absent yet refuses to be created (a delete marker?)";
    const fix = `\`evalap-infra lock release ${this.opts.environment} --force --yes\` clears it`;
    this.opts.events.emit({ type: "log", level: "warn", message: `the lock object ${this.opts.key} ${what}; ${fix}` });
  }
}

/** A write of our record, and the monotonic instant it was sent: the bucket stamped it later. */
interface Written {
  record: RemoteLockRecord;
  etag: string;
  sentAt: Instant;
}

type Attempt = { won: Written } | { blocked: RemoteLockRead | null };

async function tryAcquire(ctx: LockContext): Promise<Attempt> {
  try {
    return { won: await writeRecord(ctx, freshRecord(ctx.holder, ctx.leaseMs, ctx.now()), null) };
  } catch (err) {
    if (!(err instanceof PreconditionFailedError)) throw err;
  }
  const current = await readRemoteLock(ctx.store, ctx.key);
  // null: the key is taken yet reads as absent (e.g. a delete marker left by hand): keep waiting.
  if (!current || !isFree(current, ctx.leaseMs)) return { blocked: current };
  try {
    const won = await writeRecord(ctx, freshRecord(ctx.holder, ctx.leaseMs, ctx.now()), current.etag);
    if (current.state !== "released") {
      const previousHolder = current.state === "malformed" ? null : current.record.holder;
      ctx.events.emit({
        type: "lock.recovered",
        environment: ctx.environment,
        scope: "remote",
        previousHolder,
        reason: recoveryReason(current),
      });
    }
    return { won };
  } catch (err) {
    if (err instanceof PreconditionFailedError) return { blocked: current }; // another racer won
    throw err;
  }
}

/** Released, expired, or not a record and unchanged for a lease of ours: all on the bucket's clock. */
function isFree(read: RemoteLockRead, leaseMs: number): boolean {
  return read.state === "malformed" ? isPastLease(read.ageMs, leaseMs) : read.state !== "held";
}

function recoveryReason(read: RemoteLockRead): string {
  const age = `unchanged for ${seconds(read.ageMs)} on the bucket's clock`;
  if (read.state === "malformed") return `the lock object was not a lock record (${read.problem}), ${age}`;
  return `lease of ${seconds(read.record.leaseMs)} expired: ${age}`;
}

/** Creates (etag null) or CAS-replaces our record, noting when it was sent. */
async function writeRecord(ctx: LockContext, record: RemoteLockRecord, etag: string | null): Promise<Written> {
  const sentAt = instant(ctx);
  const written = etag === null ? await ctx.store.createJson(ctx.key, record) : await ctx.store.replaceJson(ctx.key, record, etag);
  return { record, etag: written.etag, sentAt };
}

function freshRecord(holder: LockHolder, leaseMs: number, nowMs: number): RemoteLockRecord {
  return { holder, acquiredAt: iso(nowMs), heartbeatAt: iso(nowMs), expiresAt: iso(nowMs + leaseMs), leaseMs };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}s`;
}

/**
 * A moment on this host. performance.now() keeps counting while the process is stopped (SIGSTOP, GC),
 * but not while the machine sleeps; the wall clock does. Taking the larger of the two elapsed times only
 * ever shortens the lease we count on, so neither clock is trusted to lengthen it.
 */
interface Instant {
  mono: number;
  wall: number;
}

function instant(ctx: LockContext): Instant {
  return { mono: ctx.clock(), wall: ctx.now() };
}

function elapsedSince(ctx: LockContext, at: Instant): number {
  return Math.max(ctx.clock() - at.mono, ctx.now() - at.wall);
}

/** A renewal's outcome. */
type Proof = { held: true } | { held: false; lost: boolean; detail: string };

/** The held lock: a heartbeat extends the lease by CAS until release, or until it is lost. */
class HeldLease implements RemoteLockHandle {
  readonly holder: LockHolder;
  private record: RemoteLockRecord;
  private etag: string;
  private renewedAt: Instant;
  private lostDetail: string | null = null;
  /** The renewal in flight (heartbeat or assertHeld): there is never more than one. */
  private renewing: Promise<Proof> | null = null;
  private cancelBeat: () => void = () => undefined;
  private releasing: Promise<void> | null = null;
  /** Warnings given in the current run of failed renewals. */
  private warned: { failing: boolean; unproven: boolean } = { failing: false, unproven: false };
  /** How long after a write was sent we count on it: a margin short of the lease. */
  private readonly validMs: number;

  constructor(
    private readonly ctx: LockContext,
    first: Written,
  ) {
    this.holder = ctx.holder;
    this.record = first.record;
    this.etag = first.etag;
    this.renewedAt = first.sentAt;
    this.validMs = ctx.leaseMs - Math.min(ctx.leaseMs / 6, 5000);
    ctx.events.emit({ type: "lock.acquired", environment: ctx.environment, scope: "remote" });
    this.schedule();
  }

  get lost(): boolean {
    return this.lostDetail !== null;
  }

  async assertHeld(): Promise<void> {
    // A renewal that took most of a lease leaves little validity: a few tries, then it is unproven.
    for (let renewals = 0; ; renewals++) {
      if (this.lostDetail !== null) throw new LeaseLostError(this.ctx.environment, "lost", this.lostDetail);
      if (this.releasing) throw new Error(`assertHeld() on the released remote lock of ${this.ctx.environment}`);
      if (this.isValid()) return;
      if (renewals === 3) throw new LeaseLostError(this.ctx.environment, "unproven", "the bucket confirms renewals too slowly");
      const proof = await this.renew();
      if (!proof.held && !proof.lost) throw new LeaseLostError(this.ctx.environment, "unproven", proof.detail);
    }
  }

  release(): Promise<void> {
    return (this.releasing ??= this.finish());
  }

  private isValid(): boolean {
    return elapsedSince(this.ctx, this.renewedAt) < this.validMs;
  }

  private schedule(): void {
    if (this.releasing || this.lostDetail !== null) return;
    this.cancelBeat = this.ctx.schedule(() => void this.renew().then(() => this.schedule()), Math.max(1, Math.floor(this.ctx.leaseMs / 3)));
  }

  private renew(): Promise<Proof> {
    return (this.renewing ??= this.beat().finally(() => {
      this.renewing = null;
    }));
  }

  /** One CAS renewal; never rejects. */
  private async beat(): Promise<Proof> {
    if (this.lostDetail !== null) return { held: false, lost: true, detail: this.lostDetail };
    try {
      const next: RemoteLockRecord = {
        ...this.record,
        heartbeatAt: iso(this.ctx.now()),
        expiresAt: iso(this.ctx.now() + this.ctx.leaseMs),
      };
      const outcome = await this.casOurs(next);
      if ("takenOver" in outcome) return { held: false, lost: true, detail: this.markLost(outcome.takenOver) };
      this.renewed(outcome);
      return { held: true };
    } catch (err) {
      return { held: false, lost: false, detail: this.failed(err) };
    }
  }

  /**
   * CAS-replaces our record. When refused, our last write may have landed after all (its answer lost
   * after every retry): if the bucket still holds our unreleased record, adopt its ETag and try once more.
   * Anything else there means we are out: `takenOver` says who holds it now. Other failures reject.
   */
  private async casOurs(next: RemoteLockRecord): Promise<Written | { takenOver: string }> {
    let etag = this.etag;
    for (let adopted = false; ; adopted = true) {
      try {
        return await writeRecord(this.ctx, next, etag);
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
      const current = await readRemoteLock(this.ctx.store, this.ctx.key);
      const ours = current && current.state !== "malformed" && current.record.holder.id === this.holder.id && !current.record.released;
      if (!ours) return { takenOver: describeTaker(current) };
      // Still ours yet refused twice: nobody else has it, but we cannot confirm it either.
      if (adopted) throw new Error(`${this.ctx.key} keeps changing under our ETag`);
      etag = current.etag;
    }
  }

  private renewed(written: Written): void {
    this.record = written.record;
    this.etag = written.etag;
    this.renewedAt = written.sentAt;
    if (this.warned.failing) this.log("info", `the remote lock of ${this.ctx.environment} is confirmed again`);
    this.warned = { failing: false, unproven: false };
  }

  /** Warns once when renewals start failing, and once more when the lease can no longer be counted on. */
  private failed(err: unknown): string {
    const cause = errorMessage(err);
    const since = elapsedSince(this.ctx, this.renewedAt);
    const detail = `the state bucket has not confirmed the lease for ${seconds(since)} (${cause})`;
    if (!this.isValid() && !this.warned.unproven) {
      this.warned = { failing: true, unproven: true };
      this.log(
        "warn",
        `cannot prove this run still holds the remote lock of ${this.ctx.environment}: ${detail}; no further tofu step starts until it does`,
      );
    } else if (!this.warned.failing) {
      this.warned.failing = true;
      const left = seconds(this.validMs - since);
      this.log(
        "warn",
        `the remote lock heartbeat of ${this.ctx.environment} failed (${cause}): the lease is still ours for ${left}; retrying`,
      );
    }
    return detail;
  }

  private markLost(why: string): string {
    if (this.lostDetail === null) {
      this.lostDetail = why;
      this.cancelBeat();
      this.log("warn", `the remote lock of ${this.ctx.environment} was lost: ${why}`);
    }
    return this.lostDetail;
  }

  private async finish(): Promise<void> {
    this.cancelBeat();
    await this.renewing;
    if (this.lostDetail === null) await this.writeReleased();
    this.ctx.events.emit({ type: "lock.released", environment: this.ctx.environment, scope: "remote" });
  }

  private async writeReleased(): Promise<void> {
    const released: RemoteLockRecord = { ...this.record, released: { at: iso(this.ctx.now()), by: this.holder, forced: false } };
    try {
      const outcome = await this.casOurs(released);
      // Someone holds it now (or an operator forced it): their record is not ours to overwrite.
      if ("takenOver" in outcome) this.markLost(outcome.takenOver);
    } catch (err) {
      const cause = errorMessage(err);
      this.log(
        "warn",
        `could not release the remote lock of ${this.ctx.environment} (${cause}): it expires by itself within ${seconds(this.ctx.leaseMs)}`,
      );
    }
  }

  private log(level: "info" | "warn", message: string): void {
    this.ctx.events.emit({ type: "log", level, message });
  }
}

function describeTaker(current: RemoteLockRead | null): string {
  if (!current) return "the lock object is gone";
  if (current.state === "malformed") return "the lock object was overwritten with something that is not a lock record";
  const { holder, released } = current.record;
  if (released?.forced) return `${released.by.user}@${released.by.host} forced it released`;
  return `${holder.user}@${holder.host} (pid ${holder.pid}) took it over after our lease expired`;
}
