import { EvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { doctor } from "../../operations/doctor.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function doctorCommand(globals: GlobalOptions): Promise<number> {
  return runCommand("doctor", undefined, globals, async (cmd) => {
    const checks = await doctor(process.cwd(), globals.config, cmd.toolchain, cmd.tofu);
    cmd.events.emit({ type: "data", kind: "doctor", data: checks });
    for (const c of checks) {
      const mark = c.ok ? "✔" : c.required ? "✖" : "–";
      cmd.events.emit({ type: "log", level: c.ok || !c.required ? "info" : "warn", message: `${mark} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n    fix: ${c.fix}` : ""}` });
    }
    const failed = checks.filter((c) => c.required && !c.ok);
    if (failed.length > 0) {
      throw new EvalapError("prerequisite_missing", `${failed.length} check(s) failed: ${failed.map((c) => c.name).join(", ")}`, {
        exitCode: ExitCode.Prerequisite,
        hint: "apply the fixes listed above, then run `evalap-infra doctor` again",
      });
    }
    return { summary: "everything needed is in place" };
  });
}
