import type { ResolvedEnvironment } from "../config/load.js";
import type { RunContext } from "../operations/context.js";
import * as tofu from "../tofu/commands.js";
import { parseStateLockInfo, type StateLockInfo } from "../tofu/diagnostics.js";
import { operationName, StateLockHeldError, TofuError } from "../tofu/errors.js";
import { removeRunRecord } from "../tofu/run-record.js";
import { proveStateLockHolderDead, type StateLockProof } from "./proof.js";

/** The holder of the state lock tofu failed on, when that is why it failed. */
export function heldStateLock(err: unknown): StateLockInfo | null {
  if (!(err instanceof TofuError) || !err.failure.transient || err.failure.reason !== "state_lock") return null;
  return parseStateLockInfo([...err.diagnostics.map((d) => `${d.summary}\n${d.detail ?? ""}`), err.stderr].join("\n"));
}

/**
 * Runs a tofu step that takes the state lock. The first attempt does not wait for the lock: a
 * lock whose holder is proven dead is broken at once (force-unlock, `lock.recovered`) and the step
 * runs again. A lock not proven dead is waited for, the run's whole lock timeout (tofu's own
 * -lock-timeout); if it is still held then, StateLockHeldError: never broken on a guess.
 */
export async function withStateLock<T>(ctx: RunContext, env: ResolvedEnvironment, lockTimeoutMs: number, run: (lockTimeoutMs: number) => Promise<T>): Promise<T> {
  const broken = new Set<string>();
  let waited = lockTimeoutMs <= 0;
  for (;;) {
    try {
      return await run(waited ? lockTimeoutMs : 0);
    } catch (err) {
      const lock = heldStateLock(err);
      if (lock === null) throw err;
      const proof = await proveStateLockHolderDead(lock, env.rootDir, ctx.tofu.runRecordDir);
      if (proof.dead && !broken.has(lock.id)) {
        await breakDeadStateLock(ctx, env, lock, proof);
        broken.add(lock.id);
      } else if (!waited) {
        waited = true;
      } else {
        throw new StateLockHeldError(env.name, lock, proof.reason, err);
      }
    }
  }
}

async function breakDeadStateLock(ctx: RunContext, env: ResolvedEnvironment, lock: StateLockInfo, proof: StateLockProof): Promise<void> {
  await tofu.forceUnlock(ctx.tofu, env.rootDir, lock.id);
  if (proof.recordFile) await removeRunRecord(proof.recordFile);
  ctx.events.emit({
    type: "lock.recovered",
    environment: env.name,
    scope: "state",
    previousHolder: null,
    reason: `tofu state lock ${lock.id} (${lock.who ?? "unknown"}, ${operationName(lock.operation)}) broken: ${proof.reason}`,
  });
}
