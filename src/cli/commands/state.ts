import { pushState } from "../../operations/state.js";
import { parseLockTimeout } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function statePushCommand(environment: string, opts: { lockTimeout?: string }, globals: GlobalOptions): Promise<number> {
  return runCommand("state push", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(opts.lockTimeout);
    const ctx = await cmd.loadContext();
    const result = await pushState(ctx, { environment, ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) });
    cmd.events.emit({ type: "data", kind: "state.push", data: { environment, pushed: result.pushed, reopened: result.reopened } });
    return { summary: result.summary };
  });
}
