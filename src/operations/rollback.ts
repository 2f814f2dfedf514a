import { resolveEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { currentHolder } from "../lock/holder.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { formatDuration } from "../report/format.js";
import { audit, HealthGateError, outcomeOf, runRelease, unhealthyReason, type ReleaseResult } from "./release.js";
import { abandonedReleases, closeAbandoned } from "./pending.js";
import { openRemote, withEnvironmentLocks } from "./remote.js";
import type { RunContext } from "./context.js";

export interface RollbackOptions {
  environment: string;
  /** The release to go back to; default: the newest earlier healthy release with other inputs than what runs now. */
  to?: string;
  yes: boolean;
  allowDestroy: string[];
  lockTimeoutMs?: number;
}

export interface RollbackResult extends ReleaseResult {
  target: ReleaseRecord;
  durationMs: number;
  summary: string;
}

/**
 * rollback: re-apply an earlier healthy release's inputs through the same plan, guard, apply and
 * health gate as a deploy (it is a new release of kind "rollback", not an undo). Its plan touches
 * only what differs from what runs now.
 */
export async function rollback(ctx: RunContext, opts: RollbackOptions): Promise<RollbackResult> {
  const started = Date.now();
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
  return withEnvironmentLocks(ctx, env, remote, holder, lockTimeoutMs, async ({ leaseAcquiredAt }) => {
    const abandoned = await abandonedReleases(ctx, remote);
    const releases = await remote.ledger.list();
    const target = chooseTarget(releases, env.name, opts.to);
    // What runs now: the newest healthy release. It is marked rolled_back once the rollback is healthy.
    const current = releases.find((r) => r.status === "healthy");
    try {
      const result = await runRelease(ctx, env, remote, holder, { kind: "rollback", rollbackOf: target.id, inputs: target.inputs, yes: opts.yes, allowDestroy: opts.allowDestroy, lockTimeoutMs, leaseAcquiredAt });
      if (abandoned.length > 0) await closeAbandoned(remote, abandoned, "failed", `abandoned; rolled back to ${target.id} by ${result.release?.id ?? "a rollback"}`);
      if (result.health && !result.health.healthy) {
        await audit(ctx, remote, holder, { environment: env.name, operation: "rollback", outcome: "failed", ...(result.release ? { releaseId: result.release.id } : {}), detail: unhealthyReason(result.health) });
        throw new HealthGateError(`${env.name}: rolled back to ${target.id}, but it is unhealthy: ${unhealthyReason(result.health)}`, false, "the service is down: investigate now, or roll back further with --to");
      }
      if (current && current.id !== target.id && result.release) {
        const to = result.release.id;
        await remote.ledger.update(current.id, (r) => ({ ...r, status: "rolled_back", rolledBackTo: to }));
      }
      await audit(ctx, remote, holder, { environment: env.name, operation: "rollback", outcome: "ok", ...(result.release ? { releaseId: result.release.id } : {}), detail: `to ${target.id}` });
      const durationMs = Date.now() - started;
      return { ...result, target, durationMs, summary: `rolled ${env.name} back to release ${target.id} in ${formatDuration(durationMs)}` };
    } catch (err) {
      if (!(err instanceof HealthGateError)) await audit(ctx, remote, holder, { environment: env.name, operation: "rollback", outcome: outcomeOf(err), detail: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  });
}

function chooseTarget(releases: ReleaseRecord[], environment: string, to: string | undefined): ReleaseRecord {
  if (to !== undefined) {
    const chosen = releases.find((r) => r.id === to);
    if (!chosen) throw new EvalapError("release_not_found", `release ${to} does not exist in ${environment}`, { exitCode: ExitCode.Usage, hint: `list them with \`evalap-infra releases list ${environment}\`` });
    if (chosen.status !== "healthy") {
      throw new EvalapError("release_not_healthy", `release ${to} is ${chosen.status}: only a healthy release can be rolled back to`, { exitCode: ExitCode.Usage, hint: `pick a healthy release from \`evalap-infra releases list ${environment}\`` });
    }
    return chosen;
  }
  // The previous good state: the newest healthy release other than the newest release, whose
  // inputs differ from what runs now (rolling back to the same inputs would change nothing).
  const newest = releases[0];
  const running = releases.find((r) => r.status === "healthy");
  const same = (a: ReleaseRecord, b: ReleaseRecord | undefined) => b !== undefined && JSON.stringify(a.inputs) === JSON.stringify(b.inputs);
  const target = releases.find((r) => r.status === "healthy" && r.id !== newest?.id && r.id !== running?.id && !same(r, running));
  if (!target) {
    throw new EvalapError("no_rollback_target", `${environment} has no earlier healthy release to roll back to`, { exitCode: ExitCode.Usage, hint: `list them with \`evalap-infra releases list ${environment}\` and pass --to <release>` });
  }
  return target;
}
