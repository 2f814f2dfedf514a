import { resolveEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { currentHolder } from "../lock/holder.js";
import { resolveReleaseId } from "../ledger/ledger.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { GuardRefusedError } from "../guard/guard.js";
import { backupMatching, restoreDatabase } from "../migrate/restore.js";
import type { ResolvedEnvironment } from "../config/load.js";
import { audited } from "./audit-trail.js";
import { auditOfRelease, runReleaseFlow, type RollbackFlowResult } from "./release-flow.js";
import { abandonedReleases, assertStatePersisted } from "./pending.js";
import { openRemote, withEnvironmentLocks } from "./remote.js";
import type { RunContext } from "./context.js";

export interface RollbackOptions {
  environment: string;
  /** The release to go back to; default: see chooseRollback. */
  to?: string;
  yes: boolean;
  allowDestroy: string[];
  lockTimeoutMs?: number;
  /** Restore the backup taken before the first migration released after the target (src/migrate/restore.ts). */
  restoreDatabase?: boolean;
}

/** `outcome`: healthy (exit 0) or failed (the rollback release is unhealthy too); `rollback.target` is where it went. */
export type RollbackResult = RollbackFlowResult;

/**
 * rollback: re-apply an earlier healthy release's inputs through the same plan, guard, apply and
 * health gate as a deploy (it is a new release of kind "rollback", not an undo). Its plan touches
 * only what differs from what runs now. One audit entry, from the result or the error.
 */
export async function rollback(ctx: RunContext, opts: RollbackOptions): Promise<RollbackResult> {
  const startedAt = Date.now();
  const env = resolveEnvironment(ctx.config, opts.environment);
  const remote = await openRemote(ctx, env);
  if (!remote) {
    throw new EvalapError("no_ledger", `${env.name} has no release ledger: there is nothing to roll back to`, {
      exitCode: ExitCode.Usage,
      hint: `declare environments.${env.name}.remote (the state bucket) in evalap-infra.json; releases are recorded from the next deploy on`,
    });
  }
  const holder = currentHolder(ctx.commandLine);
  const lockTimeoutMs = opts.lockTimeoutMs ?? ctx.config.lock.timeout;
  return withEnvironmentLocks(ctx, env, remote, holder, lockTimeoutMs, (locked) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      "rollback",
      async (): Promise<RollbackResult> => {
        await assertStatePersisted(locked, env.name, remote);
        const abandoned = await abandonedReleases(locked, remote);
        const releases = await remote.ledger.list();
        const { target, replaced } = chooseRollback(releases, env.name, opts.to);
        await databaseBeforeRollback(locked, env, releases, target, opts);
        const flow = { ctx: locked, env, remote, holder, lockTimeoutMs, allowDestroy: opts.allowDestroy, startedAt };
        return runReleaseFlow(flow, { kind: "rollback", target, replaced, yes: opts.yes, abandoned });
      },
      auditOfRelease,
    ),
  );
}

/**
 * A migration released after the target left the database on a newer schema. Without
 * --restore-database the image rolls back onto it (said as a warning); with it, the backup taken
 * before that migration is restored first: what was written since is lost, so a protected
 * environment needs --yes.
 */
async function databaseBeforeRollback(
  ctx: RunContext,
  env: ResolvedEnvironment,
  releases: ReleaseRecord[],
  target: ReleaseRecord,
  opts: RollbackOptions,
): Promise<void> {
  const match = backupMatching(releases, target);
  if (!opts.restoreDatabase) {
    if (match) {
      ctx.events.emit({
        type: "log",
        level: "warn",
        message: `release ${match.migratedBy} migrated the database after ${target.id}: the image rolls back onto the newer schema; \`evalap-infra rollback ${env.name} --restore-database\` restores backup ${match.backupId} first`,
      });
    }
    return;
  }
  if (!match) {
    throw new EvalapError("nothing_to_restore", `no release after ${target.id} migrated the database: there is no backup to restore`, {
      exitCode: ExitCode.Usage,
      hint: `roll back without --restore-database`,
    });
  }
  if (env.protection === "protected" && !opts.yes) {
    throw new GuardRefusedError(
      `${env.name} is protected: restoring backup ${match.backupId} loses what was written since release ${match.migratedBy}`,
      `add --yes to restore it and roll back to ${target.id}`,
      [`restore database backup ${match.backupId}`],
    );
  }
  await restoreDatabase(ctx, env, match);
}

export interface RollbackChoice {
  /** The healthy release whose inputs are re-applied. */
  target: ReleaseRecord;
  /** The release that is live now and is replaced (marked rolled_back once the rollback is healthy). */
  replaced: ReleaseRecord | null;
}

/**
 * Which release a rollback returns to, from the history newest first (pure: unit-tested).
 * - `--to`: that release, which must be healthy.
 * - The newest release that may have changed the infrastructure is healthy: it is what runs, and
 *   the target is the newest earlier healthy release with other inputs.
 * - Otherwise (it failed its gate, or its run stopped while applying: pending, unpersisted), what
 *   runs is not a healthy release: the target is the newest healthy release, the last known good.
 * A release that failed before any apply (no plan recorded) changed nothing and is passed over.
 */
export function chooseRollback(releases: ReleaseRecord[], environment: string, to: string | undefined): RollbackChoice {
  const mayHaveApplied = releases.filter((r) => !(r.status === "failed" && r.plan === undefined));
  const live = mayHaveApplied[0];
  if (to !== undefined) {
    const id = resolveReleaseId(to);
    const chosen = id === null ? undefined : releases.find((r) => r.id === id);
    if (!chosen)
      throw new EvalapError("release_not_found", `release ${to} does not exist in ${environment}`, {
        exitCode: ExitCode.Usage,
        hint: `list them with \`evalap-infra releases list ${environment}\``,
      });
    if (chosen.status !== "healthy") {
      throw new EvalapError("release_not_healthy", `release ${to} is ${chosen.status}: only a healthy release can be rolled back to`, {
        exitCode: ExitCode.Usage,
        hint: `pick a healthy release from \`evalap-infra releases list ${environment}\``,
      });
    }
    return { target: chosen, replaced: replacedBy(live, chosen) };
  }
  const same = (a: ReleaseRecord, b: ReleaseRecord) => JSON.stringify(a.inputs) === JSON.stringify(b.inputs);
  const target =
    live?.status === "healthy"
      ? releases.find((r) => r.status === "healthy" && r.id !== live.id && !same(r, live))
      : releases.find((r) => r.status === "healthy");
  if (!target) {
    throw new EvalapError("no_rollback_target", `${environment} has no earlier healthy release to roll back to`, {
      exitCode: ExitCode.Usage,
      hint: `list them with \`evalap-infra releases list ${environment}\` and pass --to <release>`,
    });
  }
  return { target, replaced: replacedBy(live, target) };
}

/** The live release is marked rolled_back when it ran (healthy, or failed its gate); pending ones are closed apart. */
function replacedBy(live: ReleaseRecord | undefined, target: ReleaseRecord): ReleaseRecord | null {
  return live && live.id !== target.id && (live.status === "healthy" || live.status === "failed") ? live : null;
}
