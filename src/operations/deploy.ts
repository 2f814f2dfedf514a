import type { ResolvedEnvironment } from "../config/load.js";
import { checkPlan, GuardRefusedError } from "../guard/guard.js";
import { withRetry } from "../retry/retry.js";
import * as tofu from "../tofu/commands.js";
import type { OutputValue } from "../tofu/commands.js";
import type { TofuJsonMessage } from "../tofu/diagnostics.js";
import type { PlanSummary } from "../tofu/plan-summary.js";
import { classifyTofuError, reportDiagnostics, retryPolicy, step, type RunContext } from "./context.js";
import { initStep, planStep } from "./plan.js";

export interface DeployOptions {
  yes: boolean;
  allowDestroy: string[];
  /** Extra variables (a release's inputs), on top of the environment's. */
  vars?: Record<string, unknown>;
  /** See PlanInputs.staleStateLocksBefore. */
  staleStateLocksBefore?: Date;
}

export interface DeployResult {
  environment: string;
  changed: boolean;
  summary: PlanSummary;
  outputs: Record<string, OutputValue>;
  /** How many plan/apply cycles ran (more than one after a transient apply failure). */
  applyAttempts: number;
}

/**
 * init ─► plan -out ─► guard ─► apply that plan, for a caller that holds the environment's
 * locks (deploy-release.ts). A transient apply failure is followed by a fresh plan and the guard
 * again, never by re-applying the stale plan.
 */
export async function deployLocked(ctx: RunContext, env: ResolvedEnvironment, opts: DeployOptions, lockTimeoutMs: number): Promise<DeployResult> {
  await initStep(ctx, env);
  let applyAttempts = 0;
  return withRetry(
    async () => {
      applyAttempts += 1;
      const planned = await planStep(ctx, env, {
        lockTimeoutMs,
        ...(opts.vars ? { vars: opts.vars } : {}),
        ...(opts.staleStateLocksBefore ? { staleStateLocksBefore: opts.staleStateLocksBefore } : {}),
      });
      try {
        if (!planned.summary.hasChanges) {
          return { environment: env.name, changed: false, summary: planned.summary, outputs: {}, applyAttempts };
        }
        const decision = await checkPlan({
          environment: env.name,
          protection: env.protection,
          summary: planned.summary,
          statefulTypes: ctx.config.guard.statefulTypes,
          allowDestroy: opts.allowDestroy,
          yes: opts.yes,
          confirm: ctx.confirm,
        }).catch((err: unknown) => {
          if (err instanceof GuardRefusedError) ctx.events.emit({ type: "guard.checked", environment: env.name, allowed: false, confirmation: "not-needed", reasons: err.reasons });
          throw err;
        });
        ctx.events.emit({ type: "guard.checked", environment: env.name, ...decision });
        const applied = await step(ctx, "apply", () =>
          tofu
            .apply(ctx.tofu, env.rootDir, { planFile: planned.planFile, lockTimeoutMs, onMessage: (m) => forwardProgress(ctx, m) })
            .catch((err: unknown) => {
              reportDiagnostics(ctx, err);
              throw err;
            }),
        );
        ctx.events.emit({ type: "outputs", environment: env.name, outputs: applied.outputs });
        return { environment: env.name, changed: true, summary: planned.summary, outputs: applied.outputs, applyAttempts };
      } finally {
        await tofu.removePlanFile(planned.planFile);
      }
    },
    { step: "apply", policy: retryPolicy(ctx.config), classify: classifyTofuError, events: ctx.events, signal: ctx.signal },
  );
}

function forwardProgress(ctx: RunContext, m: TofuJsonMessage): void {
  const addr = m.hook?.resource?.addr;
  if (!addr) return;
  const action = m.hook?.action ?? "";
  if (m.type === "apply_start") ctx.events.emit({ type: "resource.progress", address: addr, action, phase: "start" });
  else if (m.type === "apply_complete") {
    ctx.events.emit({ type: "resource.progress", address: addr, action, phase: "complete", ...(m.hook?.elapsed_seconds !== undefined ? { elapsedSeconds: m.hook.elapsed_seconds } : {}) });
  } else if (m.type === "apply_errored") ctx.events.emit({ type: "resource.progress", address: addr, action, phase: "error" });
}
