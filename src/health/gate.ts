import { EvalapError, InterruptedError } from "../core/errors.js";
import type { EventSink } from "../events/types.js";
import { abortableSleep } from "../retry/retry.js";
import type { HealthPolicy, HealthReport, ServiceEndpoint, ServiceHealth } from "./types.js";

export interface HealthGateOptions {
  events: EventSink;
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
  /** Monotonic clock in ms; performance.now by default. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Bodies are read (and thrown away) up to this size so keep-alive sockets are reused; past it, cancelled. */
const MAX_DRAIN_BYTES = 1024 * 1024;

interface CheckResult {
  good: boolean;
  status?: number;
  latencyMs: number;
  /** What went wrong, in words, when not good. */
  problem?: string;
}

/** Joins a base URL and a path with exactly one slash between them. */
export function healthUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new InterruptedError("SIGINT");
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Names a network failure the way an operator would: undici hides the cause behind "fetch failed". */
function describeFetchError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String((cause as { code: unknown }).code) : "";
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "DNS lookup failed";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    case "UND_ERR_SOCKET":
      return "connection closed by the server";
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/cert|tls|ssl/i.test(code) || /certificate|tls|ssl/i.test(message)) return `TLS error: ${message}`;
  return message;
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
  if (bad.length > 0) throw new EvalapError("health_policy_invalid", `invalid health policy: ${bad.join("; ")}`);
}

/**
 * Reads the body to its end (up to a cap) so undici can reuse the socket; an unread body holds
 * the connection until garbage collection. The request's signal bounds this read too.
 */
async function drain(body: ReadableStream<Uint8Array> | null): Promise<void> {
  if (body === null) return;
  const reader = body.getReader();
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
      if (read > MAX_DRAIN_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Waits until every service answers `policy.consecutive` good checks in a row (2xx within the
 * latency budget), all services at once. No check starts after `policy.deadlineMs` from the start
 * of the gate; one in flight may finish up to `policy.requestTimeoutMs` later.
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

  async function check(url: string): Promise<CheckResult> {
    // A check started before the deadline gets its full timeout (so the gate may end up to one
    // requestTimeoutMs late): cutting it short would replace the real failure with "deadline".
    const timeoutMs = policy.requestTimeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const requestSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const t0 = now();
    let status: number | undefined;
    try {
      // fetch follows redirects (up to 20): a health path redirected to a login page would count
      // as good. Acceptable for the health paths we own; the final status is what is judged.
      const response = await fetchImpl(url, {
        method: "GET",
        signal: requestSignal,
        headers: { accept: "*/*", "user-agent": "evalap-infra health-check" },
      });
      status = response.status;
      await drain(response.body);
      const latencyMs = Math.round(now() - t0);
      if (status < 200 || status > 299) return { good: false, status, latencyMs, problem: `answered ${status}` };
      if (latencyMs > policy.latencyBudgetMs) {
        return { good: false, status, latencyMs, problem: `answered ${status} in ${latencyMs}ms, over the ${policy.latencyBudgetMs}ms latency budget` };
      }
      return { good: true, status, latencyMs };
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      const latencyMs = Math.round(now() - t0);
      const during = status === undefined ? "" : ` reading the body of a ${status} answer`;
      const problem = timeout.aborted ? `timeout after ${timeoutMs}ms${during}` : describeFetchError(err);
      return { good: false, ...(status === undefined ? {} : { status }), latencyMs, problem };
    }
  }

  async function watch(service: ServiceEndpoint): Promise<ServiceHealth> {
    const url = healthUrl(service.url, service.healthPath);
    const serviceStarted = now();
    const latencies: number[] = [];
    let attempts = 0;
    let consecutive = 0;
    let last: CheckResult | undefined;
    let lastFailure: string | undefined;

    for (;;) {
      if (signal?.aborted) throw abortReason(signal);
      attempts++;
      last = await check(url);
      // Latencies of answers only: a timeout or a refused connection has no meaningful one.
      if (last.status !== undefined) latencies.push(last.latencyMs);
      if (last.good) consecutive++;
      else {
        consecutive = 0;
        lastFailure = last.problem;
      }
      opts.events.emit({
        type: "health.check",
        service: service.name,
        attempt: attempts,
        ok: last.good,
        ...(last.status === undefined ? {} : { status: last.status }),
        latencyMs: last.latencyMs,
        ...(last.problem === undefined ? {} : { error: last.problem }),
      });
      if (consecutive >= policy.consecutive) break;
      // No check may start past the deadline: stop now rather than sleep into it.
      if (now() + policy.intervalMs >= deadlineAt) break;
      await sleep(policy.intervalMs, signal);
    }

    const healthy = consecutive >= policy.consecutive;
    const durationMs = Math.round(now() - serviceStarted);
    const reason = healthy
      ? undefined
      : `${consecutive} of ${policy.consecutive} consecutive good answers reached within ${formatMs(policy.deadlineMs)} (${attempts} attempt${attempts === 1 ? "" : "s"}); ` +
        (lastFailure === undefined
          ? `the deadline is too short for ${policy.consecutive} checks ${formatMs(policy.intervalMs)} apart`
          : `last failure: ${lastFailure}`);
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
      consecutive,
      ...(last.status === undefined ? {} : { lastStatus: last.status }),
      ...(last.problem === undefined ? {} : { lastError: last.problem }),
      latencyMs: { p50: percentile50(sorted), max: sorted[sorted.length - 1] ?? 0 },
      durationMs,
      ...(reason === undefined ? {} : { reason }),
    };
  }

  // Promise.all rejects with the first abort; the other watchers see the same signal and stop too.
  const results = await Promise.all(services.map((service) => watch(service)));
  return { healthy: results.every((r) => r.healthy), services: results, durationMs: Math.round(now() - started) };
}
