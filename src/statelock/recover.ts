import type { ResolvedEnvironment } from "../config/load.js";
import type { RunContext } from "../operations/context.js";
import * as tofu from "../tofu/commands.js";
import type { StateLockInfo } from "../tofu/diagnostics.js";
import { operationName, StateLockHeldError, TofuStateLockError } from "../tofu/errors.js";
import { removeRunRecord } from "../tofu/run-record.js";
import { proveStateLockHolderDead, type StateLockProof } from "./proof.js";

/** The holder of the state lock tofu failed on, when that is why it failed. */
export function heldStateLock(err: unknown): StateLockInfo | null {
  return err instanceof TofuStateLockError ? err.lock : null;
}

/** While a state lock is waited for, how often its holder is checked again (tofu waits this long per attempt). */
const RECHECK_MS = 5000;

/**
 * Runs a tofu step that takes the state lock. The first attempt does not wait for the lock: a
 * lock whose holder is proven dead is broken at once (force-unlock, `lock.recovered`) and the step
 * runs again. A lock not proven dead is waited for up to the run's lock timeout, in attempts of
 * RECHECK_MS (tofu's own -lock-timeout) with the proof tried again after each: a holder that dies
 * while we wait (a killed run's tofu, dead of SIGPIPE once it writes) leaves its lock behind, which
 * tofu alone would wait on to the end. Still held at the timeout: StateLockHeldError, never broken on a guess.
 */
export async function withStateLock<T>(
  ctx: RunContext,
  env: ResolvedEnvironment,
  lockTimeoutMs: number,
  run: (lockTimeoutMs: number) => Promise<T>,
): Promise<T> {
  const broken = new Set<string>();
  // Set when the lock is first found held: the wait is the lock timeout from then.
  let deadline: number | null = null;
  for (;;) {
    const left = deadline === null ? 0 : deadline - performance.now();
    try {
      return await run(Math.max(0, Math.min(left, RECHECK_MS)));
    } catch (err) {
      const lock = heldStateLock(err);
      if (lock === null) throw err;
      const proof = await proveStateLockHolderDead(lock, env.rootDir, ctx.tofu.runRecordDir);
      if (proof.dead && !broken.has(lock.id)) {
        await breakDeadStateLock(ctx, env, lock, proof);
        broken.add(lock.id);
      } else if (deadline === null) {
        deadline = performance.now() + lockTimeoutMs;
        if (lockTimeoutMs <= 0) throw new StateLockHeldError(env.name, lock, proof.reason, err);
      } else if (performance.now() >= deadline) {
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
