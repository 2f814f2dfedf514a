import os from "node:os";
import type { ReleaseRecord } from "../ledger/types.js";
import * as tofu from "../tofu/commands.js";
import { listRecoveryFiles, pushRecoveredState } from "../tofu/recovery.js";
import { initStep } from "./plan.js";
import { audit, withEnvironment, type EnvironmentRemote } from "./remote.js";
import { step, type RunContext } from "./context.js";

export interface StateCommandOptions {
  environment: string;
  lockTimeoutMs?: number;
}

export interface StatePushResult {
  pushed: string[];
  /** Releases that were `unpersisted` and are now `pending` (resume or roll back). */
  reopened: string[];
  summary: string;
}

/**
 * state push: puts the state that tofu applied but could not save (kept in
 * .evalap-infra/recovery/<env>/) into the backend, under the environment's locks. tofu itself
 * refuses a state of another lineage or an older serial. The releases it belonged to become
 * `pending`: the next deploy asks to resume (check health) or roll back.
 */
export async function pushState(ctx: RunContext, opts: StateCommandOptions): Promise<StatePushResult> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, async (locked, { env, remote, holder, lockTimeoutMs }) => {
    const files = await listRecoveryFiles(ctx.config.projectDir, env.name);
    if (files.length === 0)
      return { pushed: [], reopened: [], summary: `${env.name} has no unsaved state on this machine: nothing to push` };
    await initStep(locked, env);
    const pushed: string[] = [];
    try {
      // Oldest first: each later one has a higher serial, and tofu checks that.
      for (const f of files) {
        await step(
          locked,
          "state push",
          () => pushRecoveredState(locked, env, f.file, lockTimeoutMs),
          () => ({ detail: f.file }),
        );
        pushed.push(f.file);
      }
    } catch (err) {
      await audit(locked, remote, holder, {
        environment: env.name,
        operation: "state.push",
        outcome: "failed",
        detail: err instanceof Error ? err.message : String(err),
      });
      throw err;
    }
    const reopened = remote ? await reopenUnpersisted(remote, ctx.commandLine) : [];
    await audit(locked, remote, holder, {
      environment: env.name,
      operation: "state.push",
      outcome: "ok",
      detail: `${pushed.length} state file(s) pushed${reopened.length ? `; releases ${reopened.join(", ")} reopened` : ""}`,
    });
    const next =
      reopened.length > 0
        ? `; run \`evalap-infra deploy ${env.name} --resume\` to check its health, or \`evalap-infra rollback ${env.name}\``
        : "";
    return { pushed, reopened, summary: `pushed the unsaved state of ${env.name}${next}` };
  });
}

/** The releases of this host whose state was unsaved: pending again, so that the operator decides. */
async function reopenUnpersisted(remote: EnvironmentRemote, commandLine: string): Promise<string[]> {
  const mine: ReleaseRecord[] = [];
  let seen = 0;
  for await (const r of remote.ledger.newestFirst()) {
    if (r.status === "unpersisted" && r.host === os.hostname()) mine.push(r);
    if (++seen >= 50) break;
  }
  for (const r of mine) {
    await remote.ledger.settle(
      r.id,
      { status: "pending", statusReason: `its state was pushed by \`${commandLine}\`; not health-checked yet` },
      remote.journal,
    );
  }
  return mine.map((r) => r.id);
}

export interface StateUnlockOptions extends StateCommandOptions {
  lockId: string;
}

/**
 * lock release --state ID: the operator's `tofu force-unlock`, once they have checked the holder
 * is gone. It runs under the environment's locks (no run of this tool is in the middle of a tofu
 * step) and is recorded in the audit trail.
 */
export async function forceUnlockState(ctx: RunContext, opts: StateUnlockOptions): Promise<{ summary: string }> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, async (locked, { env, remote, holder }) => {
    await initStep(locked, env);
    try {
      await step(locked, "force-unlock", () => tofu.forceUnlock(locked.tofu, env.rootDir, opts.lockId));
    } catch (err) {
      await audit(locked, remote, holder, {
        environment: env.name,
        operation: "lock.force-release-state",
        outcome: "failed",
        detail: `${opts.lockId}: ${err instanceof Error ? err.message : String(err)}`,
      });
      throw err;
    }
    await audit(locked, remote, holder, {
      environment: env.name,
      operation: "lock.force-release-state",
      outcome: "ok",
      detail: `tofu state lock ${opts.lockId}`,
    });
    return { summary: `released the tofu state lock ${opts.lockId} of ${env.name}` };
  });
}
