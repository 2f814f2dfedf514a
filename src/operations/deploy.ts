import type { ResolvedEnvironment } from "../config/load.js";
import { checkPlan, GuardRefusedError } from "../guard/guard.js";
import { withRetry } from "../retry/retry.js";
import { withStateLock } from "../statelock/recover.js";
import { saveErroredState } from "../tofu/recovery.js";
import * as tofu from "../tofu/commands.js";
import type { ApplyResult, OutputValue, PlanResult } from "../tofu/commands.js";
import { describeDiagnostics, emergencyStateDump, type Diagnostic, type TofuJsonMessage } from "../tofu/diagnostics.js";
import { StateNotPersistedError, TofuError } from "../tofu/errors.js";
import type { PlanSummary } from "../tofu/plan-summary.js";
import { classifyTofuError, reportDiagnostics, retryPolicy, step, type RunContext } from "./context.js";
import { planStep } from "./plan.js";
import { withProviders, type ProviderSession } from "./providers.js";

export interface DeployOptions {
  yes: boolean;
  allowDestroy: string[];
  /** Extra variables (a release's inputs), on top of the environment's. */
  vars?: Record<string, unknown>;
  /** Read the attribute-level changes (tofu show -json); by default when someone is at the terminal. */
  diff?: boolean;
  /** Called once the guard allowed a plan with changes, just before tofu applies it. */
  beforeApply?: (summary: PlanSummary) => Promise<void>;
}

export interface DeployResult {
  environment: string;
  changed: boolean;
  summary: PlanSummary;
  outputs: Record<string, OutputValue>;
  /** How many plan/apply cycles ran (more than one after a transient apply failure). */
  applyAttempts: number;
  /** The apply's warnings (a provider's "Container is not ready" among them: see the health gate). */
  warnings: Diagnostic[];
}

/**
 * init ─► plan -out ─► guard ─► apply that plan, for a caller that holds the environment's
 * locks (deploy-release.ts). A transient apply failure is followed by a fresh plan and the guard
 * again, never by re-applying the stale plan. An apply whose state tofu could not persist stops
 * the run (StateNotPersistedError, not retried): a new plan would read the stale remote state.
 */
export async function deployLocked(
  ctx: RunContext,
  env: ResolvedEnvironment,
  opts: DeployOptions,
  lockTimeoutMs: number,
): Promise<DeployResult> {
  // (The preflight, the same as plan's, ran before the release was recorded: see runRelease.)
  return withProviders(ctx, env, (providers) => planAndApply(ctx, env, opts, lockTimeoutMs, providers));
}

/** plan, guard, apply; again after a transient apply failure. Each tofu run reattaches to the providers while they run. */
async function planAndApply(
  run: RunContext,
  env: ResolvedEnvironment,
  opts: DeployOptions,
  lockTimeoutMs: number,
  providers: ProviderSession,
): Promise<DeployResult> {
  let applyAttempts = 0;
  return withRetry(
    async () => {
      applyAttempts += 1;
      const ctx = providers.context(run);
      const diff = opts.diff ?? ctx.confirm !== null;
      const planned = await planStep(ctx, env, { lockTimeoutMs, diff, ...(opts.vars ? { vars: opts.vars } : {}) });
      try {
        if (!planned.summary.hasChanges) {
          return { environment: env.name, changed: false, summary: planned.summary, outputs: {}, applyAttempts, warnings: [] };
        }
        await guard(ctx, env, opts, planned.summary);
        await opts.beforeApply?.(planned.summary);
        const applied = await step(ctx, "apply", () => applyStep(providers.context(run), env, planned, lockTimeoutMs));
        ctx.events.emit({ type: "outputs", environment: env.name, outputs: applied.outputs });
        const warnings = applied.diagnostics.filter((d) => d.severity === "warning");
        return { environment: env.name, changed: true, summary: planned.summary, outputs: applied.outputs, applyAttempts, warnings };
      } finally {
        await tofu.removePlanFile(planned.planFile);
      }
    },
    { step: "apply", policy: retryPolicy(run.config), classify: classifyTofuError, events: run.events, signal: run.signal },
  );
}

async function guard(ctx: RunContext, env: ResolvedEnvironment, opts: DeployOptions, summary: PlanSummary): Promise<void> {
  const decision = await checkPlan({
    environment: env.name,
    protection: env.protection,
    summary,
    statefulTypes: ctx.config.guard.statefulTypes,
    allowDestroy: opts.allowDestroy,
    yes: opts.yes,
    confirm: ctx.confirm,
  }).catch((err: unknown) => {
    if (err instanceof GuardRefusedError)
      ctx.events.emit({ type: "guard.checked", environment: env.name, allowed: false, confirmation: "not-needed", reasons: err.reasons });
    throw err;
  });
  ctx.events.emit({ type: "guard.checked", environment: env.name, ...decision });
}

/** apply of the saved plan, under the state-lock proof; a state tofu could not persist is kept and stops the run. */
async function applyStep(ctx: RunContext, env: ResolvedEnvironment, planned: PlanResult, lockTimeoutMs: number): Promise<ApplyResult> {
  let dump: string | undefined;
  const onMessage = (m: TofuJsonMessage) => {
    // tofu prints the state here only when it could write it nowhere else: keep it, never show it.
    dump = emergencyStateDump(m) ?? dump;
    forwardProgress(ctx, m);
  };
  const apply = (timeout: number) =>
    tofu.apply(ctx.tofu, env.rootDir, { ...planned.inputs, planFile: planned.planFile, lockTimeoutMs: timeout, onMessage });
  try {
    return await withStateLock(ctx, env, lockTimeoutMs, apply);
  } catch (err) {
    reportDiagnostics(ctx, err);
    if (err instanceof TofuError && !err.failure.transient && err.failure.reason === "state_not_persisted") {
      const said = describeDiagnostics(err.diagnostics) || err.message;
      const recoveryFile = await saveErroredState(ctx.config.projectDir, env, said, dump);
      throw new StateNotPersistedError(env.name, env.rootDir, recoveryFile, firstLine(said), err);
    }
    throw err;
  }
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .find((l) => l.trim().length > 0)
      ?.trim() ?? ""
  );
}

function forwardProgress(ctx: RunContext, m: TofuJsonMessage): void {
  const addr = m.hook?.resource?.addr;
  if (!addr) return;
  const action = m.hook?.action ?? "";
  if (m.type === "apply_start") ctx.events.emit({ type: "resource.progress", address: addr, action, phase: "start" });
  else if (m.type === "apply_complete") {
    ctx.events.emit({
      type: "resource.progress",
      address: addr,
      action,
      phase: "complete",
      ...(m.hook?.elapsed_seconds !== undefined ? { elapsedSeconds: m.hook.elapsed_seconds } : {}),
    });
  } else if (m.type === "apply_errored") ctx.events.emit({ type: "resource.progress", address: addr, action, phase: "error" });
}
