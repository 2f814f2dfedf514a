import { EvalapError } from "../../core/errors.js";
import { formatCostLine } from "../../cost/format.js";
import { planOnly } from "../../operations/plan-only.js";
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
    const vars = parseVars(flags.var);
    const ctx = await cmd.loadContext();
    const planned = await planOnly(ctx, environment, { vars, ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }) });
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
