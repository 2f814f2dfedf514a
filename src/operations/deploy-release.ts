import { resolveEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import type { LockHolder } from "../lock/holder.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { formatPlanCounts } from "../report/format.js";
import { imagesOf } from "./release-inputs.js";
import { HealthGateError, outcomeOf, runRelease, unhealthyReason, type ReleaseResult } from "./release.js";
import { abandonedReleases, assertStatePersisted, closeAbandoned, PendingReleaseError } from "./pending.js";
import { audit, withEnvironment, type EnvironmentRemote } from "./remote.js";
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

/** What one deploy run is about, for the steps after the first release. */
interface DeployRun {
  ctx: RunContext;
  environment: string;
  remote: EnvironmentRemote | null;
  holder: LockHolder;
  opts: DeployReleaseOptions;
  lockTimeoutMs: number;
}

/**
 * deploy: preflight ─► locks ─► (unsaved state? abandoned release? decide) ─► record ─► init,
 * plan, guard, apply ─► health gate ─► healthy, or roll back to the last healthy release and gate again.
 */
export async function deployRelease(ctx: RunContext, opts: DeployReleaseOptions): Promise<DeployReleaseResult> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, async (locked, { env, remote, holder, lockTimeoutMs }) => {
    const run: DeployRun = { ctx: locked, environment: env.name, remote, holder, opts, lockTimeoutMs };
    try {
      await assertStatePersisted(locked, env.name, remote);
      const { vars, resumed } = await releaseVars(run);
      const result = await runRelease(locked, env, remote, holder, { kind: "deploy", inputs: { vars }, yes: opts.yes, allowDestroy: opts.allowDestroy, lockTimeoutMs });
      if (remote && resumed.length > 0) await closeAbandoned(remote, resumed, "superseded", `resumed by ${result.release?.id ?? "a later deploy"}`);
      if (result.health && !result.health.healthy) return await afterUnhealthy(run, result);
      await audit(locked, remote, holder, { environment: env.name, operation: "deploy", outcome: "ok", ...(result.release ? { releaseId: result.release.id } : {}) });
      const what = result.deploy.changed ? formatPlanCounts(result.deploy.summary) : "no changes";
      return { ...result, summary: `deployed ${env.name}${result.release ? ` (release ${result.release.id})` : ""}: ${what}${result.health ? ", healthy" : ""}` };
    } catch (err) {
      if (!(err instanceof HealthGateError)) await audit(locked, remote, holder, { environment: env.name, operation: "deploy", outcome: outcomeOf(err), detail: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  });
}

/** The release's variables: --var over a resumed release's, images carried over from the last healthy release. */
async function releaseVars(run: DeployRun): Promise<{ vars: Record<string, unknown>; resumed: ReleaseRecord[] }> {
  const { remote, opts } = run;
  if (!remote) {
    const vars = Object.keys(opts.images).length > 0 ? { ...opts.vars, images: { ...imagesOf(opts.vars), ...opts.images } } : opts.vars;
    return { vars, resumed: [] };
  }
  const abandoned = await abandonedReleases(run.ctx, remote);
  const newest = abandoned[0];
  if (newest && !opts.resume) throw new PendingReleaseError(run.environment, newest);
  const vars = newest ? { ...newest.inputs.vars, ...opts.vars } : opts.vars;
  return { vars: await withImages(remote, vars, opts.images), resumed: abandoned };
}

/** Images carry forward: a deploy that names one service keeps the others as the last release had them. */
async function withImages(remote: EnvironmentRemote, vars: Record<string, unknown>, images: Record<string, string>): Promise<Record<string, unknown>> {
  if (Object.keys(images).length === 0 && "images" in vars) return vars;
  const last = await remote.ledger.lastHealthy();
  const carried = last ? imagesOf(last.inputs.vars) : {};
  const merged = { ...carried, ...imagesOf(vars), ...images };
  return Object.keys(merged).length > 0 ? { ...vars, images: merged } : vars;
}

/** Stops of the automatic rollback that say more than "the rollback failed", and need their own action. */
const KEEPS_ITS_CODE = new Set(["lock_lost", "state_not_persisted", "state_lock_held", "interrupted", "backend_unavailable"]);

/**
 * The newest healthy release other than the failed one. The rollback needs tofu, hence the lease: it is
 * proven first, so that a bucket down since the gate (or a lease lost meanwhile) stops the run as that
 * (exit 13, no tofu step started) rather than as a failed ledger read; the message keeps the health failure.
 */
async function rollbackTarget(run: DeployRun, remote: EnvironmentRemote, reason: string, failedId: string | undefined): Promise<ReleaseRecord | null> {
  try {
    await run.ctx.tofu.beforeRun?.("rollback");
    return await remote.ledger.lastHealthy(failedId ? { excluding: failedId } : {});
  } catch (err) {
    if (!(err instanceof EvalapError)) throw err;
    const release = failedId ? `release ${failedId}` : "the release";
    const back = `the unhealthy ${release} is still applied: \`evalap-infra rollback ${run.environment}\` returns to the last healthy release`;
    throw new EvalapError(err.code, `${run.environment}: ${reason}; not rolled back: ${err.message}`, {
      exitCode: err.exitCode,
      hint: err.hint ? `${err.hint}; ${back}` : back,
      cause: err,
    });
  }
}

/** The gate failed: roll back to the last healthy release (when allowed and possible), gate again. */
async function afterUnhealthy(run: DeployRun, failed: ReleaseResult): Promise<never> {
  const { ctx, environment, remote, holder, opts } = run;
  const reason = unhealthyReason(failed.health);
  const failedId = failed.release?.id;
  const record = (outcome: "failed" | "rolled_back", operation: string, detail: string) =>
    audit(ctx, remote, holder, { environment, operation, outcome, ...(failedId ? { releaseId: failedId } : {}), detail });
  const target = remote && opts.autoRollback ? await rollbackTarget(run, remote, reason, failedId) : null;
  if (!remote || !opts.autoRollback || !target) {
    const why = !remote ? "this environment has no release ledger (no remote)" : !opts.autoRollback ? "automatic rollback is off" : "there is no earlier healthy release";
    await record("failed", "deploy", `${reason}; not rolled back: ${why}`);
    throw new HealthGateError(`${environment}: ${reason}; not rolled back: ${why}`, false, `fix the release and deploy again, or run \`evalap-infra rollback ${environment} --to <release>\``);
  }
  ctx.events.emit({ type: "log", level: "warn", message: `${reason}: rolling back ${environment} to release ${target.id}` });
  let rollback: ReleaseResult;
  try {
    const env = resolveEnvironment(ctx.config, environment);
    rollback = await runRelease(ctx, env, remote, holder, { kind: "rollback", rollbackOf: target.id, inputs: target.inputs, yes: true, allowDestroy: opts.allowDestroy, lockTimeoutMs: run.lockTimeoutMs });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    await record("failed", "rollback", message);
    // A stop that has its own exit code (lease lost, unsaved state, interrupted) keeps it.
    if (err instanceof EvalapError && KEEPS_ITS_CODE.has(err.code)) throw err;
    throw new HealthGateError(`${environment}: ${reason}; the automatic rollback to ${target.id} failed: ${message}`, false, `run \`evalap-infra rollback ${environment} --to ${target.id}\` once the cause is fixed`);
  }
  const restored = rollback.health === null || rollback.health.healthy;
  if (failedId && rollback.release) {
    const to = rollback.release.id;
    await remote.ledger.settle(failedId, { status: "rolled_back", rolledBackTo: to }, remote.journal);
  }
  await record(restored ? "rolled_back" : "failed", "deploy", `${reason}; rolled back to ${target.id}`);
  if (!restored) throw new HealthGateError(`${environment}: ${reason}; rolled back to ${target.id}, which is unhealthy too: ${unhealthyReason(rollback.health)}`, false, "the service is down: investigate now");
  throw new HealthGateError(`${environment}: ${reason}; rolled back to release ${target.id}, which is healthy again`, true, "the failed release is marked rolled_back in `evalap-infra releases list`; fix it and deploy again");
}
