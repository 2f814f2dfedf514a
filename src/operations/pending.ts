import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { ReleaseRecord } from "../ledger/types.js";
import type { RemoteLockRead } from "../lock/remote.js";
import { listRecoveryFiles } from "../tofu/recovery.js";
import type { EnvironmentRemote } from "./remote.js";
import type { RunContext } from "./context.js";

export class PendingReleaseError extends EvalapError {
  readonly release: ReleaseRecord;
  constructor(environment: string, release: ReleaseRecord) {
    super(
      "pending_release",
      `release ${release.id} of ${environment} (${release.kind} by ${release.actor}@${release.host}, ${release.createdAt}) was left pending: its run stopped before the health check${release.statusReason ? ` (${release.statusReason})` : ""}`,
      {
        exitCode: ExitCode.PendingRelease,
        hint: `run \`evalap-infra deploy ${environment} --resume\` to finish it (re-apply its inputs and check health), or \`evalap-infra rollback ${environment}\` to return to the last healthy release`,
      },
    );
    this.name = "PendingReleaseError";
    this.release = release;
  }
}

/** tofu applied changes whose state is not in the backend yet: any plan now would be made against stale state. */
export class StateNotPushedError extends EvalapError {
  constructor(message: string, hint: string) {
    super("state_not_persisted", message, { exitCode: ExitCode.StateNotPersisted, hint });
    this.name = "StateNotPushedError";
  }
}

/**
 * Releases left pending by a run that died (kill -9, lost machine). Called while holding the
 * environment's locks, so no live run can own them: every pending release found is abandoned.
 */
export async function abandonedReleases(ctx: RunContext, remote: EnvironmentRemote): Promise<ReleaseRecord[]> {
  const pending = await remote.ledger.pending();
  for (const r of pending) {
    ctx.events.emit({
      type: "log",
      level: "warn",
      message: `release ${r.id} (${r.kind} by ${r.actor}@${r.host} at ${r.createdAt}) was left pending by a run that stopped`,
    });
  }
  return pending;
}

/**
 * Refuses to plan over a state that tofu could not save: the applied resources are only in a file
 * on some machine (this one: `.evalap-infra/recovery/`, or the host the ledger names) until
 * `evalap-infra state push` puts it in the backend.
 */
export async function assertStatePersisted(ctx: RunContext, environment: string, remote: EnvironmentRemote | null): Promise<void> {
  const push = `evalap-infra state push ${environment}`;
  const local = await listRecoveryFiles(ctx.config.projectDir, environment);
  if (local.length > 0) {
    throw new StateNotPushedError(
      `${environment}: tofu applied changes whose state it could not save; the state is kept in ${local.map((f) => f.file).join(", ")}`,
      `run \`${push}\` on this machine (under the lock; tofu refuses a stale or foreign state), then deploy again`,
    );
  }
  const first = remote ? await newestUnpersisted(remote) : undefined;
  if (first) {
    throw new StateNotPushedError(
      `${environment}: release ${first.id} applied changes whose state was not saved (${first.statusReason ?? `kept on ${first.host}`})`,
      `run \`${push}\` on ${first.host}, where the state file is kept; do not deploy from elsewhere until then`,
    );
  }
}

/** The newest `unpersisted` release among the recent ones (a run resolves these before any other). */
async function newestUnpersisted(remote: EnvironmentRemote): Promise<ReleaseRecord | undefined> {
  let seen = 0;
  for await (const r of remote.ledger.newestFirst()) {
    if (r.status === "unpersisted") return r;
    if (++seen >= RECENT_WINDOW) break;
  }
  return undefined;
}

/** How many of the newest releases are searched for unfinished business. */
const RECENT_WINDOW = 50;

/** Closes abandoned releases once the operator has decided (resume, rollback). */
export async function closeAbandoned(
  remote: EnvironmentRemote,
  releases: ReleaseRecord[],
  status: "superseded" | "failed",
  reason: string,
): Promise<void> {
  for (const r of releases) {
    await remote.ledger.update(r.id, (cur) =>
      cur.status === "pending" ? { ...cur, status, statusReason: reason, finishedAt: new Date().toISOString() } : cur,
    );
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
