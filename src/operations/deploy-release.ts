import { resolveEnvironment } from "../config/load.js";
import { currentHolder } from "../lock/holder.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { formatPlanCounts } from "../report/format.js";
import { imagesOf } from "./release-inputs.js";
import { audit, HealthGateError, outcomeOf, runRelease, unhealthyReason, type ReleaseResult } from "./release.js";
import { abandonedReleases, closeAbandoned, PendingReleaseError } from "./pending.js";
import { openRemote, withEnvironmentLocks, type EnvironmentRemote } from "./remote.js";
import type { RunContext } from "./context.js";

export interface DeployReleaseOptions {
  environment: string;
  yes: boolean;
  allowDestroy: string[];
  lockTimeoutMs?: number;
  /** Run-level variables (--var). */
  vars: Record<string, unknown>;
  /** Image references per service (--image name=ref), merged over the last release's. */
  images: Record<string, string>;
  /** Roll back automatically when the health gate fails (config rollback.automatic, --no-rollback). */
  autoRollback: boolean;
  /** Finish a release left pending by a run that died, with its inputs. */
  resume: boolean;
}

export interface DeployReleaseResult extends ReleaseResult {
  summary: string;
  rolledBackTo?: ReleaseRecord;
}

/**
 * deploy: preflight ─► locks ─► (abandoned release? decide) ─► record ─► init, plan, guard,
 * apply ─► health gate ─► healthy, or roll back to the last healthy release and gate again.
 */
export async function deployRelease(ctx: RunContext, opts: DeployReleaseOptions): Promise<DeployReleaseResult> {
  const env = resolveEnvironment(ctx.config, opts.environment);
  const remote = await openRemote(ctx, env);
  const holder = currentHolder(ctx.commandLine);
  const lockTimeoutMs = opts.lockTimeoutMs ?? ctx.config.lock.timeout;
  return withEnvironmentLocks(ctx, env, remote, holder, lockTimeoutMs, async ({ leaseAcquiredAt }) => {
    let vars = opts.vars;
    let resumed: ReleaseRecord[] = [];
    if (remote) {
      const abandoned = await abandonedReleases(ctx, remote);
      const newest = abandoned[0];
      if (newest && !opts.resume) throw new PendingReleaseError(env.name, newest);
      if (newest) {
        vars = { ...newest.inputs.vars, ...opts.vars };
        resumed = abandoned;
      }
      vars = await withImages(remote, vars, opts.images);
    } else if (Object.keys(opts.images).length > 0) {
      vars = { ...vars, images: { ...imagesOf(vars), ...opts.images } };
    }
    try {
      const result = await runRelease(ctx, env, remote, holder, { kind: "deploy", inputs: { vars }, yes: opts.yes, allowDestroy: opts.allowDestroy, lockTimeoutMs, leaseAcquiredAt });
      if (remote && resumed.length > 0) await closeAbandoned(remote, resumed, "superseded", `resumed by ${result.release?.id ?? "a later deploy"}`);
      if (result.health && !result.health.healthy) {
        return await afterUnhealthy(ctx, env.name, remote, holder, result, opts, lockTimeoutMs, leaseAcquiredAt);
      }
      await audit(ctx, remote, holder, { environment: env.name, operation: "deploy", outcome: "ok", ...(result.release ? { releaseId: result.release.id } : {}) });
      const what = result.deploy.changed ? formatPlanCounts(result.deploy.summary) : "no changes";
      return { ...result, summary: `deployed ${env.name}${result.release ? ` (release ${result.release.id})` : ""}: ${what}${result.health ? ", healthy" : ""}` };
    } catch (err) {
      if (!(err instanceof HealthGateError)) await audit(ctx, remote, holder, { environment: env.name, operation: "deploy", outcome: outcomeOf(err), detail: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  });
}

/** Images carry forward: a deploy that names one service keeps the others as the last release had them. */
async function withImages(remote: EnvironmentRemote, vars: Record<string, unknown>, images: Record<string, string>): Promise<Record<string, unknown>> {
  if (Object.keys(images).length === 0 && "images" in vars) return vars;
  const last = await remote.ledger.lastHealthy();
  const carried = last ? imagesOf(last.inputs.vars) : {};
  const merged = { ...carried, ...imagesOf(vars), ...images };
  return Object.keys(merged).length > 0 ? { ...vars, images: merged } : vars;
}

/** The gate failed: roll back to the last healthy release (when allowed and possible), gate again. */
async function afterUnhealthy(
  ctx: RunContext,
  envName: string,
  remote: EnvironmentRemote | null,
  holder: ReturnType<typeof currentHolder>,
  failed: ReleaseResult,
  opts: DeployReleaseOptions,
  lockTimeoutMs: number,
  leaseAcquiredAt: Date | null,
): Promise<never> {
  const reason = unhealthyReason(failed.health);
  const failedId = failed.release?.id;
  const target = remote && opts.autoRollback ? await remote.ledger.lastHealthy(failedId ? { excluding: failedId } : {}) : null;
  if (!remote || !opts.autoRollback || !target) {
    const why = !remote ? "this environment has no release ledger (no remote)" : !opts.autoRollback ? "automatic rollback is off" : "there is no earlier healthy release";
    await audit(ctx, remote, holder, { environment: envName, operation: "deploy", outcome: "failed", ...(failedId ? { releaseId: failedId } : {}), detail: `${reason}; not rolled back: ${why}` });
    throw new HealthGateError(`${envName}: ${reason}; not rolled back: ${why}`, false, `fix the release and deploy again, or run \`evalap-infra rollback ${envName} --to <release>\``);
  }
  ctx.events.emit({ type: "log", level: "warn", message: `${reason}: rolling back ${envName} to release ${target.id}` });
  const env = resolveEnvironment(ctx.config, envName);
  let rollback: ReleaseResult;
  try {
    rollback = await runRelease(ctx, env, remote, holder, { kind: "rollback", rollbackOf: target.id, inputs: target.inputs, yes: true, allowDestroy: opts.allowDestroy, lockTimeoutMs, leaseAcquiredAt });
  } catch (err) {
    await audit(ctx, remote, holder, { environment: envName, operation: "rollback", outcome: "failed", ...(failedId ? { releaseId: failedId } : {}), detail: err instanceof Error ? err.message : String(err) });
    throw new HealthGateError(`${envName}: ${reason}; the automatic rollback to ${target.id} failed: ${err instanceof Error ? err.message : String(err)}`, false, `run \`evalap-infra rollback ${envName} --to ${target.id}\` once the cause is fixed`);
  }
  const restored = rollback.health === null || rollback.health.healthy;
  if (failedId && rollback.release) {
    const to = rollback.release.id;
    await remote.ledger.update(failedId, (r) => ({ ...r, status: "rolled_back", rolledBackTo: to }));
  }
  await audit(ctx, remote, holder, { environment: envName, operation: "deploy", outcome: restored ? "rolled_back" : "failed", ...(failedId ? { releaseId: failedId } : {}), detail: `${reason}; rolled back to ${target.id}` });
  if (!restored) throw new HealthGateError(`${envName}: ${reason}; rolled back to ${target.id}, which is unhealthy too: ${unhealthyReason(rollback.health)}`, false, "the service is down: investigate now");
  throw new HealthGateError(`${envName}: ${reason}; rolled back to release ${target.id}, which is healthy again`, true, "the failed release is marked rolled_back in `evalap-infra releases list`; fix it and deploy again");
}
