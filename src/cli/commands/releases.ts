import { resolveEnvironment } from "../../config/load.js";
import { EvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import type { ReleaseRecord } from "../../ledger/types.js";
import { readRemoteLock } from "../../lock/remote.js";
import { abandonedWarning, isAbandoned } from "../../operations/pending.js";
import { openRemote, type EnvironmentRemote } from "../../operations/remote.js";
import { alignColumns } from "../../report/format.js";
import type { RunContext } from "../../operations/context.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function releasesListCommand(environment: string, opts: { limit: number }, globals: GlobalOptions): Promise<number> {
  return runCommand("releases list", environment, globals, async (cmd) => {
    const limit = opts.limit;
    const ctx = await cmd.loadContext();
    const remote = await requireRemote(ctx, environment);
    const releases = (await remote.ledger.list()).slice(0, limit);
    const live = await readRemoteLock(remote.store, remote.lockKey);
    const rows = releases.map((r) => ({ ...r, abandoned: isAbandoned(r, live) }));
    cmd.events.emit({ type: "data", kind: "releases", data: rows });
    if (rows.length === 0) cmd.events.emit({ type: "log", level: "info", message: `${environment} has no release yet` });
    else for (const line of table(rows)) cmd.events.emit({ type: "log", level: "info", message: line });
    for (const r of rows.filter((x) => x.abandoned))
      cmd.events.emit({ type: "log", level: "warn", message: abandonedWarning(environment, r) });
    return { summary: `${rows.length} release(s) of ${environment}` };
  });
}

export function historyCommand(environment: string, opts: { limit: number }, globals: GlobalOptions): Promise<number> {
  return runCommand("history", environment, globals, async (cmd) => {
    const limit = opts.limit;
    const ctx = await cmd.loadContext();
    const remote = await requireRemote(ctx, environment);
    const entries = (await remote.ledger.listAudit()).slice(-limit);
    cmd.events.emit({ type: "data", kind: "history", data: entries });
    for (const e of entries) {
      cmd.events.emit({
        type: "log",
        level: "info",
        message: `${e.at}  ${e.operation.padEnd(20)} ${e.outcome.padEnd(12)} ${e.actor}@${e.host}${e.releaseId ? `  ${e.releaseId}` : ""}${e.detail ? `  ${e.detail}` : ""}`,
      });
    }
    return { summary: `${entries.length} audit entr${entries.length === 1 ? "y" : "ies"} of ${environment}` };
  });
}

export async function requireRemote(ctx: RunContext, environment: string): Promise<EnvironmentRemote> {
  const env = resolveEnvironment(ctx.config, environment);
  const remote = await openRemote(ctx, env);
  if (!remote) {
    throw new EvalapError("no_ledger", `${environment} has no remote: no release ledger, audit trail or remote lock`, {
      exitCode: ExitCode.Usage,
      hint: `declare environments.${environment}.remote (the state bucket) in evalap-infra.json`,
    });
  }
  return remote;
}

function table(rows: Array<ReleaseRecord & { abandoned: boolean }>): string[] {
  const header = ["RELEASE", "KIND", "STATUS", "ACTOR", "CHANGES", "IMAGES"];
  const body = rows.map((r) => [
    r.id,
    r.kind === "rollback" ? `rollback→${r.rollbackOf ?? "?"}`.slice(0, 40) : r.kind,
    r.abandoned ? "pending (abandoned)" : r.status,
    r.actor,
    r.plan ? `+${r.plan.counts.create} ~${r.plan.counts.update} -/+${r.plan.counts.replace} -${r.plan.counts.delete}` : "",
    Object.entries(r.images)
      .map(([k, v]) => `${k}=${v.split("/").pop() ?? v}`)
      .join(" "),
  ]);
  return alignColumns([header, ...body]);
}
