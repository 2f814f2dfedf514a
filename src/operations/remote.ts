import path from "node:path";
import { resolveEnvironment, type ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { AuditEntry } from "../ledger/types.js";
import type { Ledger } from "../ledger/ledger.js";
import type { OutcomeJournal } from "../ledger/journal.js";
import { acquireLocalLock, LockHeldError, type LockHandle } from "../lock/local.js";
import { acquireRemoteLock, type RemoteLockHandle } from "../lock/remote.js";
import { currentHolder, type LockHolder } from "../lock/holder.js";
import { BackendUnavailableError } from "../objectstore/errors.js";
import { createObjectStore } from "../objectstore/s3.js";
import type { ObjectStore } from "../objectstore/types.js";
import { checkTofuBinary } from "../tofu/process.js";
import { retryPolicy, stateDir, step, type RunContext } from "./context.js";

/** The environment's coordination data in its state bucket, and what could not be written there yet. */
export interface EnvironmentRemote {
  store: ObjectStore;
  ledger: Ledger;
  /** Outcomes and audit entries kept on this machine while the bucket was unreachable. */
  journal: OutcomeJournal;
  prefix: string;
  lockKey: string;
}

/**
 * Opens the environment's state bucket and checks it answers, before anything else happens:
 * an unreachable backend is a clear error within `remoteTimeout`, with nothing written.
 * Null when the environment declares no remote (local lock only, no ledger).
 */
export async function openRemote(ctx: RunContext, env: ResolvedEnvironment): Promise<EnvironmentRemote | null> {
  if (!env.remote) return null;
  // Loaded only for an environment with a remote: the ledger's schemas cost ~15 ms of start-up (README, "Performance").
  const [{ Ledger }, { OutcomeJournal }] = await Promise.all([import("../ledger/ledger.js"), import("../ledger/journal.js")]);
  const cfg = env.remote;
  const credentials = objectStorageCredentials(process.env);
  const store = createObjectStore({
    bucket: cfg.bucket,
    endpoint: cfg.endpoint,
    region: cfg.region,
    ...credentials,
    requestTimeoutMs: ctx.config.remoteTimeout,
    retry: retryPolicy(ctx.config),
    events: ctx.events,
    signal: ctx.signal,
  });
  await step(
    ctx,
    "preflight",
    () =>
      store.checkBucket(ctx.config.remoteTimeout).catch((err: unknown) => {
        // Only here is "nothing was written" true: no other call has been made yet.
        if (err instanceof BackendUnavailableError)
          throw new BackendUnavailableError(err.bucket, err.endpoint, err.detail, err, `${err.hint ?? ""}; nothing was written`);
        throw err;
      }),
    () => ({ detail: `bucket ${cfg.bucket} answers` }),
  );
  const prefix = cfg.prefix ?? `evalap-infra/${env.name}`;
  const ledger = new Ledger(store, prefix, env.name, {
    onUnreadable: (key, reason) => {
      // The journal reports its own files by absolute path; everything else is a bucket key.
      const where = path.isAbsolute(key) ? `the local journal entry ${key}` : `${key} in bucket ${cfg.bucket}`;
      ctx.events.emit({
        type: "log",
        level: "warn",
        message: `skipped ${where}: ${reason} (inspect it; delete it if it is not a release or audit entry)`,
      });
    },
  });
  const journal = new OutcomeJournal(await stateDir(ctx.config, "journal", env.name));
  return { store, ledger, journal, prefix, lockKey: `${prefix}/lock.json` };
}

/** The state backend's credentials: AWS_* as tofu's s3 backend reads them, else the SCW_* pair. */
export function objectStorageCredentials(env: NodeJS.ProcessEnv): { accessKeyId: string; secretAccessKey: string } {
  const accessKeyId = env.AWS_ACCESS_KEY_ID || env.SCW_ACCESS_KEY;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || env.SCW_SECRET_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new EvalapError("credentials_missing", "no Object Storage credentials: the state bucket cannot be reached", {
      exitCode: ExitCode.Prerequisite,
      hint: "export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (your Scaleway access and secret keys), as tofu's s3 backend needs too",
    });
  }
  return { accessKeyId, secretAccessKey };
}

/**
 * Runs `fn` holding the environment's locks: the local one (runs on this machine) and, when the
 * environment has a remote, the lease in its bucket (runs on any machine). `fn` receives a context
 * whose every tofu process first proves the lease is still ours (LeaseLostError otherwise), so a
 * run that lost its lease starts no tofu step. Outcomes journaled by an earlier run while the
 * bucket was down are recorded first. Locks are released on every path.
 */
export async function withEnvironmentLocks<T>(
  ctx: RunContext,
  env: ResolvedEnvironment,
  remote: EnvironmentRemote | null,
  holder: LockHolder,
  lockTimeoutMs: number,
  fn: (locked: RunContext) => Promise<T>,
): Promise<T> {
  // A missing tofu is found before anything is locked or written.
  await checkTofuBinary(ctx.tofu);
  const runRecordDir = await stateDir(ctx.config, "runs", env.name);
  const local = await localLockStep(ctx, env.name, holder, lockTimeoutMs);
  try {
    if (!remote) return await fn({ ...ctx, tofu: { ...ctx.tofu, runRecordDir } });
    const lease = await step(ctx, "remote lock", () =>
      acquireRemoteLock({
        store: remote.store,
        key: remote.lockKey,
        environment: env.name,
        holder,
        leaseMs: ctx.config.lock.lease,
        timeoutMs: lockTimeoutMs,
        pollMs: ctx.config.lock.poll,
        events: ctx.events,
        signal: ctx.signal,
      }),
    ).catch(async (err: unknown) => {
      if (err instanceof LockHeldError)
        await audit(ctx, remote, holder, { environment: env.name, operation: "lock.wait", outcome: "failed", detail: err.message });
      throw err;
    });
    try {
      await reconcileJournal(ctx, remote);
      return await fn(leasedContext(ctx, lease, runRecordDir));
    } finally {
      await lease.release();
    }
  } finally {
    await local.release();
  }
}

/** What a locked operation works on. */
export interface EnvironmentRun {
  env: ResolvedEnvironment;
  remote: EnvironmentRemote | null;
  holder: LockHolder;
  lockTimeoutMs: number;
}

/** The common start of an operation on one environment: resolve it, open its bucket, then run `fn` under its locks. */
export async function withEnvironment<T>(
  ctx: RunContext,
  environment: string,
  lockTimeoutMs: number | undefined,
  fn: (locked: RunContext, run: EnvironmentRun) => Promise<T>,
): Promise<T> {
  const env = resolveEnvironment(ctx.config, environment);
  const remote = await openRemote(ctx, env);
  const run: EnvironmentRun = {
    env,
    remote,
    holder: currentHolder(ctx.commandLine),
    lockTimeoutMs: lockTimeoutMs ?? ctx.config.lock.timeout,
  };
  return withEnvironmentLocks(ctx, env, remote, run.holder, run.lockTimeoutMs, (locked) => fn(locked, run));
}

/** The context of a run under the lease: tofu starts only while the lease is provably ours. */
function leasedContext(ctx: RunContext, lease: RemoteLockHandle, runRecordDir: string): RunContext {
  return { ...ctx, tofu: { ...ctx.tofu, runRecordDir, beforeRun: () => lease.assertHeld() } };
}

/** Records what an earlier run of this machine could not write to the bucket. */
async function reconcileJournal(ctx: RunContext, remote: EnvironmentRemote): Promise<void> {
  const replayed = await remote.ledger.reconcile(remote.journal);
  if (replayed.length > 0) {
    ctx.events.emit({
      type: "log",
      level: "info",
      message: `recorded ${replayed.length} outcome(s) kept on this machine while the state bucket was unreachable`,
    });
  }
}

/**
 * Appends the audit entry of an operation; when the bucket stays unreachable the entry is kept in
 * the local journal (recorded by the next run). Never fatal: the audit trail must not turn a
 * finished operation into a failure.
 */
export async function audit(
  ctx: RunContext,
  remote: EnvironmentRemote | null,
  holder: LockHolder,
  entry: Omit<AuditEntry, "id" | "at" | "actor" | "host" | "command">,
): Promise<void> {
  if (!remote) return;
  try {
    await remote.ledger.appendAudit(
      { at: new Date().toISOString(), actor: holder.user, host: holder.host, command: ctx.commandLine, ...entry },
      remote.journal,
    );
  } catch (err) {
    ctx.events.emit({
      type: "log",
      level: "warn",
      message: `could not write the audit entry: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
}

/** The environment's lock on this machine (one run per environment here), as the step "lock". */
export function localLockStep(ctx: RunContext, environment: string, holder: LockHolder, timeoutMs: number): Promise<LockHandle> {
  return step(ctx, "lock", async () =>
    acquireLocalLock({
      dir: await stateDir(ctx.config, "locks"),
      environment,
      holder,
      timeoutMs,
      pollMs: ctx.config.lock.poll,
      staleMs: ctx.config.lock.stale,
      events: ctx.events,
      signal: ctx.signal,
    }),
  );
}
