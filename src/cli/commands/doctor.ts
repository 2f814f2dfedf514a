import { EvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { doctor, type DoctorInput } from "../../operations/doctor.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function doctorCommand(globals: GlobalOptions): Promise<number> {
  return runCommand("doctor", undefined, globals, async (cmd) => {
    // The config first, so the tofu checked is the one the commands run (its tofu.binary).
    const config: DoctorInput["config"] = await cmd.loadContext().then(
      (ctx) => ({ ok: true as const, value: ctx.config }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const { toolchain, tofu } = await cmd.tooling();
    const checks = await doctor({ config, toolchain, tofu });
    cmd.events.emit({ type: "data", kind: "doctor", data: checks });
    // One line per check, with its own mark: a report (stdout), not warnings that would add a second one.
    for (const c of checks) {
      const mark = c.ok ? "✔" : c.required ? "✖" : "–";
      const fix = !c.ok && c.fix ? `\n    fix: ${c.fix}` : "";
      cmd.events.emit({ type: "log", level: "info", message: `${mark} ${c.name}: ${c.detail}${fix}` });
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
