import path from "node:path";
import { EvalapError } from "../../core/errors.js";
import { findConfigFile } from "../../config/load.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function scanCommand(globals: GlobalOptions): Promise<number> {
  return runCommand("scan", undefined, globals, async (cmd) => {
    const { runScan } = await import("../../scan/index.js");
    const root = path.dirname(await findConfigFile(process.cwd(), globals.config));
    const report = await runScan(root);
    cmd.events.emit({ type: "data", kind: "scan", data: report });
    for (const f of report.findings)
      cmd.events.emit({ type: "diagnostic", severity: "error", summary: `${f.file}:${f.line}: ${f.message}`, detail: `rule ${f.rule}` });
    if (!report.ok) {
      throw new EvalapError("scan_failed", `scan found ${report.findings.length} problem(s)`, {
        hint: "move secrets to Secret Manager or the CI secret store, and use only the Scaleway provider and OpenTofu built-ins",
      });
    }
    return { summary: "scan passed: no hard-coded secrets, only Scaleway and built-in providers" };
  });
}
