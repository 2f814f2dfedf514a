import { bodyProblem, needsBody, readBody } from "./body.js";
import type { ServiceEndpoint } from "./types.js";
import { isDefiniteNetworkError, isDefiniteStatus } from "./verdict.js";

/** One health check of one service: what the gate counts, and what `status` shows. */
export interface ProbeResult {
  good: boolean;
  /** A failure that waiting will not cure (verdict.ts). */
  definite: boolean;
  status?: number;
  latencyMs: number;
  /** What went wrong, in words, when not good. */
  problem?: string;
}

export interface ProbeOptions {
  /** Timeout of the request (its body read included). */
  timeoutMs: number;
  /** A 2xx slower than this is not good (slow, not broken: not definite). */
  latencyBudgetMs: number;
  /** Aborting it rejects the probe with the signal's reason (the caller decides what that means). */
  signal?: AbortSignal;
  fetchImpl?: typeof fetch;
  /** Monotonic clock in ms; performance.now by default. */
  now?: () => number;
}

/** Joins a base URL and a path with exactly one slash between them. */
export function healthUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}

/** Names a network failure the way an operator would: undici hides the cause behind "fetch failed". */
function describeFetchError(err: unknown): { problem: string; definite: boolean } {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : "";
  const definite = isDefiniteNetworkError(code);
  switch (code) {
    case "ECONNREFUSED":
      return { problem: "connection refused", definite };
    case "ECONNRESET":
      return { problem: "connection reset", definite };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { problem: "DNS lookup failed", definite };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { problem: "host unreachable", definite };
    case "UND_ERR_SOCKET":
      return { problem: "connection closed by the server", definite };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/cert|tls|ssl/i.test(code) || /certificate|tls|ssl/i.test(message)) return { problem: `TLS error: ${message}`, definite };
  return { problem: message, definite };
}

/**
 * One GET of the service's health URL, judged as the gate judges each check: a 2xx with the body
 * the service expects, within the latency budget. Resolves with the result whatever the service
 * answered; rejects only when `opts.signal` aborts (with its reason).
 */
export async function probeService(service: ServiceEndpoint, opts: ProbeOptions): Promise<ProbeResult> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const now = opts.now ?? (() => performance.now());
  const url = healthUrl(service.url, service.healthPath);
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const requestSignal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
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
    // The read that frees the socket is the one the body check uses.
    const body = await readBody(response.body, needsBody(service.expect) && status >= 200 && status <= 299);
    const latencyMs = Math.round(now() - t0);
    if (status < 200 || status > 299) {
      return { good: false, definite: isDefiniteStatus(status), status, latencyMs, problem: `answered ${status}` };
    }
    const wrongBody = bodyProblem(service.expect, body, response.headers.get("content-type"));
    // A wrong body is definite: the application answers, and answers the wrong thing.
    if (wrongBody !== undefined) {
      return { good: false, definite: true, status, latencyMs, problem: `answered ${status} with ${wrongBody}` };
    }
    if (latencyMs > opts.latencyBudgetMs) {
      const problem = `answered ${status} in ${latencyMs}ms, over the ${opts.latencyBudgetMs}ms latency budget`;
      // Slow is not broken: load and cold starts pass; the deadline decides.
      return { good: false, definite: false, status, latencyMs, problem };
    }
    return { good: true, definite: false, status, latencyMs };
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const latencyMs = Math.round(now() - t0);
    const during = status === undefined ? "" : ` reading the body of a ${status} answer`;
    const failure = timeout.aborted ? { problem: `timeout after ${opts.timeoutMs}ms${during}`, definite: false } : describeFetchError(err);
    return { good: false, ...failure, ...(status === undefined ? {} : { status }), latencyMs };
  }
}
