import { EvalapError, InterruptedError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { abortableSleep } from "../core/sleep.js";
import type { EventSink } from "../events/types.js";
import { backoffDelay, type RetryPolicy } from "./backoff.js";

export interface Transient {
  reason: string;
  retryAfterMs?: number;
}

export interface RetryOptions {
  step: string;
  policy: RetryPolicy;
  /** Says whether an error is worth another attempt; null means permanent. */
  classify: (err: unknown) => Transient | null;
  events: EventSink;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export class RetriesExhaustedError extends EvalapError {
  readonly attempts: number;
  readonly lastError: unknown;
  constructor(step: string, attempts: number, why: string, lastError: unknown) {
    super(
      "retries_exhausted",
      `${step} still failing after ${attempts} attempt${attempts > 1 ? "s" : ""} (${why}): ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      {
        exitCode: ExitCode.RetriesExhausted,
        hint: "the failure looks transient (rate limit, network, server error): wait and run again, or raise retry.attempts / retry.budget in the config",
        cause: lastError,
      },
    );
    this.name = "RetriesExhaustedError";
    this.attempts = attempts;
    this.lastError = lastError;
  }
}

/** Runs `fn` until it succeeds, fails permanently, or the attempts or the time budget run out. */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const random = opts.random ?? Math.random;
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (err instanceof InterruptedError || opts.signal?.aborted) throw err;
      const transient = opts.classify(err);
      if (transient === null) throw err;
      if (attempt >= opts.policy.attempts)
        throw new RetriesExhaustedError(opts.step, attempt, `${transient.reason}; ${opts.policy.attempts} attempts allowed`, err);
      const delayMs = backoffDelay(attempt, opts.policy, random, transient.retryAfterMs);
      if (now() - started + delayMs > opts.policy.budgetMs) {
        throw new RetriesExhaustedError(
          opts.step,
          attempt,
          `${transient.reason}; the next wait would pass the ${Math.round(opts.policy.budgetMs / 1000)}s retry budget`,
          err,
        );
      }
      opts.events.emit({
        type: "retry.scheduled",
        step: opts.step,
        attempt,
        maxAttempts: opts.policy.attempts,
        delayMs,
        reason: transient.reason,
        message: err instanceof Error ? err.message : String(err),
      });
      await sleep(delayMs, opts.signal);
    }
  }
}
