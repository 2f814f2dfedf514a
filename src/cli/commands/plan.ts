import path from "node:path";
import { resolveEnvironment } from "../../config/load.js";
import { ExitCode } from "../../core/exit-codes.js";
import { formatCostLine } from "../../cost/format.js";
import { runningInputs } from "../../operations/deploy-release.js";
import { planStep } from "../../operations/plan.js";
import { preflight } from "../../operations/preflight.js";
import { formatPlanCounts } from "../../report/format.js";
import { withProviders } from "../../operations/providers.js";
import { removePlanFile } from "../../tofu/commands.js";
import { parseLockTimeout, parseVars } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface PlanFlags {
  detailedExitcode?: boolean;
  /** Read the attribute-level changes (tofu show -json) even when nobody is at the terminal. */
  diff?: boolean;
  out?: string;
  lockTimeout?: string;
  var: string[];
}

export function planCommand(environment: string, flags: PlanFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("plan", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const given = parseVars(flags.var);
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    const vars = await runningInputs(ctx, env, given);
    const out = flags.out === undefined ? undefined : path.resolve(flags.out);
    await preflight(ctx, env, vars, "plan");
    // The attribute-level changes cost one more tofu process: read them when asked or when someone is at the terminal.
    const diff = flags.diff === true || ctx.confirm !== null;
    const lockTimeout = lockTimeoutMs ?? ctx.config.lock.timeout;
    const planned = await withProviders(ctx, env, async (providers) => {
      // The estimated monthly cost of the environment and of the change comes from the same plan (src/cost/).
      const result = await planStep(providers.context(ctx), env, {
        lockTimeoutMs: lockTimeout,
        vars,
        diff,
        cost: true,
        ...(out ? { out } : {}),
      });
      if (out === undefined) await removePlanFile(result.planFile);
      return result;
    });
    const changes = planned.summary.hasChanges;
    const cost = planned.cost ? `; ${formatCostLine(planned.cost)}` : "";
    return {
      summary: `plan for ${environment}: ${formatPlanCounts(planned.summary)}${cost}${out ? ` (saved to ${out})` : ""}`,
      exitCode: flags.detailedExitcode && changes ? ExitCode.ChangesPresent : ExitCode.Ok,
      ...(planned.cost ? { cost: planned.cost } : {}),
    };
  });
}
