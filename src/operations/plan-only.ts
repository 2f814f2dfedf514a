import { resolveEnvironment } from "../config/load.js";
import { removePlanFile } from "../tofu/commands.js";
import type { RunContext } from "./context.js";
import { runningInputs } from "./deploy-release.js";
import { planStep, type PlanStepResult } from "./plan.js";
import { preflight } from "./preflight.js";
import { withProviders } from "./providers.js";

export interface PlanOnlyOptions {
  /** --var, over the inputs the environment runs now. */
  vars: Record<string, unknown>;
  /** --lock-timeout; the project's lock timeout by default. */
  lockTimeoutMs?: number;
  diff?: boolean;
  /** Keep the plan in this file; otherwise it is removed. */
  out?: string;
}

/**
 * The plan a deploy of the environment would make now, priced, and nothing applied (`plan` and
 * `cost`): the running release's inputs under the given variables (runningInputs), the root's
 * preflight, then one plan with providers started once.
 */
export async function planOnly(ctx: RunContext, environment: string, opts: PlanOnlyOptions): Promise<PlanStepResult> {
  const env = resolveEnvironment(ctx.config, environment);
  const vars = await runningInputs(ctx, env, opts.vars);
  await preflight(ctx, env, vars, "plan");
  return withProviders(ctx, env, async (providers) => {
    const result = await planStep(providers.context(ctx), env, {
      lockTimeoutMs: opts.lockTimeoutMs ?? ctx.config.lock.timeout,
      vars,
      cost: true,
      ...(opts.diff ? { diff: true } : {}),
      ...(opts.out ? { out: opts.out } : {}),
    });
    if (opts.out === undefined) await removePlanFile(result.planFile);
    return result;
  });
}
