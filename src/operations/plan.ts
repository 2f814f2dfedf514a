import { randomUUID } from "node:crypto";
import path from "node:path";
import type { ResolvedEnvironment } from "../config/load.js";
import { withRetry } from "../retry/retry.js";
import * as tofu from "../tofu/commands.js";
import type { TofuJsonMessage } from "../tofu/diagnostics.js";
import type { PlanResult } from "../tofu/commands.js";
import { parseStateLockInfo } from "../tofu/diagnostics.js";
import { TofuError } from "../tofu/errors.js";
import { formatPlanCounts } from "../report/format.js";
import { classifyTofuError, reportDiagnostics, retryPolicy, stateDir, step, type RunContext } from "./context.js";

export interface PlanInputs {
  /** Variables of this run on top of the environment's (a release's image references). */
  vars?: Record<string, unknown>;
  lockTimeoutMs: number;
  /** Where to write the plan; a private file under .evalap-infra/plans by default. */
  out?: string;
  /**
   * A tofu state lock taken before this instant is stale and is broken: set to the time the run
   * took the environment's remote lease, under which every tofu run of the tool happens, so an
   * older state lock can only belong to a run that died (kill -9 kills tofu with it).
   */
  staleStateLocksBefore?: Date;
}

/** init (skipped when nothing changed) with retries; the first step of plan, deploy and rollback. */
export async function initStep(ctx: RunContext, env: ResolvedEnvironment): Promise<void> {
  await step(
    ctx,
    "init",
    () =>
      withRetry(() => tofu.init(ctx.tofu, env.rootDir, { backendConfig: env.backendConfig }), {
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

/** plan -out with retries on transient failures; emits the summary. */
export async function planStep(ctx: RunContext, env: ResolvedEnvironment, inputs: PlanInputs): Promise<PlanResult> {
  const out = inputs.out ?? path.join(await stateDir(ctx.config, "plans"), `${env.name}-${randomUUID()}.tfplan`);
  const result = await step(
    ctx,
    "plan",
    () =>
      withRetry(
        async () => {
          const run = () =>
            tofu.plan(ctx.tofu, env.rootDir, {
              out,
              lockTimeoutMs: stateLockTimeout(inputs),
              vars: { ...env.vars, ...(inputs.vars ?? {}) },
              varFiles: env.varFiles,
              onMessage: (m) => forwardPlanWarnings(ctx, m),
            });
          try {
            return await run();
          } catch (err) {
            if (await breakStaleStateLock(ctx, env, err, inputs.staleStateLocksBefore)) return run();
            throw err;
          }
        },
        { step: "plan", policy: retryPolicy(ctx.config), classify: classifyTofuError, events: ctx.events, signal: ctx.signal },
      ).catch((err: unknown) => {
        reportDiagnostics(ctx, err);
        throw err;
      }),
    (r) => ({ detail: formatPlanCounts(r.summary) }),
  );
  ctx.events.emit({ type: "plan.summary", environment: env.name, summary: result.summary });
  return result;
}

/**
 * Under the remote lease no other run of the tool can hold tofu's state lock, so a held one is
 * stale or taken by hand: waiting the full lock timeout for it would only delay the verdict.
 */
function stateLockTimeout(inputs: PlanInputs): number {
  return inputs.staleStateLocksBefore ? Math.min(inputs.lockTimeoutMs, 5000) : inputs.lockTimeoutMs;
}

async function breakStaleStateLock(ctx: RunContext, env: ResolvedEnvironment, err: unknown, before: Date | undefined): Promise<boolean> {
  if (before === undefined || !(err instanceof TofuError) || err.failure.reason !== "state_lock") return false;
  const info = parseStateLockInfo([...err.diagnostics.map((d) => `${d.summary}\n${d.detail ?? ""}`), err.stderr].join("\n"));
  if (!info?.created || info.created.getTime() >= before.getTime()) return false;
  await tofu.forceUnlock(ctx.tofu, env.rootDir, info.id);
  ctx.events.emit({
    type: "lock.recovered",
    environment: env.name,
    scope: "state",
    previousHolder: null,
    reason: `tofu state lock ${info.id} (${info.who ?? "unknown"}, ${info.operation ?? "unknown operation"}, taken ${info.created.toISOString()}) predates this run's lease: the run that took it died`,
  });
  return true;
}

function forwardPlanWarnings(ctx: RunContext, m: TofuJsonMessage): void {
  if (m.type === "diagnostic" && m.diagnostic?.severity === "warning") {
    ctx.events.emit({ type: "diagnostic", severity: "warning", summary: m.diagnostic.summary ?? "warning", ...(m.diagnostic.detail ? { detail: m.diagnostic.detail } : {}) });
  }
}
