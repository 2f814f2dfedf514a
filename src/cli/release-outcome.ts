import { EvalapError } from "../core/errors.js";
import { ExitCode, type ExitCodeValue } from "../core/exit-codes.js";
import type { ReleaseFlowResult, ReleaseOutcome } from "../operations/release-flow.js";

/**
 * The CLI edge of a release (deploy, rollback): the use case returns an outcome, this file alone
 * turns it into an exit code and an error result (code, message, hint) for the reporters.
 */

/** A release that ended unhealthy: the exit code says whether service was restored. */
export class HealthGateError extends EvalapError {
  constructor(outcome: Exclude<ReleaseOutcome, "healthy">, message: string, hint: string | undefined) {
    const code = outcome === "rolled_back" ? "rolled_back" : "health_failed";
    super(code, message, { exitCode: exitCodeOfOutcome(outcome), ...(hint ? { hint } : {}) });
    this.name = "HealthGateError";
  }
}

/** 0 healthy, 7 unhealthy but the previous release was restored, 8 unhealthy and not restored. */
export function exitCodeOfOutcome(outcome: ReleaseOutcome): ExitCodeValue {
  if (outcome === "healthy") return ExitCode.Ok;
  return outcome === "rolled_back" ? ExitCode.RolledBack : ExitCode.HealthFailed;
}

/** Throws the error that reports an unhealthy outcome; returns the result when it is healthy. */
export function assertHealthy<T extends ReleaseFlowResult>(result: T): T {
  if (result.outcome === "healthy") return result;
  throw new HealthGateError(result.outcome, result.summary, result.hint);
}
