import { EvalapError, InterruptedError } from "../core/errors.js";
import type { EventSink } from "../events/types.js";
import { abortableSleep } from "../core/sleep.js";
import { healthUrl, probeService, type ProbeResult } from "./probe.js";
import type { HealthPolicy, HealthReport, ServiceEndpoint, ServiceHealth } from "./types.js";
import { definiteFailuresReason, EMPTY_TALLY, nextTally, verdictOf, type Tally } from "./verdict.js";

export { healthUrl };

export interface HealthGateOptions {
  events: EventSink;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
  /** Monotonic clock in ms; performance.now by default. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

type CheckResult = ProbeResult;

/** The gate ended this service's checks because another one failed definitively. */
class Stopped extends Error {
  constructor(readonly by: string) {
    super(`stopped: ${by} failed definitively`);
    this.name = "Stopped";
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError("SIGINT");
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function percentile50(sorted: number[]): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.ceil(sorted.length / 2) - 1] ?? 0;
}

function validatePolicy(policy: HealthPolicy): void {
  const bad: string[] = [];
  if (!Number.isInteger(policy.consecutive) || policy.consecutive < 1) bad.push("consecutive must be an integer >= 1");
  for (const key of ["intervalMs", "deadlineMs"] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] < 0) bad.push(`${key} must be >= 0`);
  }
  for (const key of ["requestTimeoutMs", "latencyBudgetMs"] as const) {
    if (!Number.isFinite(policy[key]) || policy[key] <= 0) bad.push(`${key} must be > 0`);
  }
  if (policy.failureThreshold !== undefined && (!Number.isInteger(policy.failureThreshold) || policy.failureThreshold < 1)) {
    bad.push("failureThreshold must be an integer >= 1");
  }
  if (policy.graceMs !== undefined && (!Number.isFinite(policy.graceMs) || policy.graceMs < 0)) bad.push("graceMs must be >= 0");
  if (bad.length > 0) throw new EvalapError("health_policy_invalid", `invalid health policy: ${bad.join("; ")}`);
}

/**
 * Waits until every service answers `policy.consecutive` good checks in a row (2xx, the body the
 * service expects, within the latency budget), all services at once. No check starts after
 * `policy.deadlineMs` from the start of the gate; one in flight may finish up to
 * `policy.requestTimeoutMs` later. With `policy.failureThreshold`, that many definite failures in
 * a row (checks sent after `policy.graceMs`) end the gate at once, unhealthy.
 * Resolves with a report (healthy or not); rejects only on invalid input or when `opts.signal`
 * aborts (with its reason).
 */
export async function healthGate(services: ServiceEndpoint[], policy: HealthPolicy, opts: HealthGateOptions): Promise<HealthReport> {
  validatePolicy(policy);
  const fetchImpl = opts.fetchImpl ?? fetch;
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? abortableSleep;
  const signal = opts.signal;
  if (signal?.aborted) throw abortReason(signal);

  const started = now();
  const deadlineAt = started + policy.deadlineMs;
  // One service failing definitively ends the gate for all: the release is unhealthy whatever the
  // others answer, and every second spent checking them delays the rollback. `stop` ends their
  // requests and pauses; its reason is a Stopped naming the failed service.
  const stop = new AbortController();
  const watchSignal = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;

  /** Rethrows the caller's abort; tells whether the gate stopped this service. */
  function stoppedBy(): string | undefined {
    if (signal?.aborted) throw abortReason(signal);
    return stop.signal.aborted && stop.signal.reason instanceof Stopped ? stop.signal.reason.by : undefined;
  }

  async function check(service: ServiceEndpoint): Promise<CheckResult> {
    // A check started before the deadline gets its full timeout (so the gate may end up to one
    // requestTimeoutMs late): cutting it short would replace the real failure with "deadline".
    try {
      return await probeService(service, {
        timeoutMs: policy.requestTimeoutMs,
        latencyBudgetMs: policy.latencyBudgetMs,
        signal: watchSignal,
        fetchImpl,
        now,
      });
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      if (stop.signal.aborted) throw stop.signal.reason;
      throw err;
    }
  }

  async function watch(service: ServiceEndpoint): Promise<ServiceHealth> {
    const url = healthUrl(service.url, service.healthPath);
    const serviceStarted = now();
    const latencies: number[] = [];
    let attempts = 0;
    let tally: Tally = EMPTY_TALLY;
    let last: CheckResult | undefined;
    let lastFailure: string | undefined;
    let stopped: string | undefined;

    for (;;) {
      if ((stopped = stoppedBy()) !== undefined) break;
      const sentAt = now() - started;
      let result: CheckResult;
      try {
        result = await check(service);
      } catch (err) {
        if (err instanceof Stopped) {
          stopped = err.by;
          break;
        }
        throw err;
      }
      attempts++;
      last = result;
      // Latencies of answers only: a timeout or a refused connection has no meaningful one.
      if (last.status !== undefined) latencies.push(last.latencyMs);
      if (!last.good) lastFailure = last.problem;
      tally = nextTally(tally, last, sentAt, policy);
      opts.events.emit({
        type: "health.check",
        service: service.name,
        attempt: attempts,
        ok: last.good,
        ...(last.status === undefined ? {} : { status: last.status }),
        latencyMs: last.latencyMs,
        ...(last.problem === undefined ? {} : { error: last.problem }),
      });
      const verdict = verdictOf(tally, policy);
      if (verdict === "unhealthy") stop.abort(new Stopped(service.name));
      if (verdict !== "checking") break;
      // No check may start past the deadline: stop now rather than sleep into it.
      if (now() + policy.intervalMs >= deadlineAt) break;
      try {
        await sleep(policy.intervalMs, watchSignal);
      } catch (err) {
        if ((stopped = stoppedBy()) !== undefined) break;
        throw err;
      }
    }

    const verdict = verdictOf(tally, policy);
    const healthy = verdict === "healthy";
    const durationMs = Math.round(now() - serviceStarted);
    const plural = (n: number) => `${n} attempt${n === 1 ? "" : "s"}`;
    let reason: string | undefined;
    if (healthy) reason = undefined;
    else if (verdict === "unhealthy") {
      const grace = policy.graceMs ? ` after the ${formatMs(policy.graceMs)} start-up grace` : "";
      reason = `${definiteFailuresReason(tally)}${grace}, in ${plural(attempts)}`;
    } else if (stopped !== undefined) {
      const progress = `${tally.good} of ${policy.consecutive} good answers in ${plural(attempts)}`;
      reason = `not checked to the end: ${stopped} failed definitively (${progress})`;
    } else {
      const within = `within ${formatMs(policy.deadlineMs)} (${plural(attempts)})`;
      reason =
        `${tally.good} of ${policy.consecutive} consecutive good answers reached ${within}; ` +
        (lastFailure === undefined
          ? `the deadline is too short for ${policy.consecutive} checks ${formatMs(policy.intervalMs)} apart`
          : `last failure: ${lastFailure}`);
    }
    // A stopped service's last check may have been good: say why it is not healthy instead.
    const lastError = stopped !== undefined && verdict === "checking" ? `not checked to the end: ${stopped} failed` : last?.problem;
    opts.events.emit({
      type: "health.service",
      service: service.name,
      url,
      healthy,
      attempts,
      durationMs,
      ...(reason === undefined ? {} : { reason }),
    });
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      name: service.name,
      url,
      healthy,
      attempts,
      consecutive: tally.good,
      ...(last?.status === undefined ? {} : { lastStatus: last.status }),
      ...(lastError === undefined ? {} : { lastError }),
      latencyMs: { p50: percentile50(sorted), max: sorted[sorted.length - 1] ?? 0 },
      durationMs,
      ...(reason === undefined ? {} : { reason }),
    };
  }

  // Promise.all rejects with the first abort; the other watchers see the same signal and stop too.
  const results = await Promise.all(services.map((service) => watch(service)));
  return { healthy: results.every((r) => r.healthy), services: results, durationMs: Math.round(now() - started) };
}
