import { ExitCode } from "../../core/exit-codes.js";
import { checkDrift } from "../../operations/drift.js";
import type { DriftedResource } from "../../tofu/plan-summary.js";
import { parseLockTimeout } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface DriftFlags {
  lockTimeout?: string;
}

export function driftCommand(environment: string, flags: DriftFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("drift", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const ctx = await cmd.loadContext();
    const report = await checkDrift(ctx, { environment, ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) });
    cmd.events.emit({ type: "data", kind: "drift", data: report });
    for (const r of report.resources) for (const line of driftLines(r)) cmd.events.emit({ type: "log", level: "info", message: line });
    for (const o of report.outputChanges) cmd.events.emit({ type: "log", level: "info", message: `~ output ${o} changes` });
    if (report.ignored.length > 0) {
      const message = `not drift: ${report.ignored.length} resource(s) differ only in values the provider computes or reads back as zero (${report.ignored.join(", ")})`;
      cmd.events.emit({ type: "log", level: "info", message });
    }
    if (!report.drifted) return { summary: `no drift in ${environment}: the remote objects match the state` };
    const what = [
      `${report.resources.length} resource(s)`,
      ...(report.outputChanges.length > 0 ? [`${report.outputChanges.length} output(s)`] : []),
    ];
    return {
      summary: `drift in ${environment}: ${what.join(" and ")} changed outside tofu (nothing was changed; \`evalap-infra deploy ${environment}\` puts the configuration back)`,
      exitCode: ExitCode.ChangesPresent,
    };
  });
}

/** `~ address (changed outside tofu)` then one line per attribute, state → remote. */
export function driftLines(r: DriftedResource): string[] {
  if (r.action === "delete") return [`- ${r.address} (deleted outside tofu)`];
  const lines = [`~ ${r.address} (changed outside tofu)`];
  for (const a of r.attributes) lines.push(`    ${a.path}: ${a.before ?? "(none)"} → ${a.after ?? "(none)"}`);
  if (r.attributesOmitted) lines.push(`    … and ${r.attributesOmitted} more attribute(s)`);
  return lines;
}
