import { deploy } from "../../operations/deploy.js";
import { formatPlanCounts } from "../../report/format.js";
import { parseLockTimeout, parseVars } from "../flags.js";
import type { DeployFlags } from "../main.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function deployCommand(environment: string, flags: DeployFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("deploy", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const vars = parseVars(flags.var);
    const ctx = await cmd.loadContext();
    const result = await deploy(ctx, {
      environment,
      yes: flags.yes === true,
      allowDestroy: flags.allowDestroy,
      vars,
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });
    return { summary: result.changed ? `deployed ${environment}: ${formatPlanCounts(result.summary)}` : `${environment} is up to date: no changes` };
  });
}
