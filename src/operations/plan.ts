import { randomUUID } from "node:crypto";
import path from "node:path";
import type { ResolvedEnvironment } from "../config/load.js";
import { estimateCost, type CostEstimate } from "../cost/estimate.js";
import { withRetry } from "../retry/retry.js";
import { withStateLock } from "../statelock/recover.js";
import * as tofu from "../tofu/commands.js";
import { toDiagnostic, type TofuJsonMessage } from "../tofu/diagnostics.js";
import type { InitResult, PlanResult, ShownPlan } from "../tofu/commands.js";
import { withFileSystemErrors } from "../tofu/fs-errors.js";
import { TofuError } from "../tofu/errors.js";
import { withAttributes, type PlanSummary } from "../tofu/plan-summary.js";
import { formatPlanCounts } from "../report/format.js";
import { classifyTofuError, diagnosticEvent, reportDiagnostics, retryPolicy, stateDir, step, type RunContext } from "./context.js";

export interface PlanInputs {
  /** Variables of this run on top of the environment's (a release's image references). */
  vars?: Record<string, unknown>;
  /** How long tofu waits for a state lock whose holder is not proven dead (-lock-timeout). */
  lockTimeoutMs: number;
  /** Where to write the plan; a private file under .evalap-infra/plans by default. */
  out?: string;
  /**
   * Read the attribute-level changes with `tofu show -json` (one more tofu process, which starts
   * the providers: see README, "Performance"). Callers ask for it when someone reads the plan.
   */
  diff?: boolean;
  /**
   * Price the environment before and after the plan (src/cost/), from the same `tofu show -json`;
   * emitted as a `cost.estimate` event after the summary, and returned.
   */
  cost?: boolean;
}

export interface PlanStepResult extends PlanResult {
  /** With `cost`, when the plan could be read (a failed show is a warning). */
  cost?: CostEstimate;
}

/** init (skipped when nothing changed) with retries; the first step of plan, deploy and rollback. */
export async function initStep(ctx: RunContext, env: ResolvedEnvironment): Promise<InitResult> {
  return step(
    ctx,
    "init",
    () =>
      withRetry(() => tofu.init(ctx.tofu, env.rootDir, { backendConfig: env.backendConfig, reconfigure: env.sandbox }), {
        step: "init",
        policy: retryPolicy(ctx.config),
        classify: classifyTofuError,
        events: ctx.events,
        signal: ctx.signal,
      }).catch((err: unknown) => {
        reportDiagnostics(ctx, err);
        throw err;
      }),
    (r) => (r.skipped ? { outcome: "skipped", detail: "unchanged since the last init" } : {}),
  );
}

/**
 * plan -out with retries on transient failures; emits the summary. A held state lock is broken
 * only when its holder is proven dead (statelock/), else the run stops with StateLockHeldError,
 * which is not retried: tofu already waited the lock timeout for it.
 */
export async function planStep(ctx: RunContext, env: ResolvedEnvironment, inputs: PlanInputs): Promise<PlanStepResult> {
  const out = inputs.out ?? path.join(await plansDir(ctx), `${env.name}-${randomUUID()}.tfplan`);
  const run = (lockTimeoutMs: number) =>
    tofu.plan(ctx.tofu, env.rootDir, {
      out,
      lockTimeoutMs,
      vars: { ...env.vars, ...(inputs.vars ?? {}) },
      varFiles: env.varFiles,
      onMessage: (m) => forwardPlanWarnings(ctx, env.rootDir, m),
    });
  const result = await step(
    ctx,
    "plan",
    () =>
      withRetry(() => withStateLock(ctx, env, inputs.lockTimeoutMs, run), {
        step: "plan",
        policy: retryPolicy(ctx.config),
        classify: classifyTofuError,
        events: ctx.events,
        signal: ctx.signal,
      }).catch(async (err: unknown) => {
        reportDiagnostics(ctx, err);
        // A plan cut short (SIGTERM after tofu wrote it, a failed retry) must not leave its file:
        // plan files can hold secrets. One the caller asked to keep (--out) is theirs.
        if (inputs.out === undefined) await tofu.removePlanFile(out);
        throw err;
      }),
    (r) => ({ detail: formatPlanCounts(r.summary) }),
  );
  const wantDiff = inputs.diff === true && result.summary.hasChanges;
  // One show -json serves both the attribute-level changes and the cost estimate.
  const shown = wantDiff || inputs.cost ? await readPlan(ctx, env, result, wantDiff ? "diff" : "cost") : null;
  const summary: PlanSummary | null = wantDiff && shown ? withAttributes(result.summary, shown.diff) : null;
  ctx.events.emit({ type: "plan.summary", environment: env.name, summary: summary ?? result.summary, diff: summary !== null });
  const cost = inputs.cost && shown ? estimateCost(shown.plan) : undefined;
  if (cost) ctx.events.emit({ type: "cost.estimate", environment: env.name, cost });
  return { ...result, ...(summary ? { summary } : {}), ...(cost ? { cost } : {}) };
}

/**
 * The saved plan read with `tofu show -json`, for its attribute-level changes and its cost.
 * Informational: a failed show is a warning and the plan goes on without them; an interruption or
 * a lost lease still stops.
 */
async function readPlan(ctx: RunContext, env: ResolvedEnvironment, planned: PlanResult, name: "diff" | "cost"): Promise<ShownPlan | null> {
  try {
    // The redactor learns the plan's sensitive values first: from here on nothing may print them.
    return await step(ctx, name, () => tofu.show(ctx.tofu, env.rootDir, planned.planFile, ctx.redactor));
  } catch (err) {
    if (!(err instanceof TofuError)) throw err;
    const what = name === "diff" ? "the attribute-level changes" : "the cost estimate";
    const message = `${what} could not be read (tofu show failed): ${err.message}`;
    ctx.events.emit({ type: "log", level: "warn", message });
    return null;
  }
}

async function plansDir(ctx: RunContext): Promise<string> {
  const dir = path.join(ctx.config.projectDir, ".evalap-infra", "plans");
  return withFileSystemErrors(dir, "create the plan directory", () => stateDir(ctx.config, "plans"));
}

function forwardPlanWarnings(ctx: RunContext, rootDir: string, m: TofuJsonMessage): void {
  if (m.type === "diagnostic" && m.diagnostic?.severity === "warning") {
    ctx.events.emit(diagnosticEvent(toDiagnostic(m.diagnostic), rootDir));
  }
}
