import type { Rdbv1 } from "@scaleway/sdk-rdb";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { abortableSleep } from "../core/sleep.js";
import { sdkFailure } from "../scaleway/errors.js";
import { isTransientStateExhausted } from "../scaleway/retry.js";
import type { SecretRef } from "../secrets/outputs.js";
import { tierOf, type BackupView, type Schedule } from "./policy.js";

/**
 * The RDB side of the backup commands, through @scaleway/sdk-rdb (its HTTP client is the retry
 * layer of scalewayClient). Waits are polls with a deadline: statuses from types.gen.d.ts
 * (DatabaseBackupStatus, InstanceStatus).
 */

export type RdbApi = Rdbv1.API;

const UNAUTHORIZED = {
  code: "rdb_unauthorized",
  hint: "use an API key whose IAM policy grants RelationalDatabasesFullAccess on the environment's project (the deployer application of infra/bootstrap)",
};

/** The SDK's typed errors are told apart by name (TransientStateError, QuotasExceededError: @scaleway/sdk-client errors/standard). */
const errorName = (err: unknown): string => (err instanceof Error ? err.name : "");

/**
 * A resource busy (409 transient_state): the SDK's TransientStateError, or the retry layer's
 * RetriesExhaustedError after it retried that answer within the retry policy (src/scaleway/retry.ts).
 */
export const isBusy = (err: unknown): boolean => errorName(err) === "TransientStateError" || isTransientStateExhausted(err);

/** Turns an SDK failure into the CLI's error: a quota refusal and a busy resource are named as such. */
export function rdbFailure(err: unknown, what: string, hint: string): EvalapError {
  if (errorName(err) === "QuotasExceededError") {
    return new EvalapError(
      "backup_quota",
      `${what} was refused: the project's backup storage quota is reached (${(err as Error).message})`,
      {
        hint: "delete expired backups (`evalap-infra backup prune <env>`) or raise the quota in the console (Organization > Quotas), then run this again",
        cause: err,
      },
    );
  }
  if (isBusy(err)) {
    const state = (err as { currentState?: unknown }).currentState;
    return new EvalapError("rdb_busy", `${what} was refused: the resource is ${typeof state === "string" ? state : "busy"}`, {
      exitCode: ExitCode.BackupNotReady,
      hint: "wait until the instance is ready (a backup, restore or maintenance is running), or give a longer --timeout",
      cause: err,
    });
  }
  return sdkFailure(err, what, { unauthorized: UNAUTHORIZED, failed: { code: "rdb_failed", hint } });
}

const isoOrNull = (d: Date | undefined): string | null => (d === undefined ? null : d.toISOString());

export function toView(environment: string, b: Rdbv1.DatabaseBackup): BackupView {
  return {
    id: b.id,
    name: b.name,
    tier: tierOf(environment, b.name),
    status: b.status,
    size: b.size ?? null,
    created: isoOrNull(b.createdAt),
    expires: isoOrNull(b.expiresAt),
    updated: isoOrNull(b.updatedAt),
    databaseName: b.databaseName,
  };
}

/** Every backup of the instance's application database, newest first. */
export async function listBackups(api: RdbApi, environment: string, instance: SecretRef, databaseName: string): Promise<BackupView[]> {
  try {
    const all = await api.listDatabaseBackups({ region: instance.region, instanceId: instance.id, orderBy: "created_at_desc" }).all();
    return all.filter((b) => b.databaseName === databaseName).map((b) => toView(environment, b));
  } catch (err) {
    throw rdbFailure(err, `listing the backups of instance ${instance.region}/${instance.id}`, "check that the environment is deployed");
  }
}

export async function getInstance(api: RdbApi, instance: SecretRef): Promise<Rdbv1.Instance> {
  try {
    return await api.getInstance({ region: instance.region, instanceId: instance.id });
  } catch (err) {
    throw rdbFailure(err, `reading instance ${instance.region}/${instance.id}`, "check that the environment is deployed");
  }
}

export const scheduleOf = (i: Rdbv1.Instance): Schedule => ({
  disabled: i.backupSchedule?.disabled ?? true,
  frequencyHours: i.backupSchedule?.frequency ?? 0,
  retentionDays: i.backupSchedule?.retention ?? 0,
});

export interface WaitOptions {
  deadline: number;
  /** The longest pause between two polls: every 50 ms for the first 2 s (a small restore is seen when it ends, not up to a doubled pause later), then doubling up to it (a long one is not hammered). */
  pollMs: number;
  signal: AbortSignal;
  /** Called on each poll that is not done yet, with the status seen. */
  onWait?: (status: string) => void;
}

/** Polls until `done` says so, or throws BackupNotReady (exit 24) naming `what` and the last status at the deadline. */
const pause = (attempt: number, opts: WaitOptions): number =>
  Math.min(opts.pollMs, attempt < 40 ? 50 : 100 * 2 ** Math.min(attempt - 39, 16));

async function until<T>(
  read: () => Promise<T>,
  done: (v: T) => boolean,
  statusOf: (v: T) => string,
  what: string,
  opts: WaitOptions,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() >= opts.deadline) {
      throw new EvalapError("backup_not_ready", `${what} is still ${statusOf(v)} at the deadline`, {
        exitCode: ExitCode.BackupNotReady,
        hint: "it goes on without us: follow it with `evalap-infra backup list <env>`, or give a longer --timeout",
      });
    }
    opts.onWait?.(statusOf(v));
    await abortableSleep(pause(attempt, opts), opts.signal);
  }
}

/** Waits for the instance to be `ready` (not backuping, restarting, in maintenance…). */
export function waitInstanceReady(api: RdbApi, instance: SecretRef, opts: WaitOptions): Promise<Rdbv1.Instance> {
  return until(
    () => getInstance(api, instance),
    (i) => i.status === "ready",
    (i) => i.status,
    `instance ${instance.region}/${instance.id}`,
    opts,
  );
}

/** Waits for a backup to leave creating/restoring/exporting; `error` ends the wait too (the caller decides). */
export function waitBackupSettled(api: RdbApi, region: string, id: string, opts: WaitOptions): Promise<Rdbv1.DatabaseBackup> {
  return until(
    async () => {
      try {
        return await api.getDatabaseBackup({ region, databaseBackupId: id });
      } catch (err) {
        throw rdbFailure(err, `reading backup ${region}/${id}`, "check it with `evalap-infra backup list <env>`");
      }
    },
    (b) => b.status === "ready" || b.status === "error" || b.status === "locked" || b.status === "unknown",
    (b) => b.status,
    `backup ${region}/${id}`,
    opts,
  );
}

/**
 * Calls `fn`; while the instance refuses it for a transient state (a backup or restore running,
 * maintenance), waits for the instance and tries again, until the deadline.
 */
export async function whenInstanceFree<T>(api: RdbApi, instance: SecretRef, opts: WaitOptions, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!isBusy(err) || Date.now() >= opts.deadline) throw err;
      const state = (err as { currentState?: unknown }).currentState;
      opts.onWait?.(typeof state === "string" ? state : "busy");
      await abortableSleep(pause(attempt, opts), opts.signal);
      await waitInstanceReady(api, instance, opts);
    }
  }
}
