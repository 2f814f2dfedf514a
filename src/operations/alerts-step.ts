import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError, InterruptedError } from "../core/errors.js";
import type { OutputValue } from "../tofu/commands.js";
import { environmentGroups, summary, syncAlerts, type AlertsSyncReport } from "./alerts.js";
import type { RunContext } from "./context.js";

/** What the deploy's alert-rules step did: nothing to do, synced, or failed (the release stays healthy). */
export type AlertsStepResult =
  | { status: "skipped"; reason: string }
  | { status: "synced"; report: AlertsSyncReport }
  | { status: "failed"; error: { code: string; message: string; hint?: string } };

/**
 * The deploy's last step, after a healthy release, under its locks: push the rule files
 * (`alerts.deploy`, on by default; nothing to do without files). A failure here never rolls the
 * release back, which is healthy: it is reported as a warning naming the command that retries it,
 * and the deploy exits 17. Only an interruption stops the run as such.
 */
export async function alertsAfterDeploy(
  ctx: RunContext,
  env: ResolvedEnvironment,
  outputs: Record<string, OutputValue>,
): Promise<AlertsStepResult> {
  if (!ctx.config.alerts.deploy) return { status: "skipped", reason: "alerts.deploy is false" };
  try {
    const loaded = await environmentGroups(ctx, env);
    if (loaded === null) return { status: "skipped", reason: `no rule files in ${ctx.config.alerts.dir}` };
    const report = await syncAlerts(ctx, env, loaded.groups, loaded.files, outputs);
    ctx.events.emit({ type: "data", kind: "alerts.sync", data: report });
    return { status: "synced", report };
  } catch (err) {
    if (err instanceof InterruptedError || ctx.signal.aborted) throw err;
    const e =
      err instanceof EvalapError
        ? { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) }
        : { code: "internal", message: err instanceof Error ? err.message : String(err) };
    ctx.events.emit({
      type: "log",
      level: "warn",
      message: `${env.name} is deployed and healthy, but its alert rules were not synced: ${e.message}${e.hint ? ` (${e.hint})` : ""}; retry with \`evalap-infra alerts sync ${env.name}\``,
    });
    return { status: "failed", error: e };
  }
}

/** One line for the deploy's summary. */
export function alertsLine(r: AlertsStepResult): string {
  if (r.status === "skipped") return "";
  if (r.status === "synced") return `; alert rules ${summary(r.report)}`;
  return "; alert rules NOT synced";
}
