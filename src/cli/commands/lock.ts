import { EvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { resolveEnvironment } from "../../config/load.js";
import { currentHolder } from "../../lock/holder.js";
import { localHolderFile, readHolder } from "../../lock/local.js";
import { forceReleaseRemoteLock, readRemoteLock } from "../../lock/remote.js";
import { stateDir } from "../../operations/context.js";
import { formatHolder } from "../../report/format.js";
import { audit } from "../../operations/release.js";
import { abandonedWarning, isAbandoned } from "../../operations/pending.js";
import { openRemote } from "../../operations/remote.js";
import { requireRemote } from "./releases.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function lockStatusCommand(environment: string, globals: GlobalOptions): Promise<number> {
  return runCommand("lock status", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    const local = await readHolder(localHolderFile(await stateDir(ctx.config, "locks"), env.name));
    const remote = await openRemote(ctx, env);
    const remoteLock = remote ? await readRemoteLock(remote.store, remote.lockKey) : null;
    cmd.events.emit({ type: "data", kind: "lock", data: { environment, local, remote: remoteLock ? { state: remoteLock.state, ...remoteLock.record } : null } });
    cmd.events.emit({ type: "log", level: "info", message: `local:  ${local ? `held by ${formatHolder(local)}` : "free"}` });
    if (remote) {
      const r = remoteLock;
      const text = !r || r.state === "released" ? "free" : r.state === "expired" ? `lease expired at ${r.record.expiresAt} (was ${formatHolder(r.record.holder)}): the next run takes it over` : `held by ${formatHolder(r.record.holder)}, lease until ${r.record.expiresAt}`;
      cmd.events.emit({ type: "log", level: "info", message: `remote: ${text}` });
    }
    const pending = remote ? await remote.ledger.pending() : [];
    for (const p of pending.filter((x) => isAbandoned(x, remoteLock))) cmd.events.emit({ type: "log", level: "warn", message: abandonedWarning(environment, p) });
    return { summary: `lock status of ${environment}` };
  });
}

export function lockReleaseCommand(environment: string, opts: { force?: boolean; yes?: boolean }, globals: GlobalOptions): Promise<number> {
  return runCommand("lock release", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const remote = await requireRemote(ctx, environment);
    const current = await readRemoteLock(remote.store, remote.lockKey);
    if (!current || current.state === "released") return { summary: `the lock of ${environment} is not held: nothing to release` };
    cmd.events.emit({ type: "log", level: "info", message: `the lock of ${environment} is ${current.state === "expired" ? "expired, last" : ""} held by ${formatHolder(current.record.holder)}` });
    if (!opts.force || !opts.yes) {
      throw new EvalapError("force_required", `breaking the lock of ${environment} needs --force and --yes`, {
        exitCode: ExitCode.Usage,
        hint: "make sure the holder above is not deploying (two deploys would overlap), then run again with --force --yes",
      });
    }
    const by = currentHolder(ctx.commandLine);
    const previous = await forceReleaseRemoteLock(remote.store, remote.lockKey, by);
    await audit(ctx, remote, by, { environment, operation: "lock.force-release", outcome: "ok", detail: previous ? `was held by ${previous.holder.user}@${previous.holder.host} (pid ${previous.holder.pid}, "${previous.holder.command}")` : "was free" });
    return { summary: `released the lock of ${environment}${previous ? ` (held by ${previous.holder.user}@${previous.holder.host})` : ""}` };
  });
}
