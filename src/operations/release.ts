import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { healthGate } from "../health/gate.js";
import { healthPolicy } from "../health/policy.js";
import { servicesFromOutputs } from "../health/services.js";
import type { HealthReport } from "../health/types.js";
import type { ReleaseInputs, ReleaseRecord } from "../ledger/types.js";
import type { LockHolder } from "../lock/holder.js";
import { LeaseLostError } from "../lock/remote.js";
import * as tofu from "../tofu/commands.js";
import { deployLocked, type DeployResult } from "./deploy.js";
import { preflight } from "./preflight.js";
import type { Diagnostic } from "../tofu/diagnostics.js";
import { assertSecretsSet } from "./secret-shells.js";
import { invalidServicesReport, outcomeOfGate, outcomeOfStop, planRecord } from "./release-records.js";
import { configHash, gitRevision, imagesOf } from "./release-inputs.js";
import type { EnvironmentRemote } from "./remote.js";
import { step, type RunContext } from "./context.js";

export interface ReleaseRun {
  kind: "deploy" | "rollback";
  inputs: ReleaseInputs;
  rollbackOf?: string;
  /** Recorded with the release from its creation (e.g. the migration a deploy ran first, with its backup). */
  notes?: string[];
  yes: boolean;
  allowDestroy: string[];
  lockTimeoutMs: number;
}

export interface ReleaseResult {
  release: ReleaseRecord | null;
  deploy: DeployResult;
  health: HealthReport | null;
}

/**
 * One release: record it (pending) ─► init, plan, guard ─► record the plan ─► apply ─► health gate
 * ─► mark it healthy or failed. The caller holds the environment's locks (and `ctx` proves the
 * lease before every tofu step). Without a remote there is no ledger: the same steps run and
 * nothing is recorded.
 *
 * What the ledger says when a run stops early (docs: "Locks and faults"; decided by outcomeOfStop):
 * - stopped before any apply began (plan error, guard refusal, lost lease): `failed`;
 * - tofu applied but could not save the state: `unpersisted`, with where the state is kept;
 * - stopped while an apply may have run (interrupt, tofu killed, lease lost, bucket down): left
 *   `pending`, so the next run stops and asks to resume or roll back;
 * - an outcome the bucket could not take is kept in the local journal, recorded by the next run.
 * An unhealthy release is a result (`health.healthy` false), not an error: the caller decides.
 */
export async function runRelease(
  ctx: RunContext,
  env: ResolvedEnvironment,
  remote: EnvironmentRemote | null,
  holder: LockHolder,
  run: ReleaseRun,
): Promise<ReleaseResult> {
  // Nothing is recorded by a run that can no longer prove it holds the lease.
  await ctx.tofu.beforeRun?.("release");
  // A variable or credentials nobody gives is exit 9 before anything is recorded: no failed release for a typo.
  await preflight(ctx, env, run.inputs.vars, run.kind);
  // Secret Manager holds the application secrets' values: a deploy of one without a value would fail mid-apply.
  if (run.kind === "deploy") await assertSecretsSet(ctx, env, run.lockTimeoutMs, run.inputs.vars);
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
      ctx.events.emit({
        type: "log",
        level: "warn",
        message: `the state bucket is unreachable: the outcome of release ${release.id} (${set.status ?? "update"}) is kept in ${settled.journalFile} and recorded by the next run`,
      });
      release = { ...release, ...set };
    }
  };
  try {
    const deployed = await deployLocked(
      ctx,
      env,
      {
        yes: run.yes,
        allowDestroy: run.allowDestroy,
        vars: run.inputs.vars,
        beforeApply: async (summary) => {
          applyMayHaveRun = true;
          await settle({ plan: planRecord(summary) });
        },
      },
      run.lockTimeoutMs,
    );
    const health = await gate(ctx, env, deployed);
    const gated = outcomeOfGate(health);
    await settle(gated);
    if (closed.by !== null) {
      const outcome = gated.status ?? "";
      const why = `release ${release?.id ?? ""} was closed meanwhile by the run that took it over (${closed.by}); its outcome (${outcome}) is not recorded`;
      throw new LeaseLostError(env.name, "lost", why);
    }
    return { release, deploy: deployed, health };
  } catch (err) {
    await settle(outcomeOfStop(err, applyMayHaveRun)).catch((e: unknown) => {
      ctx.events.emit({
        type: "log",
        level: "warn",
        message: `could not record how release ${release?.id ?? ""} stopped: ${e instanceof Error ? e.message : String(e)}`,
      });
    });
    throw err;
  }
}

async function releaseFields(
  ctx: RunContext,
  env: ResolvedEnvironment,
  holder: LockHolder,
  run: ReleaseRun,
): Promise<Omit<ReleaseRecord, "id" | "createdAt" | "updatedAt">> {
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
    ...(run.notes && run.notes.length > 0 ? { notes: run.notes } : {}),
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
  // Scaleway keeps the previous revision serving after a failed deploy (containers-limitations.mdx,
  // "Versioning and rollback"), so the URLs answer well while the new revision is in error; the
  // provider only warns. That warning fails the gate before any request is made.
  const notReady = containersNotReady(deployed.warnings);
  if (notReady.length > 0) return notReadyReport(ctx, notReady);
  return step(
    ctx,
    "health",
    () => healthGate(services, healthPolicy(ctx.config.health), { events: ctx.events, signal: ctx.signal }),
    (r) => ({ detail: r.healthy ? `${services.length} service(s) healthy` : "unhealthy" }),
  );
}

function announce(ctx: RunContext, r: ReleaseRecord): void {
  ctx.events.emit({ type: "release.recorded", environment: r.environment, releaseId: r.id, status: r.status, kind: r.kind });
}

/** The containers the provider warned about after the apply ("Container is not ready, but has status …", internal/services/container/container.go). */
export function containersNotReady(warnings: readonly Diagnostic[]): Array<{ name: string; reason: string }> {
  const out: Array<{ name: string; reason: string }> = [];
  for (const w of warnings) {
    const status = /^Container is not ready, but has status "([^"]+)"/.exec(w.summary)?.[1];
    if (!status) continue;
    const name = /scaleway_container\.[\w-]+\["([^"]+)"\]/.exec(w.address ?? "")?.[1] ?? w.address ?? "a container";
    out.push({ name, reason: `its new revision is ${status}${w.detail ? ` (${w.detail})` : ""}; the previous one still serves` });
  }
  return out;
}

function notReadyReport(ctx: RunContext, notReady: Array<{ name: string; reason: string }>): HealthReport {
  const services = notReady.map((c) => ({
    name: c.name,
    url: "",
    healthy: false,
    attempts: 0,
    consecutive: 0,
    lastError: c.reason,
    latencyMs: { p50: 0, max: 0 },
    durationMs: 0,
    reason: c.reason,
  }));
  ctx.events.emit({
    type: "log",
    level: "warn",
    message: `not ready after the apply: ${notReady.map((c) => `${c.name}: ${c.reason}`).join("; ")}`,
  });
  return { healthy: false, services, durationMs: 0 };
}
