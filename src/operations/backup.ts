import type { ResolvedEnvironment } from "../config/load.js";
import { scalewayFor } from "./scaleway.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { databaseOutputs, type DatabaseOutputs } from "../backup/outputs.js";
import {
  backupName,
  DAILY_RETENTION_DAYS,
  expiryOf,
  pruneCandidates,
  verifyPolicy,
  type BackupView,
  type CheckResult,
  type ManualTier,
  type Tier,
} from "../backup/policy.js";
import {
  getInstance,
  listBackups,
  rdbFailure,
  scheduleOf,
  toView,
  waitBackupSettled,
  waitInstanceReady,
  whenInstanceFree,
  type RdbApi,
  type WaitOptions,
} from "../backup/rdb.js";
import { type ScalewayConnection } from "../scaleway/client.js";
import * as tofu from "../tofu/commands.js";
import { audited } from "./audit-trail.js";
import { step, type RunContext } from "./context.js";
import { initStep } from "./plan.js";
import { withEnvironment } from "./remote.js";

/** The environment's database as the backup commands reach it. */
export interface BackupTarget {
  env: ResolvedEnvironment;
  db: DatabaseOutputs;
  scw: ScalewayConnection;
  api: RdbApi;
}

/** Reads the root's outputs (init first, skipped when unchanged) and opens the RDB API with the retry layer. */
export async function openTarget(ctx: RunContext, env: ResolvedEnvironment): Promise<BackupTarget> {
  await initStep(ctx, env);
  const outputs = await step(ctx, "outputs", () => tofu.output(ctx.tofu, env.rootDir));
  const scw = await scalewayFor(ctx);
  const db = databaseOutputs(env.name, outputs, scw.defaultRegion ?? "fr-par");
  return { env, db, scw, api: await scw.rdb() };
}

export interface BackupListReport {
  environment: string;
  instanceId: string;
  database: string;
  backups: BackupView[];
}

/** Read-only: no lock, like `secrets list`. */
export async function listEnvironmentBackups(ctx: RunContext, env: ResolvedEnvironment): Promise<BackupListReport> {
  const t = await openTarget(ctx, env);
  const backups = await step(
    ctx,
    "backups",
    () => listBackups(t.api, env.name, t.db.instance, t.db.databaseName),
    (b) => ({ detail: `${b.length} backup(s)` }),
  );
  return { environment: env.name, instanceId: `${t.db.instance.region}/${t.db.instance.id}`, database: t.db.databaseName, backups };
}

/** Deadlines and polling of the waits (`--timeout`; the poll is short on the sandbox's instant resources). */
export interface Timing {
  timeoutMs: number;
  pollMs: number;
}

export const DEFAULT_TIMING: Timing = { timeoutMs: 30 * 60_000, pollMs: 2_000 };

export function waitOptions(ctx: RunContext, timing: Timing, what: string): WaitOptions {
  let last = "";
  return {
    deadline: Date.now() + timing.timeoutMs,
    pollMs: timing.pollMs,
    signal: ctx.signal,
    onWait: (status) => {
      if (status === last) return;
      last = status;
      ctx.events.emit({
        type: "log",
        level: "info",
        message: `${what}: ${status}, waiting (deadline in ${Math.round(timing.timeoutMs / 1000)} s)`,
      });
    },
  };
}

export interface RunOptions {
  environment: string;
  tier: Tier;
  /** Wait until the backup is ready (default); false returns once it is created. */
  wait: boolean;
  timing: Timing;
  lockTimeoutMs?: number;
}

export interface RunResult {
  backup: BackupView;
  waitedMs: number;
}

/**
 * backup run: under the environment's lease, a manual backup of the application database named
 * for its tier, expiring per the policy (daily: the schedule's retention).
 */
export function runBackup(ctx: RunContext, opts: RunOptions): Promise<RunResult> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, (locked, { env, remote, holder }) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      "backup.run",
      async (): Promise<RunResult> => takeBackup(locked, await openTarget(locked, env), opts.tier, opts.timing, opts.wait),
      (r) => ({
        outcome: "ok",
        detail: `backup ${r.backup.name} (${r.backup.id}) ${r.backup.status}, expires ${r.backup.expires ?? "never"}`,
      }),
    ),
  );
}

/**
 * A manual backup of the application database named for its tier (`backup run`, and `migrate`'s
 * pre-migration backup), the caller holding the lease. An instance in a transient state is waited
 * for until the deadline; the backup is waited for until ready unless `wait` is false.
 */
export async function takeBackup(ctx: RunContext, t: BackupTarget, tier: ManualTier, timing: Timing, wait = true): Promise<RunResult> {
  const waiting = waitOptions(ctx, timing, "instance");
  const instance = await step(ctx, "instance", () =>
    waitInstanceReady(t.api, t.db.instance, waiting).catch((err: unknown) => {
      throw err instanceof EvalapError ? err : rdbFailure(err, "reading the instance", "check that the environment is deployed");
    }),
  );
  const created = new Date();
  const name = backupName(t.env.name, tier, created);
  const expiresAt = expiryOf(tier, created, scheduleOf(instance).retentionDays);
  const started = Date.now();
  const made = await step(
    ctx,
    "create backup",
    () =>
      whenInstanceFree(t.api, t.db.instance, waiting, () =>
        t.api.createDatabaseBackup({
          region: t.db.instance.region,
          instanceId: t.db.instance.id,
          databaseName: t.db.databaseName,
          name,
          expiresAt,
        }),
      ).catch((err: unknown) => {
        throw err instanceof EvalapError
          ? err
          : rdbFailure(err, `creating backup ${name}`, "run `evalap-infra backup list <env>` and try again");
      }),
    (b) => ({ detail: `${b.name} (${b.id}), expires ${expiresAt.toISOString()}` }),
  );
  if (!wait) return { backup: toView(t.env.name, made), waitedMs: 0 };
  const ready = await step(
    ctx,
    "wait",
    () => waitBackupSettled(t.api, made.region, made.id, waitOptions(ctx, timing, `backup ${name}`)),
    (b) => ({ detail: b.status }),
  );
  if (ready.status !== "ready") {
    throw new EvalapError("backup_failed", `backup ${name} (${ready.id}) ended ${ready.status}`, {
      exitCode: ExitCode.BackupFailed,
      hint: "the RDB API gives no cause: check the instance's logs in the console, delete the failed backup, then run this again",
    });
  }
  return { backup: toView(t.env.name, ready), waitedMs: Date.now() - started };
}

export interface PruneOptions {
  environment: string;
  dryRun: boolean;
  lockTimeoutMs?: number;
  now?: () => number;
}

export interface PruneResult {
  dryRun: boolean;
  deleted: BackupView[];
  kept: number;
}

/** backup prune: deletes the expired manual backups (never the newest of a tier); `--dry-run` lists them, read-only. */
export async function pruneBackups(ctx: RunContext, env: ResolvedEnvironment, opts: PruneOptions): Promise<PruneResult> {
  const now = opts.now ?? Date.now;
  const select = async (c: RunContext) => {
    const t = await openTarget(c, env);
    const backups = await listBackups(t.api, env.name, t.db.instance, t.db.databaseName);
    return { t, backups, candidates: pruneCandidates(backups, now()) };
  };
  if (opts.dryRun) {
    const { backups, candidates } = await select(ctx);
    return { dryRun: true, deleted: candidates, kept: backups.length - candidates.length };
  }
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, (locked, { remote, holder }) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      "backup.prune",
      async (): Promise<PruneResult> => {
        const { t, backups, candidates } = await select(locked);
        for (const b of candidates) {
          await step(
            locked,
            "delete backup",
            async () => {
              try {
                await t.api.deleteDatabaseBackup({ region: t.db.instance.region, databaseBackupId: b.id });
              } catch (err) {
                throw rdbFailure(err, `deleting backup ${b.name} (${b.id})`, "run `evalap-infra backup prune <env>` again");
              }
            },
            () => ({ detail: `${b.name} (${b.tier}, expired ${b.expires ?? ""})` }),
          );
        }
        return { dryRun: false, deleted: candidates, kept: backups.length - candidates.length };
      },
      (r) => ({
        outcome: "ok",
        detail: `deleted ${r.deleted.length} expired backup(s): ${r.deleted.map((b) => b.name).join(", ") || "none"}`,
      }),
    ),
  );
}

export interface VerifyReport {
  environment: string;
  checks: CheckResult[];
  backups: BackupView[];
}

/** backup verify's policy checks (read-only). A protected environment's schedule must keep the spec's 30 days. */
export async function verifyBackups(ctx: RunContext, env: ResolvedEnvironment, now: () => number = Date.now): Promise<VerifyReport> {
  return verifyTarget(ctx, await openTarget(ctx, env), now);
}

/** The policy checks on an opened target (the restore test runs them under its lease, on the same outputs). */
export async function verifyTarget(ctx: RunContext, t: BackupTarget, now: () => number = Date.now): Promise<VerifyReport> {
  const [instance, backups] = await step(ctx, "backups", () =>
    Promise.all([getInstance(t.api, t.db.instance), listBackups(t.api, t.env.name, t.db.instance, t.db.databaseName)]),
  );
  const checks = verifyPolicy({
    backups,
    schedule: scheduleOf(instance),
    now: now(),
    requiredDailyRetentionDays: t.env.protection === "protected" ? DAILY_RETENTION_DAYS : null,
  });
  return { environment: t.env.name, checks, backups };
}
