import path from "node:path";
import { ExitCode } from "../../core/exit-codes.js";
import { formatCostLine } from "../../cost/format.js";
import { planOnly } from "../../operations/plan-only.js";
import { formatPlanCounts } from "../../report/format.js";
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
    const vars = parseVars(flags.var);
    const ctx = await cmd.loadContext();
    const out = flags.out === undefined ? undefined : path.resolve(flags.out);
    // The attribute-level changes cost one more tofu process: read them when asked or when someone is at the terminal.
    const diff = flags.diff === true || ctx.confirm !== null;
    // The estimated monthly cost of the environment and of the change comes from the same plan (src/cost/).
    const planned = await planOnly(ctx, environment, {
      vars,
      diff,
      ...(out ? { out } : {}),
      ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
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
