import { rollback } from "../../operations/rollback.js";
import { parseLockTimeout } from "../flags.js";
import { assertHealthy } from "../release-outcome.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface RollbackFlags {
  to?: string;
  yes?: boolean;
  allowDestroy: string[];
  lockTimeout?: string;
  restoreDatabase?: boolean;
}

export function rollbackCommand(environment: string, flags: RollbackFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("rollback", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const ctx = await cmd.loadContext();
    const ended = await rollback(ctx, {
      environment,
      yes: flags.yes === true,
      allowDestroy: flags.allowDestroy,
      restoreDatabase: flags.restoreDatabase === true,
      ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });
    // The rollback release is unhealthy too: exit 8 with the use case's message and hint.
    const result = assertHealthy(ended);
    cmd.events.emit({
      type: "data",
      kind: "rollback",
      data: { target: result.rollback.target.id, release: result.release?.id ?? null, durationMs: result.durationMs },
    });
    return { summary: result.summary };
  });
}
