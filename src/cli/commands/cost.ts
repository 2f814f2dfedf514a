import { resolveEnvironment } from "../../config/load.js";
import { EvalapError } from "../../core/errors.js";
import { formatCostLine } from "../../cost/format.js";
import { runningInputs } from "../../operations/deploy-release.js";
import { planStep } from "../../operations/plan.js";
import { preflight } from "../../operations/preflight.js";
import { withProviders } from "../../operations/providers.js";
import { removePlanFile } from "../../tofu/commands.js";
import { parseLockTimeout, parseVars } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface CostFlags {
  lockTimeout?: string;
  var: string[];
}

/**
 * Plans the environment (nothing is applied; the plan file is removed) and prices it from the
 * plan: before (its state), after, and the change. The breakdown is the cost.estimate event.
 */
export function costCommand(environment: string, flags: CostFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("cost", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const given = parseVars(flags.var);
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    const vars = await runningInputs(ctx, env, given);
    await preflight(ctx, env, vars, "plan");
    const planned = await withProviders(ctx, env, async (providers) => {
      const result = await planStep(providers.context(ctx), env, {
        lockTimeoutMs: lockTimeoutMs ?? ctx.config.lock.timeout,
        vars,
        cost: true,
      });
      await removePlanFile(result.planFile);
      return result;
    });
    // planStep warned when show failed; without the plan there is nothing to price.
    if (!planned.cost) {
      throw new EvalapError(
        "cost_unavailable",
        `the plan of ${environment} could not be read, so it could not be priced (tofu show failed: see the warning above)`,
        {
          hint: "run `evalap-infra plan " + environment + " --diff` to see the error of tofu show, fix it and run cost again",
        },
      );
    }
    return { summary: `cost of ${environment}: ${formatCostLine(planned.cost)}`, cost: planned.cost };
  });
}
