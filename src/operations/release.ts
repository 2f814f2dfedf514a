import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError, InterruptedError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { GuardRefusedError } from "../guard/guard.js";
import { healthGate } from "../health/gate.js";
import { servicesFromOutputs } from "../health/services.js";
import type { HealthReport } from "../health/types.js";
import type { AuditEntry, ReleaseInputs, ReleaseRecord } from "../ledger/types.js";
import type { LockHolder } from "../lock/holder.js";
import * as tofu from "../tofu/commands.js";
import { deployLocked, type DeployResult } from "./deploy.js";
import { configHash, gitRevision, imagesOf } from "./release-inputs.js";
import type { EnvironmentRemote } from "./remote.js";
import { step, type RunContext } from "./context.js";

export interface ReleaseRun {
  kind: "deploy" | "rollback";
  inputs: ReleaseInputs;
  rollbackOf?: string;
  yes: boolean;
  allowDestroy: string[];
  lockTimeoutMs: number;
  /** When this run took the remote lease: older tofu state locks are stale. */
  leaseAcquiredAt: Date | null;
}

export interface ReleaseResult {
  release: ReleaseRecord | null;
  deploy: DeployResult;
  health: HealthReport | null;
}

/** The health gate failed; the exit code says whether service was restored. */
export class HealthGateError extends EvalapError {
  constructor(message: string, restored: boolean, hint: string) {
    super(restored ? "rolled_back" : "health_failed", message, { exitCode: restored ? ExitCode.RolledBack : ExitCode.HealthFailed, hint });
    this.name = "HealthGateError";
  }
}

/**
 * One release: record it (pending) ─► init, plan, guard, apply ─► health gate ─► mark it healthy
 * or failed. The caller holds the environment's locks. Without a remote there is no ledger: the
 * same steps run and nothing is recorded.
 */
export async function runRelease(ctx: RunContext, env: ResolvedEnvironment, remote: EnvironmentRemote | null, holder: LockHolder, run: ReleaseRun): Promise<ReleaseResult> {
  let release: ReleaseRecord | null = null;
  if (remote) {
    const fields: Omit<ReleaseRecord, "id" | "createdAt" | "updatedAt"> = {
      environment: env.name,
      kind: run.kind,
      actor: holder.user,
      host: holder.host,
      runId: holder.id,
      gitRevision: await gitRevision(ctx.config.projectDir),
      configHash: await configHash(ctx.config, env),
      inputs: run.inputs,
      images: imagesOf(run.inputs.vars),
      status: "pending",
      ...(run.rollbackOf ? { rollbackOf: run.rollbackOf } : {}),
    };
    release = await remote.ledger.create(fields);
    announce(ctx, release);
  }
  try {
    const deployed = await deployLocked(
      ctx,
      env,
      { yes: run.yes, allowDestroy: run.allowDestroy, vars: run.inputs.vars, ...(run.leaseAcquiredAt ? { staleStateLocksBefore: run.leaseAcquiredAt } : {}) },
      run.lockTimeoutMs,
    );
    if (remote && release) {
      const plan = { counts: deployed.summary.counts, changes: deployed.summary.changes.map((c) => ({ address: c.address, action: c.action })) };
      release = await remote.ledger.update(release.id, (r) => ({ ...r, plan }));
    }
    const health = await gate(ctx, env, deployed);
    if (remote && release) {
      const healthy = health === null || health.healthy;
      const summary = health ? { healthy: health.healthy, services: health.services.map((s) => ({ name: s.name, healthy: s.healthy, attempts: s.attempts, ...(s.lastStatus !== undefined ? { lastStatus: s.lastStatus } : {}), ...(s.lastError ? { lastError: s.lastError } : {}) })) } : undefined;
      release = await remote.ledger.update(release.id, (r) => ({
        ...r,
        status: healthy ? "healthy" : "failed",
        finishedAt: new Date().toISOString(),
        ...(summary ? { health: summary } : {}),
        ...(healthy ? {} : { statusReason: unhealthyReason(health) }),
      }));
      announce(ctx, release);
    }
    return { release, deploy: deployed, health };
  } catch (err) {
    if (remote && release) {
      const reason = err instanceof InterruptedError ? `interrupted by ${err.signal}` : err instanceof Error ? err.message : String(err);
      // Interrupted runs stay pending only if the apply may have started; a refused plan changed nothing.
      release = await remote.ledger
        .update(release.id, (r) => ({ ...r, status: "failed", statusReason: reason, finishedAt: new Date().toISOString() }))
        .catch(() => release);
      if (release) announce(ctx, release);
    }
    throw err;
  }
}

/** Health gate on the root's `services` output; null when the root declares no services. */
async function gate(ctx: RunContext, env: ResolvedEnvironment, deployed: DeployResult): Promise<HealthReport | null> {
  const outputs = Object.keys(deployed.outputs).length > 0 ? deployed.outputs : await tofu.output(ctx.tofu, env.rootDir);
  // Sensitive values exist in this process from here on: make sure they cannot be printed.
  for (const o of Object.values(outputs)) if (o.sensitive) ctx.redactor.add(o.value);
  if (!("services" in outputs)) {
    ctx.events.emit({ type: "log", level: "info", message: `${env.name} has no "services" output: no health gate` });
    return null;
  }
  const services = servicesFromOutputs(outputs);
  const h = ctx.config.health;
  return step(
    ctx,
    "health",
    () =>
      healthGate(
        services,
        { consecutive: h.consecutive, intervalMs: h.interval, requestTimeoutMs: h.timeout, latencyBudgetMs: h.latencyBudget, deadlineMs: h.deadline },
        { events: ctx.events, signal: ctx.signal },
      ),
    (r) => ({ detail: r.healthy ? `${services.length} service(s) healthy` : "unhealthy" }),
  );
}

export function unhealthyReason(health: HealthReport | null): string {
  if (!health) return "unhealthy";
  const bad = health.services.filter((s) => !s.healthy);
  return `health check failed: ${bad.map((s) => `${s.name} (${s.lastError ?? (s.lastStatus !== undefined ? `answered ${s.lastStatus}` : "no good answer")})`).join(", ")}`;
}

function announce(ctx: RunContext, r: ReleaseRecord): void {
  ctx.events.emit({ type: "release.recorded", environment: r.environment, releaseId: r.id, status: r.status, kind: r.kind });
}

/** Appends the audit entry of an operation; a failure to write it is reported, never fatal. */
export async function audit(ctx: RunContext, remote: EnvironmentRemote | null, holder: LockHolder, entry: Omit<AuditEntry, "at" | "actor" | "host" | "command">): Promise<void> {
  if (!remote) return;
  try {
    await remote.ledger.appendAudit({ at: new Date().toISOString(), actor: holder.user, host: holder.host, command: ctx.commandLine, ...entry });
  } catch (err) {
    ctx.events.emit({ type: "log", level: "warn", message: `could not write the audit entry: ${err instanceof Error ? err.message : String(err)}` });
  }
}

export function outcomeOf(err: unknown): AuditEntry["outcome"] {
  if (err instanceof InterruptedError) return "interrupted";
  if (err instanceof GuardRefusedError) return "refused";
  if (err instanceof HealthGateError && err.exitCode === ExitCode.RolledBack) return "rolled_back";
  return "failed";
}
