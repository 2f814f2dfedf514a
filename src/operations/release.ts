import os from "node:os";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError, InterruptedError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { GuardRefusedError } from "../guard/guard.js";
import { healthGate } from "../health/gate.js";
import { healthPolicy } from "../health/policy.js";
import { servicesFromOutputs } from "../health/services.js";
import type { HealthReport, ServiceHealth } from "../health/types.js";
import type { AuditEntry, ReleaseInputs, ReleaseRecord } from "../ledger/types.js";
import type { LockHolder } from "../lock/holder.js";
import { LeaseLostError } from "../lock/remote.js";
import { StateNotPersistedError } from "../tofu/errors.js";
import * as tofu from "../tofu/commands.js";
import type { PlanSummary } from "../tofu/plan-summary.js";
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
 * One release: record it (pending) ─► init, plan, guard ─► record the plan ─► apply ─► health gate
 * ─► mark it healthy or failed. The caller holds the environment's locks (and `ctx` proves the
 * lease before every tofu step). Without a remote there is no ledger: the same steps run and
 * nothing is recorded.
 *
 * What the ledger says when a run stops early (docs: "Locks and faults"):
 * - stopped before any apply began (plan error, guard refusal, lost lease): `failed`;
 * - tofu applied but could not save the state: `unpersisted`, with where the state is kept;
 * - stopped while an apply may have run (interrupt, tofu killed, lease lost, bucket down): left
 *   `pending`, so the next run stops and asks to resume or roll back;
 * - an outcome the bucket could not take is kept in the local journal, recorded by the next run.
 */
export async function runRelease(ctx: RunContext, env: ResolvedEnvironment, remote: EnvironmentRemote | null, holder: LockHolder, run: ReleaseRun): Promise<ReleaseResult> {
  // Nothing is recorded by a run that can no longer prove it holds the lease.
  await ctx.tofu.beforeRun?.("release");
  let release: ReleaseRecord | null = remote ? await remote.ledger.create(await releaseFields(ctx, env, holder, run)) : null;
  if (release) announce(ctx, release);
  let applyMayHaveRun = false;
  // How the run that took our lease over closed this release (superseded, failed): then it is theirs, we write no more.
  const closed: { by: string | null } = { by: null };
  const settle = async (set: Partial<ReleaseRecord>): Promise<void> => {
    if (!remote || !release || closed.by !== null) return;
    const settled = await remote.ledger.settle(release.id, set, remote.journal, { whilePending: true });
    if (settled.recorded) {
      release = settled.record;
      announce(ctx, release);
      if (settled.closed) closed.by = `${release.status}${release.statusReason ? `: ${release.statusReason}` : ""}`;
    } else {
      ctx.events.emit({ type: "log", level: "warn", message: `the state bucket is unreachable: the outcome of release ${release.id} (${set.status ?? "update"}) is kept in ${settled.journalFile} and recorded by the next run` });
      release = { ...release, ...set };
    }
  };
  try {
    const deployed = await deployLocked(ctx, env, {
      yes: run.yes,
      allowDestroy: run.allowDestroy,
      vars: run.inputs.vars,
      beforeApply: async (summary) => {
        applyMayHaveRun = true;
        await settle({ plan: planRecord(summary) });
      },
    }, run.lockTimeoutMs);
    const health = await gate(ctx, env, deployed);
    const healthy = health === null || health.healthy;
    await settle({
      status: healthy ? "healthy" : "failed",
      finishedAt: new Date().toISOString(),
      ...(health ? { health: healthRecord(health) } : {}),
      ...(healthy ? {} : { statusReason: unhealthyReason(health) }),
    });
    if (closed.by !== null) {
      const outcome = healthy ? "healthy" : "failed";
      const why = `release ${release?.id ?? ""} was closed meanwhile by the run that took it over (${closed.by}); its outcome (${outcome}) is not recorded`;
      throw new LeaseLostError(env.name, "lost", why);
    }
    return { release, deploy: deployed, health };
  } catch (err) {
    await settle(outcomeOfStop(err, applyMayHaveRun)).catch((e: unknown) => {
      ctx.events.emit({ type: "log", level: "warn", message: `could not record how release ${release?.id ?? ""} stopped: ${e instanceof Error ? e.message : String(e)}` });
    });
    throw err;
  }
}

async function releaseFields(ctx: RunContext, env: ResolvedEnvironment, holder: LockHolder, run: ReleaseRun): Promise<Omit<ReleaseRecord, "id" | "createdAt" | "updatedAt">> {
  return {
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
}

/** What the ledger records when the run stops with `err` (see runRelease). */
function outcomeOfStop(err: unknown, applyMayHaveRun: boolean): Partial<ReleaseRecord> {
  const finishedAt = new Date().toISOString();
  const why = err instanceof InterruptedError ? `interrupted by ${err.signal}` : err instanceof Error ? err.message : String(err);
  if (err instanceof StateNotPersistedError) {
    return { status: "unpersisted", statusReason: `tofu applied but could not save the state; it is kept on ${os.hostname()} in ${err.recoveryFile ?? "tofu's output only (see the run's log)"}`, finishedAt };
  }
  if (!applyMayHaveRun || isDefiniteApplyFailure(err)) return { status: "failed", statusReason: why, finishedAt };
  // The apply may have changed things and nobody checked them: the next run must decide.
  return { statusReason: `the run stopped while applying (${why}): resume or roll back` };
}

/** tofu finished the apply and reported an error: its state was saved, the release failed. */
function isDefiniteApplyFailure(err: unknown): boolean {
  return err instanceof EvalapError && err.code === "tofu_failed" && !("signal" in err && err.signal);
}

function planRecord(summary: PlanSummary): NonNullable<ReleaseRecord["plan"]> {
  return { counts: summary.counts, changes: summary.changes.map((c) => ({ address: c.address, action: c.action })) };
}

function healthRecord(health: HealthReport): NonNullable<ReleaseRecord["health"]> {
  return {
    healthy: health.healthy,
    services: health.services.map((s) => ({
      name: s.name,
      healthy: s.healthy,
      attempts: s.attempts,
      ...(s.lastStatus !== undefined ? { lastStatus: s.lastStatus } : {}),
      ...(s.lastError ? { lastError: s.lastError } : {}),
    })),
  };
}

/**
 * Health gate on the root's `services` output; null when the root declares no services. An
 * output that breaks the contract is an unhealthy release (rolled back like one), not a crash.
 */
async function gate(ctx: RunContext, env: ResolvedEnvironment, deployed: DeployResult): Promise<HealthReport | null> {
  const outputs = Object.keys(deployed.outputs).length > 0 ? deployed.outputs : await tofu.output(ctx.tofu, env.rootDir);
  // Sensitive values exist in this process from here on: make sure they cannot be printed.
  for (const o of Object.values(outputs)) if (o.sensitive) ctx.redactor.add(o.value);
  if (!("services" in outputs)) {
    ctx.events.emit({ type: "log", level: "info", message: `${env.name} has no "services" output: no health gate` });
    return null;
  }
  let services;
  try {
    services = servicesFromOutputs(outputs);
  } catch (err) {
    if (!(err instanceof EvalapError) || err.code !== "services_output_invalid") throw err;
    ctx.events.emit({ type: "log", level: "warn", message: `${err.message}: the release cannot be health-checked` });
    return invalidServicesReport(err.message);
  }
  return step(
    ctx,
    "health",
    () =>
      healthGate(
        services,
        healthPolicy(ctx.config.health),
        { events: ctx.events, signal: ctx.signal },
      ),
    (r) => ({ detail: r.healthy ? `${services.length} service(s) healthy` : "unhealthy" }),
  );
}

function invalidServicesReport(message: string): HealthReport {
  const service: ServiceHealth = {
    name: "services output",
    url: "",
    healthy: false,
    attempts: 0,
    consecutive: 0,
    lastError: message,
    latencyMs: { p50: 0, max: 0 },
    durationMs: 0,
    reason: message,
  };
  return { healthy: false, services: [service], durationMs: 0 };
}

export function unhealthyReason(health: HealthReport | null): string {
  if (!health) return "unhealthy";
  const bad = health.services.filter((s) => !s.healthy);
  return `health check failed: ${bad.map((s) => `${s.name} (${s.lastError ?? (s.lastStatus !== undefined ? `answered ${s.lastStatus}` : "no good answer")})`).join(", ")}`;
}

function announce(ctx: RunContext, r: ReleaseRecord): void {
  ctx.events.emit({ type: "release.recorded", environment: r.environment, releaseId: r.id, status: r.status, kind: r.kind });
}

export function outcomeOf(err: unknown): AuditEntry["outcome"] {
  if (err instanceof InterruptedError) return "interrupted";
  if (err instanceof GuardRefusedError) return "refused";
  if (err instanceof HealthGateError && err.exitCode === ExitCode.RolledBack) return "rolled_back";
  return "failed";
}
