import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { RunContext } from "../operations/context.js";
import { declaresVariable } from "../operations/preflight.js";
import { databaseOutputs, type DatabaseOutputs } from "../backup/outputs.js";
import * as tofu from "../tofu/commands.js";
import { DEFAULT_TIMING, openTarget, takeBackup } from "../operations/backup.js";
import { parseHistory, statusOf, type MigrationStatus } from "./history.js";
import { runInRunner, type RunnerState } from "./runner.js";

export interface MigrateOptions {
  environment: string;
  /** Alembic's target (`head` by default). */
  to?: string;
  /** Offline mode: print the SQL, change nothing (no backup). */
  sql: boolean;
  lockTimeoutMs?: number;
  timeoutMs?: number;
  /** How long the backup may take to be ready. */
  backupDeadlineMs?: number;
}

/** The backup taken before a migration (tier `premigrate`, backup/policy.ts) and how to restore it. */
export interface BackupTaken {
  id: string;
  name: string;
  region: string;
  /** How to restore it into the database it was taken from. */
  restoreCommand: string;
}

export interface MigrateResult {
  environment: string;
  target: string;
  sql: boolean;
  backup: BackupTaken | null;
  before: MigrationStatus | null;
  after: MigrationStatus | null;
  /** Offline mode: the SQL Alembic printed. */
  sqlText?: string;
  summary: string;
}

export interface StatusResult extends MigrationStatus {
  environment: string;
  image: string;
  /** The database is at a revision the image does not ship (a newer image migrated it). */
  aheadOfImage: boolean;
  summary: string;
}

/** The runner's refusal to alter tables another role owns (runner.py.tftpl, step 3): owners, then its own role. */
const OWNER_MISMATCH = /OwnerMismatch: tables of the schema belong to (.+) and this run connects as (\S+):/;

/** A migration that failed: the backup taken before it and how to restore it are in the message. */
export class MigrationFailedError extends EvalapError {
  constructor(environment: string, state: RunnerState, backup: BackupTaken | null) {
    const lines = state.log.filter((l) => l.trim() !== "" && !/^alembic exited with status/.test(l));
    // Python's last exception line says why (`…Error: …`, psycopg2's `(…UndefinedTable) relation … does not exist`).
    const why = [...lines].reverse().find((l) => /^[\w.]+(?:Error|Exception)\b|runner error/.test(l.trim()));
    const last = why ?? lines.slice(-3).join(" | ");
    const owners = why === undefined ? null : OWNER_MISMATCH.exec(why);
    super(
      "migration_failed",
      `${environment}: alembic ${state.args.join(" ")} failed (exit ${state.exit_code ?? "none"}): ${last}` +
        (backup ? `; the database was backed up first: backup ${backup.id} (${backup.name})` : ""),
      {
        exitCode: ExitCode.MigrationFailed,
        hint: owners
          ? `the tables were created while the application connected as ${owners[1]}; if that is its other database user (DB_APP_CREDENTIALS was rotated since), ` +
            `rotate it again to switch back: \`evalap-infra secrets rotate ${environment} DB_APP_CREDENTIALS\`, then migrate again; ` +
            `otherwise have their owner give them to ${owners[2]} (ALTER TABLE … OWNER TO ${owners[2]})`
          : backup
            ? `PostgreSQL rolled the failed run back (transactional DDL): fix the revision and run migrate again; to return to the backup instead: ${backup.restoreCommand}`
            : "fix the revision and run migrate again",
      },
    );
    this.name = "MigrationFailedError";
  }
}

const RUN_TIMEOUT_MS = 30 * 60_000;
const BACKUP_DEADLINE_MS = 20 * 60_000;

/** The migration under a lease already held (deploy calls it too). */
export async function migrateLocked(
  ctx: RunContext,
  env: ResolvedEnvironment,
  lockTimeoutMs: number,
  opts: MigrateOptions & { vars: Record<string, unknown> },
): Promise<MigrateResult> {
  await assertRunnerRoot(env);
  const vars = opts.vars;
  const target = opts.to ?? "head";
  const runner = { vars, lockTimeoutMs, timeoutMs: opts.timeoutMs ?? RUN_TIMEOUT_MS };
  const stream = (line: string) => ctx.events.emit({ type: "log", level: "info", message: `alembic: ${line}` });
  if (opts.sql) {
    await databaseOf(ctx, env); // never deployed: say so, rather than a runner plan that would create the platform
    const state = await runInRunner(ctx, env, { ...runner, args: ["upgrade", target, "--sql"] });
    if (state.status !== "succeeded") throw new MigrationFailedError(env.name, state, null);
    const sqlText = state.log
      .filter(
        (l) =>
          !/^(INFO|WARNI|ERROR) +\[|^alembic -c |^waiting for the migration lock|^migration lock taken|^alembic exited|^offline SQL from/.test(
            l,
          ),
      )
      .join("\n");
    ctx.events.emit({ type: "data", kind: "migrate.sql", data: { environment: env.name, target, sql: sqlText } });
    return {
      environment: env.name,
      target,
      sql: true,
      backup: null,
      before: null,
      after: null,
      sqlText,
      summary: `${env.name}: SQL of upgrade ${target} printed; nothing changed`,
    };
  }
  // The same backup as `backup run`, in its own tier: `backup list` shows it, `prune` expires it,
  // `verify` checks its expiry, and `rollback --restore-database` finds it through the release's note.
  const t = await openTarget(ctx, env);
  const timing = { ...DEFAULT_TIMING, timeoutMs: opts.backupDeadlineMs ?? BACKUP_DEADLINE_MS };
  const taken = (await takeBackup(ctx, t, "premigrate", timing)).backup;
  const { region, id: instanceId } = t.db.instance;
  const backup: BackupTaken = {
    id: taken.id,
    name: taken.name,
    region,
    restoreCommand: `scw rdb backup restore ${taken.id} region=${region} instance-id=${instanceId} database-name=${t.db.databaseName}`,
  };
  ctx.events.emit({ type: "data", kind: "migrate.backup", data: { environment: env.name, backup } });
  const state = await runInRunner(ctx, env, { ...runner, args: ["upgrade", target], onLine: stream });
  if (state.status !== "succeeded") throw new MigrationFailedError(env.name, state, backup);
  // Alembic's "Running upgrade 0001 -> 0002, message" ("Running upgrade  -> 0001" from an empty database).
  const from = /Running upgrade (\w*) -> (\w+)/g;
  const steps = [...state.log.join("\n").matchAll(from)].map((m) => `${m[1] || "(empty)"} -> ${m[2]}`);
  return {
    environment: env.name,
    target,
    sql: false,
    backup,
    before: null,
    after: null,
    summary: `${env.name}: ${steps.length === 0 ? `already at ${target}` : `migrated ${steps.join(", ")}`} (backup ${backup.id} first)`,
  };
}

/** The status under a lease already held, for the release's variables (deploy asks before it rolls). */
export async function statusLocked(
  ctx: RunContext,
  env: ResolvedEnvironment,
  lockTimeoutMs: number,
  vars: Record<string, unknown>,
): Promise<StatusResult> {
  const state = await runInRunner(ctx, env, { vars, lockTimeoutMs, timeoutMs: RUN_TIMEOUT_MS, args: ["history", "--indicate-current"] });
  const image = imageOf(vars);
  // The database is at a revision this image does not have (an older image after a migration): nothing to run.
  const unknown = state.status === "failed" ? /Can't locate revision identified by '([^']+)'/.exec(state.log.join("\n")) : null;
  if (unknown?.[1]) {
    const revisions = parseHistory(state.log);
    const head = revisions.find((r) => r.head)?.revision ?? null;
    return {
      environment: env.name,
      image,
      current: unknown[1],
      head,
      pending: [],
      aheadOfImage: true,
      summary: `${env.name}: the database is at ${unknown[1]}, which ${image || "the image"} does not know (a newer image migrated it): nothing to run`,
    };
  }
  if (state.status !== "succeeded") throw new MigrationFailedError(env.name, state, null);
  const status = statusOf(parseHistory(state.log));
  const summary =
    status.pending.length === 0
      ? `${env.name}: the database is at ${status.current ?? "(empty)"}, the image's head: nothing pending`
      : `${env.name}: the database is at ${status.current ?? "(empty)"}, the image's head is ${status.head ?? "?"}: ${status.pending.length} pending (${status.pending.map((p) => p.revision).join(", ")})`;
  return { environment: env.name, image, ...status, aheadOfImage: false, summary };
}

function imageOf(vars: Record<string, unknown>): string {
  const images = vars.images as Record<string, unknown> | undefined;
  return typeof images?.evalap === "string" ? images.evalap : "";
}

export async function assertRunnerRoot(env: ResolvedEnvironment): Promise<void> {
  if (!(await declaresVariable(env.rootDir, "migration"))) {
    throw new EvalapError(
      "migration_not_managed",
      `${env.name}'s root (${env.root}) declares no migration variable: it has no migration runner`,
      {
        exitCode: ExitCode.Usage,
        hint: "migrate works on roots built on infra/modules/evalap-platform (infra/staging, infra/production)",
      },
    );
  }
}

/** Fails with "deploy it first" (exit 9) when the root has never been applied: nothing to migrate yet. */
export async function databaseOf(ctx: RunContext, env: ResolvedEnvironment): Promise<DatabaseOutputs> {
  return databaseOutputs(env.name, await tofu.output(ctx.tofu, env.rootDir), "fr-par");
}
