import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { Ledger } from "../ledger/ledger.js";
import { acquireLocalLock } from "../lock/local.js";
import { acquireRemoteLock } from "../lock/remote.js";
import type { LockHolder } from "../lock/holder.js";
import { createObjectStore } from "../objectstore/s3.js";
import type { ObjectStore } from "../objectstore/types.js";
import { stateDir, step, type RunContext } from "./context.js";

/** The environment's coordination data in its state bucket. */
export interface EnvironmentRemote {
  store: ObjectStore;
  ledger: Ledger;
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
  const cfg = env.remote;
  const credentials = objectStorageCredentials(process.env);
  const store = await createObjectStore({ bucket: cfg.bucket, endpoint: cfg.endpoint, region: cfg.region, ...credentials, requestTimeoutMs: ctx.config.remoteTimeout });
  await step(ctx, "preflight", () => store.checkBucket(ctx.config.remoteTimeout), () => ({ detail: `bucket ${cfg.bucket} answers` }));
  const prefix = cfg.prefix ?? `evalap-infra/${env.name}`;
  return { store, ledger: new Ledger(store, prefix, env.name), prefix, lockKey: `${prefix}/lock.json` };
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
 * environment has a remote, the lease in its bucket (runs on any machine). Released on every path.
 */
export async function withEnvironmentLocks<T>(
  ctx: RunContext,
  env: ResolvedEnvironment,
  remote: EnvironmentRemote | null,
  holder: LockHolder,
  lockTimeoutMs: number,
  fn: (held: { leaseAcquiredAt: Date | null }) => Promise<T>,
): Promise<T> {
  const local = await step(ctx, "lock", async () =>
    acquireLocalLock({
      dir: await stateDir(ctx.config, "locks"),
      environment: env.name,
      holder,
      timeoutMs: lockTimeoutMs,
      pollMs: ctx.config.lock.poll,
      staleMs: ctx.config.lock.stale,
      events: ctx.events,
      signal: ctx.signal,
    }),
  );
  try {
    if (!remote) return await fn({ leaseAcquiredAt: null });
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
    );
    const leaseAcquiredAt = new Date();
    try {
      return await fn({ leaseAcquiredAt });
    } finally {
      await lease.release();
    }
  } finally {
    await local.release();
  }
}
