import { validateAll } from "../../operations/validate.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface ValidateFlags {
  /** Format the files tofu fmt reports, with the resolved tofu (which may not be on PATH). */
  fix?: boolean;
}

export function validateCommand(globals: GlobalOptions, flags: ValidateFlags = {}): Promise<number> {
  return runCommand("validate", undefined, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const report = await validateAll(ctx, { fix: flags.fix === true });
    const formatted =
      report.formatted.length > 0 ? ` (formatted ${report.formatted.length} file${report.formatted.length === 1 ? "" : "s"})` : "";
    return { summary: `${report.roots.length} root(s) and module(s) valid and formatted${formatted}` };
  });
}
