import { validateAll } from "../../operations/validate.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function validateCommand(globals: GlobalOptions): Promise<number> {
  return runCommand("validate", undefined, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const report = await validateAll(ctx);
    return { summary: `${report.roots.length} root(s) and module(s) valid and formatted` };
  });
}
