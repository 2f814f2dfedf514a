import { EvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { resolveEnvironment } from "../../config/load.js";
import { currentHolder } from "../../lock/holder.js";
import { localHolderFile, readHolder } from "../../lock/local.js";
import { forceReleaseRemoteLock, readRemoteLock, type ForcedRelease, type RemoteLockRead } from "../../lock/remote.js";
import { stateDir } from "../../operations/context.js";
import { formatDuration, formatHolder } from "../../report/format.js";
import { abandonedWarning, isAbandoned } from "../../operations/pending.js";
import { audit, openRemote } from "../../operations/remote.js";
import { forceUnlockState } from "../../operations/state.js";
import { requireRemote } from "./releases.js";
import { parseLockTimeout } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function lockStatusCommand(environment: string, globals: GlobalOptions): Promise<number> {
  return runCommand("lock status", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    const local = await readHolder(localHolderFile(await stateDir(ctx.config, "locks"), env.name));
    const remote = await openRemote(ctx, env);
    const remoteLock = remote ? await readRemoteLock(remote.store, remote.lockKey) : null;
    cmd.events.emit({ type: "data", kind: "lock", data: { environment, local, remote: remoteLock ? lockData(remoteLock) : null } });
    cmd.events.emit({ type: "log", level: "info", message: `local:  ${local ? `held by ${formatHolder(local)}` : "free"}` });
    if (remote) cmd.events.emit({ type: "log", level: "info", message: `remote: ${describeLock(remoteLock, environment)}` });
    const pending = remote ? await remote.ledger.pending() : [];
    for (const p of pending.filter((x) => isAbandoned(x, remoteLock)))
      cmd.events.emit({ type: "log", level: "warn", message: abandonedWarning(environment, p) });
    return { summary: `lock status of ${environment}` };
  });
}

/** The lock as data: its state, record (or raw problem), and its times on the bucket's clock. */
function lockData(read: RemoteLockRead): Record<string, unknown> {
  const times = { lastModified: read.lastModified.toISOString(), ageMs: read.ageMs };
  return read.state === "malformed"
    ? { state: read.state, problem: read.problem, ...times }
    : { state: read.state, ...read.record, ...times };
}

/** One line for humans; the lease end is the bucket's write time plus the lease, never a writer's clock. */
function describeLock(read: RemoteLockRead | null, environment: string): string {
  if (!read || read.state === "released") return "free";
  const age = `written ${formatDuration(read.ageMs)} ago on the bucket's clock`;
  if (read.state === "malformed")
    return `the lock object is unreadable (${read.problem}; ${age}): it counts as held until it is a lease old; \`evalap-infra lock release ${environment} --force --yes\` clears it`;
  if (read.state === "expired") return `lease expired (${age}; was ${formatHolder(read.record.holder)}): the next run takes it over`;
  const until = new Date(read.lastModified.getTime() + read.record.leaseMs).toISOString();
  return `held by ${formatHolder(read.record.holder)}, lease until about ${until} (${age})`;
}

export interface LockReleaseFlags {
  force?: boolean;
  yes?: boolean;
  /** A tofu state lock id to release instead of the remote lease. */
  state?: string;
  lockTimeout?: string;
}

export function lockReleaseCommand(environment: string, opts: LockReleaseFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("lock release", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    if (opts.state !== undefined) {
      requireForce(
        opts,
        environment,
        `tofu state lock ${opts.state}`,
        "make sure the run that holds it (named where it stopped, and in `tofu force-unlock`'s lock info) is gone: breaking it while it applies loses its state write",
      );
      const lockTimeoutMs = parseLockTimeout(opts.lockTimeout);
      return forceUnlockState(ctx, { environment, lockId: opts.state, ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) });
    }
    const remote = await requireRemote(ctx, environment);
    const current = await readRemoteLock(remote.store, remote.lockKey);
    if (current?.state === "released" || (current === null && !(opts.force && opts.yes)))
      return { summary: `the lock of ${environment} is not held: nothing to release` };
    cmd.events.emit({ type: "log", level: "info", message: `the lock of ${environment}: ${describeLock(current, environment)}` });
    requireForce(opts, environment, "the lock", "make sure the holder above is not deploying (two deploys would overlap)");
    const by = currentHolder(ctx.commandLine);
    // Even an absent-looking or unreadable lock object is overwritten: that is what --force is for.
    const previous = await forceReleaseRemoteLock(remote.store, remote.lockKey, by);
    const was = describeForced(previous);
    await audit(ctx, remote, by, { environment, operation: "lock.force-release", outcome: "ok", detail: `was ${was}` });
    return { summary: `released the lock of ${environment} (${was})` };
  });
}

function requireForce(opts: LockReleaseFlags, environment: string, what: string, check: string): void {
  if (opts.force && opts.yes) return;
  throw new EvalapError("force_required", `breaking ${what} of ${environment} needs --force and --yes`, {
    exitCode: ExitCode.Usage,
    hint: `${check}, then run again with --force --yes`,
  });
}

function describeForced(previous: ForcedRelease | null): string {
  if (!previous || previous.state === "released") return "free";
  if (previous.state === "unreadable") return "an unreadable object";
  if (previous.state === "malformed") return `an unreadable lock object (${previous.problem})`;
  const h = previous.record.holder;
  return `held by ${h.user}@${h.host} (pid ${h.pid}, "${h.command}")`;
}
