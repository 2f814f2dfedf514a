import { resolveEnvironment } from "../../config/load.js";
import { initStep } from "../../operations/plan.js";
import { listSecrets } from "../../operations/secrets.js";
import { secretsTable } from "../../secrets/table.js";
import { runCommand, type GlobalOptions } from "../run.js";

/** Read-only: no lock (a deploy running meanwhile changes what the next listing shows, nothing more). */
export function secretsListCommand(environment: string, globals: GlobalOptions): Promise<number> {
  return runCommand("secrets list", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    await initStep(ctx, env);
    const report = await listSecrets(ctx, env);
    cmd.events.emit({ type: "data", kind: "secrets.list", data: report });
    for (const line of secretsTable(report.secrets)) cmd.events.emit({ type: "log", level: "info", message: line });
    if (!report.revisionsKnown) {
      cmd.events.emit({
        type: "log",
        level: "warn",
        message: `${environment}'s root has no secret_revisions output yet: which revision the containers run is unknown until the next \`evalap-infra deploy ${environment}\``,
      });
    }
    for (const s of report.unmanaged) {
      cmd.events.emit({
        type: "log",
        level: "warn",
        message: `unmanaged: ${s.path}/${s.name} (${s.id}, ${s.versionCount} version(s)) is under ${report.path} but not in the root's secret_ids`,
      });
    }
    const stale = report.secrets.filter((s) => s.current === false).map((s) => s.name);
    const due = report.secrets.filter((s) => s.due).map((s) => s.name);
    const parts = [`${report.secrets.length} secret(s) of ${environment}`];
    if (stale.length > 0) parts.push(`not current: ${stale.join(", ")}`);
    if (due.length > 0) parts.push(`due: ${due.join(", ")}`);
    if (report.unmanaged.length > 0) parts.push(`${report.unmanaged.length} unmanaged`);
    return { summary: parts.join("; ") };
  });
}
