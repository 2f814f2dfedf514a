import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import type { ReleaseInputs, ReleaseRecord } from "../ledger/types.js";
import type { LockHolder } from "../lock/holder.js";
import { formatDuration, formatPlanCounts } from "../report/format.js";
import type { AuditOf } from "./audit-trail.js";
import type { RunContext } from "./context.js";
import { closeAbandoned } from "./pending.js";
import { unhealthyReason } from "./release-records.js";
import { runRelease, type ReleaseResult } from "./release.js";
import type { EnvironmentRemote } from "./remote.js";

/**
 * The release use case: one release (a deploy, or a manual rollback) through plan, guard, apply and
 * the health gate; after a deploy that fails its gate, the automatic rollback. It returns what
 * happened as a result; errors are only what stopped it. The caller writes the audit entry
 * (`audited`, with `auditOfRelease`) and the CLI maps the outcome to an exit code.
 */

/**
 * healthy: the release passed its gate (or there is none). rolled_back: a deploy failed its gate
 * and the automatic rollback restored service. failed: unhealthy and service not restored.
 */
export type ReleaseOutcome = "healthy" | "rolled_back" | "failed";

/** A rollback release, automatic or manual: the inputs of `target` applied again and gated. */
export interface RollbackRun extends ReleaseResult {
  target: ReleaseRecord;
}

export interface ReleaseFlowResult extends ReleaseResult {
  outcome: ReleaseOutcome;
  /** The rollback that ran: the automatic one after a failed gate, or the manual rollback itself. */
  rollback?: RollbackRun;
  /** One line: what happened (the message of an outcome other than healthy). */
  summary: string;
  /** What to do now, for an outcome other than healthy. */
  hint?: string;
  /** What the audit trail says besides the outcome. */
  detail?: string;
  /** Since the operation started (flow.startedAt). */
  durationMs: number;
}

/** The result of a manual rollback: `rollback` is the run itself (release, health, target). */
export type RollbackFlowResult = ReleaseFlowResult & { rollback: RollbackRun };

/** What one operation works with, under the environment's locks. */
export interface ReleaseFlow {
  /** The locked context: every tofu step proves the lease first. */
  ctx: RunContext;
  env: ResolvedEnvironment;
  remote: EnvironmentRemote | null;
  holder: LockHolder;
  lockTimeoutMs: number;
  allowDestroy: string[];
  /** Date.now() when the operation started, for its duration. */
  startedAt: number;
}

export type ReleaseSpec = DeploySpec | RollbackSpec;

export interface DeploySpec {
  kind: "deploy";
  inputs: ReleaseInputs;
  yes: boolean;
  /** Roll back to the last healthy release when the gate fails. */
  autoRollback: boolean;
  /** Releases left pending that this deploy resumes: closed as superseded by it. */
  resumed: ReleaseRecord[];
  /** Recorded with the release (the migration that ran before it, and its backup). */
  notes?: string[];
}

export interface RollbackSpec {
  kind: "rollback";
  /** The healthy release to return to. */
  target: ReleaseRecord;
  /** The live release it replaces: marked rolled_back once the rollback is healthy. */
  replaced: ReleaseRecord | null;
  yes: boolean;
  /** Releases left pending by runs that died: closed as failed, the operator chose to roll back. */
  abandoned: ReleaseRecord[];
}

/** Runs one release and, for a deploy that fails its gate, what follows (see afterUnhealthy). */
export function runReleaseFlow(flow: ReleaseFlow, spec: RollbackSpec): Promise<RollbackFlowResult>;
export function runReleaseFlow(flow: ReleaseFlow, spec: ReleaseSpec): Promise<ReleaseFlowResult>;
export async function runReleaseFlow(flow: ReleaseFlow, spec: ReleaseSpec): Promise<ReleaseFlowResult> {
  if (spec.kind === "rollback") return manualRollback(flow, spec);
  const { ctx, env, remote, holder, allowDestroy, lockTimeoutMs } = flow;
  const run = { kind: "deploy" as const, inputs: spec.inputs, yes: spec.yes, allowDestroy, lockTimeoutMs, notes: spec.notes ?? [] };
  const result = await runRelease(ctx, env, remote, holder, run);
  if (remote && spec.resumed.length > 0) {
    await closeAbandoned(remote, spec.resumed, "superseded", `resumed by ${result.release?.id ?? "a later deploy"}`);
  }
  if (!healthy(result)) return afterUnhealthy(flow, result, spec.autoRollback);
  const what = result.deploy.changed ? formatPlanCounts(result.deploy.summary) : "no changes";
  const which = result.release ? ` (release ${result.release.id})` : "";
  const summary = `deployed ${env.name}${which}: ${what}${result.health ? ", healthy" : ""}`;
  return { ...result, outcome: "healthy", summary, durationMs: Date.now() - flow.startedAt };
}

/** The audit entry of a release operation: its outcome, the release it made, why. */
export function auditOfRelease(result: ReleaseFlowResult): AuditOf {
  return {
    outcome: result.outcome === "healthy" ? "ok" : result.outcome,
    ...(result.release ? { releaseId: result.release.id } : {}),
    ...(result.detail !== undefined ? { detail: result.detail } : {}),
  };
}

/** A release without services (no gate) counts as healthy. */
function healthy(r: ReleaseResult): boolean {
  return r.health === null || r.health.healthy;
}

/**
 * rollback: re-apply an earlier healthy release's inputs (a new release of kind "rollback", not an
 * undo); the release it replaces is marked rolled_back only when the rollback is healthy.
 */
async function manualRollback(flow: ReleaseFlow, spec: RollbackSpec): Promise<RollbackFlowResult> {
  const { env, remote } = flow;
  const { target } = spec;
  const rollback = await rollBackTo(flow, target, spec.yes);
  if (remote && spec.abandoned.length > 0) {
    const by = rollback.release?.id ?? "a rollback";
    await closeAbandoned(remote, spec.abandoned, "failed", `abandoned; rolled back to ${target.id} by ${by}`);
  }
  const base = { release: rollback.release, deploy: rollback.deploy, health: rollback.health, rollback };
  if (!healthy(rollback)) {
    const reason = unhealthyReason(rollback.health);
    return {
      ...base,
      outcome: "failed",
      summary: `${env.name}: rolled back to ${target.id}, but it is unhealthy: ${reason}`,
      hint: "the service is down: investigate now, or roll back further with --to",
      detail: reason,
      durationMs: Date.now() - flow.startedAt,
    };
  }
  if (remote && spec.replaced && rollback.release) await markRolledBack(remote, spec.replaced.id, rollback.release.id);
  const durationMs = Date.now() - flow.startedAt;
  const summary = `rolled ${env.name} back to release ${target.id} in ${formatDuration(durationMs)}`;
  return { ...base, outcome: "healthy", summary, detail: `to ${target.id}`, durationMs };
}

/** Stops of the automatic rollback that say more than "the rollback failed", and need their own action. */
const KEEPS_ITS_CODE = new Set(["lock_lost", "state_not_persisted", "state_lock_held", "interrupted", "backend_unavailable"]);

/**
 * The gate failed: roll back to the last healthy release (when allowed and possible) and gate
 * again. The failed release is marked rolled_back once the rollback release exists, healthy or
 * not: it no longer runs. Errors that stop the rollback and have their own exit code (lease lost,
 * unsaved state, interrupted...) are thrown; any other is a `failed` outcome naming it.
 */
async function afterUnhealthy(flow: ReleaseFlow, failed: ReleaseResult, autoRollback: boolean): Promise<ReleaseFlowResult> {
  const { ctx, env, remote } = flow;
  const reason = unhealthyReason(failed.health);
  const failedId = failed.release?.id;
  const outcome = (o: Omit<ReleaseFlowResult, keyof ReleaseResult | "durationMs">): ReleaseFlowResult => ({
    ...failed,
    ...o,
    durationMs: Date.now() - flow.startedAt,
  });
  const notRolledBack = (why: string) =>
    outcome({
      outcome: "failed",
      summary: `${env.name}: ${reason}; not rolled back: ${why}`,
      hint: `fix the release and deploy again, or run \`evalap-infra rollback ${env.name} --to <release>\``,
      detail: `${reason}; not rolled back: ${why}`,
    });
  if (!remote) return notRolledBack("this environment has no release ledger (no remote)");
  if (!autoRollback) return notRolledBack("automatic rollback is off");
  const target = await rollbackTarget(flow, remote, reason, failedId);
  if (!target) return notRolledBack("there is no earlier healthy release");

  ctx.events.emit({ type: "log", level: "warn", message: `${reason}: rolling back ${env.name} to release ${target.id}` });
  let rollback: RollbackRun;
  try {
    rollback = await rollBackTo(flow, target, true);
  } catch (err) {
    // A stop that has its own exit code (lease lost, unsaved state, interrupted) keeps it.
    if (err instanceof EvalapError && KEEPS_ITS_CODE.has(err.code)) throw err;
    const message = err instanceof Error ? err.message : String(err);
    return outcome({
      outcome: "failed",
      summary: `${env.name}: ${reason}; the automatic rollback to ${target.id} failed: ${message}`,
      hint: `run \`evalap-infra rollback ${env.name} --to ${target.id}\` once the cause is fixed`,
      detail: `${reason}; the automatic rollback to ${target.id} failed: ${message}`,
    });
  }
  if (failedId && rollback.release) await markRolledBack(remote, failedId, rollback.release.id);
  const detail = `${reason}; rolled back to ${target.id}`;
  if (!healthy(rollback)) {
    const summary = `${env.name}: ${reason}; rolled back to ${target.id}, which is unhealthy too: ${unhealthyReason(rollback.health)}`;
    return outcome({ outcome: "failed", rollback, summary, hint: "the service is down: investigate now", detail });
  }
  return outcome({
    outcome: "rolled_back",
    rollback,
    summary: `${env.name}: ${reason}; rolled back to release ${target.id}, which is healthy again`,
    hint: "the failed release is marked rolled_back in `evalap-infra releases list`; fix it and deploy again",
    detail,
  });
}

/**
 * The newest healthy release other than the failed one. The rollback needs tofu, hence the lease: it is
 * proven first, so that a bucket down since the gate (or a lease lost meanwhile) stops the run as that
 * (exit 13, no tofu step started) rather than as a failed ledger read; the message keeps the health failure.
 */
async function rollbackTarget(
  flow: ReleaseFlow,
  remote: EnvironmentRemote,
  reason: string,
  failedId: string | undefined,
): Promise<ReleaseRecord | null> {
  const environment = flow.env.name;
  try {
    await flow.ctx.tofu.beforeRun?.("rollback");
    return await remote.ledger.lastHealthy(failedId ? { excluding: failedId } : {});
  } catch (err) {
    if (!(err instanceof EvalapError)) throw err;
    const release = failedId ? `release ${failedId}` : "the release";
    const back = `the unhealthy ${release} is still applied: \`evalap-infra rollback ${environment}\` returns to the last healthy release`;
    throw new EvalapError(err.code, `${environment}: ${reason}; not rolled back: ${err.message}`, {
      exitCode: err.exitCode,
      hint: err.hint ? `${err.hint}; ${back}` : back,
      cause: err,
    });
  }
}

/** One rollback release: `target`'s inputs through the same plan, guard, apply and gate as a deploy. */
async function rollBackTo(flow: ReleaseFlow, target: ReleaseRecord, yes: boolean): Promise<RollbackRun> {
  const { ctx, env, remote, holder } = flow;
  const { allowDestroy, lockTimeoutMs } = flow;
  const run = { kind: "rollback" as const, rollbackOf: target.id, inputs: target.inputs, yes, allowDestroy, lockTimeoutMs };
  return { ...(await runRelease(ctx, env, remote, holder, run)), target };
}

async function markRolledBack(remote: EnvironmentRemote, replacedId: string, by: string): Promise<void> {
  await remote.ledger.settle(replacedId, { status: "rolled_back", rolledBackTo: by }, remote.journal);
}
