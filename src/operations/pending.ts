import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { ReleaseRecord } from "../ledger/types.js";
import type { RemoteLockRead } from "../lock/remote.js";
import type { EnvironmentRemote } from "./remote.js";
import type { RunContext } from "./context.js";

export class PendingReleaseError extends EvalapError {
  readonly release: ReleaseRecord;
  constructor(environment: string, release: ReleaseRecord) {
    super("pending_release", `release ${release.id} of ${environment} (${release.kind} by ${release.actor}@${release.host}, ${release.createdAt}) was left pending: its run stopped before the health check`, {
      exitCode: ExitCode.PendingRelease,
      hint: `run \`evalap-infra deploy ${environment} --resume\` to finish it (re-apply its inputs and check health), or \`evalap-infra rollback ${environment}\` to return to the last healthy release`,
    });
    this.name = "PendingReleaseError";
    this.release = release;
  }
}

/**
 * Releases left pending by a run that died (kill -9, lost machine). Called while holding the
 * environment's locks, so no live run can own them: every pending release found is abandoned.
 */
export async function abandonedReleases(ctx: RunContext, remote: EnvironmentRemote): Promise<ReleaseRecord[]> {
  const pending = await remote.ledger.pending();
  for (const r of pending) {
    ctx.events.emit({ type: "log", level: "warn", message: `release ${r.id} (${r.kind} by ${r.actor}@${r.host} at ${r.createdAt}) was left pending by a run that stopped` });
  }
  return pending;
}

/** Closes abandoned releases once the operator has decided (resume, rollback). */
export async function closeAbandoned(remote: EnvironmentRemote, releases: ReleaseRecord[], status: "superseded" | "failed", reason: string): Promise<void> {
  for (const r of releases) {
    await remote.ledger.update(r.id, (cur) => (cur.status === "pending" ? { ...cur, status, statusReason: reason, finishedAt: new Date().toISOString() } : cur));
  }
}

/** Seen from outside the lock: a pending release is abandoned unless its run holds the lease now. */
export function isAbandoned(release: ReleaseRecord, lock: RemoteLockRead | null): boolean {
  return release.status === "pending" && !(lock?.state === "held" && lock.record.holder.id === release.runId);
}

/** The warning that names an abandoned release and the two ways on. */
export function abandonedWarning(environment: string, release: ReleaseRecord): string {
  return `release ${release.id} was left pending by a run that stopped: \`evalap-infra deploy ${environment} --resume\` or \`evalap-infra rollback ${environment}\``;
}
