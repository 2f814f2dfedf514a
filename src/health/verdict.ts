/**
 * What the gate concludes from a service's checks, with no I/O: which failures are definite, and
 * when a run of them ends the gate early. gate.ts feeds it; tests drive it directly.
 */
import type { HealthPolicy } from "./types.js";

/** One check, as the decision needs it. */
export interface CheckOutcome {
  good: boolean;
  /** A failure that waiting will not cure (see isDefiniteStatus, isDefiniteNetworkError). */
  definite: boolean;
  problem?: string;
}

export interface Tally {
  /** Good answers in a row. */
  readonly good: number;
  /** Definite failures in a row, among the checks sent after the grace. */
  readonly definite: number;
  /** The distinct problems of that run, in order of first appearance. */
  readonly problems: readonly string[];
}

export const EMPTY_TALLY: Tally = { good: 0, definite: 0, problems: [] };

export type Verdict = "checking" | "healthy" | "unhealthy";

/**
 * An answer that says the release is broken rather than starting. The container is reported ready
 * when apply returns, so a 5xx is the application failing. A 4xx means the health path or the
 * request is wrong, which no wait fixes, except 408, 425 and 429: the server asks to try again.
 * 1xx/3xx (a redirect loop ends in a fetch error) are odd but not proof: the deadline decides.
 */
export function isDefiniteStatus(status: number): boolean {
  if (status >= 500 && status <= 599) return true;
  return status >= 400 && status <= 499 && status !== 408 && status !== 425 && status !== 429;
}

/**
 * A network failure that waiting will not cure. Only a refused connection: the container is up
 * (apply returned) yet nothing listens. Not definite: timeouts (a cold start or a slow first
 * request may outlast one request timeout), DNS errors (a new endpoint's name may still be
 * propagating), TLS errors (its certificate may still be being issued), resets and unreachable
 * hosts (the platform's load balancer swaps instances): for these the deadline decides.
 */
export function isDefiniteNetworkError(code: string): boolean {
  return code === "ECONNREFUSED";
}

/**
 * The tally after one more check sent `sentAtMs` after the gate started. A good answer resets the
 * run of definite failures and a non-definite failure breaks it too ("consecutive" means
 * consecutive); a failure sent within the grace does not count.
 */
export function nextTally(tally: Tally, outcome: CheckOutcome, sentAtMs: number, policy: Pick<HealthPolicy, "graceMs">): Tally {
  if (outcome.good) return { good: tally.good + 1, definite: 0, problems: [] };
  const counts = outcome.definite && sentAtMs >= (policy.graceMs ?? 0);
  if (!counts) return { good: 0, definite: 0, problems: [] };
  const problem = outcome.problem ?? "failed";
  return {
    good: 0,
    definite: tally.definite + 1,
    problems: tally.problems.includes(problem) ? tally.problems : [...tally.problems, problem],
  };
}

export function verdictOf(tally: Tally, policy: Pick<HealthPolicy, "consecutive" | "failureThreshold">): Verdict {
  if (tally.good >= policy.consecutive) return "healthy";
  if (policy.failureThreshold !== undefined && tally.definite >= policy.failureThreshold) return "unhealthy";
  return "checking";
}

/** e.g. "3 consecutive definite failures (answered 500)". */
export function definiteFailuresReason(tally: Tally): string {
  return `${tally.definite} consecutive definite failure${tally.definite === 1 ? "" : "s"} (${tally.problems.join(", ")})`;
}
