import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { isScalewayPermanentType, isScalewayTransientType } from "../core/scaleway-errors.js";
import type { EventSink } from "../events/types.js";
import type { RetryPolicy } from "../retry/backoff.js";
import { RetriesExhaustedError, withRetry, type Transient } from "../retry/retry.js";

export interface RetryingFetchOptions {
  policy: RetryPolicy;
  events: EventSink;
  /** The fetch that really sends (default: the global one). */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Methods a server may receive twice with the same effect: a 5xx or a reset on them is worth another try. */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/** An answer worth another attempt; carried through withRetry as an error. Its message holds no body and no header. */
class RetryableAnswer extends Error {
  constructor(
    readonly transient: Transient,
    method: string,
    url: string,
    status: number,
    readonly type: string | undefined,
  ) {
    super(`${method} ${url} answered ${status}${type === undefined ? "" : ` (${type})`}`);
    this.name = "RetryableAnswer";
  }
}

/** No answer at all: the request may or may not have reached the server, depending on `code`. */
class NoAnswer extends Error {
  constructor(
    readonly code: string | undefined,
    readonly method: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${url} (${code ?? (cause instanceof Error ? cause.message : String(cause))})`, { cause });
    this.name = "NoAnswer";
  }
}

/**
 * A fetch for the SDK (withHTTPClient) that retries what the SDK does not (it sends each request once):
 * 429 and 503 and Scaleway's transient types on every method (the request was not processed),
 * other 5xx on idempotent methods only, ECONNREFUSED (nothing was sent) on every method and a
 * reset connection on idempotent ones. Scaleway's permanent types are answered at once. Waits follow
 * the project's backoff, with the server's Retry-After as a floor; each retry emits `retry.scheduled`.
 * A retried failure that outlives the policy throws RetriesExhaustedError (exit 6); an unreachable
 * URL that is not retried throws an EvalapError naming it.
 */
export function retryingFetch(opts: RetryingFetchOptions): typeof fetch {
  const send = opts.fetch ?? globalThis.fetch;
  return async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const method = request.method.toUpperCase();
    const url = withoutQuery(request.url);
    const attempt = async (): Promise<Response> => {
      let response: Response;
      try {
        response = await send(request.clone());
      } catch (err) {
        throw new NoAnswer(connectionCode(err), method, url, err);
      }
      const transient = await answerVerdict(method, response);
      if (transient === null) return response;
      await response.body?.cancel();
      throw new RetryableAnswer(transient.verdict, method, url, response.status, transient.type);
    };
    try {
      return await withRetry(attempt, {
        step: `scaleway ${method} ${url}`,
        policy: opts.policy,
        classify: (err) => classifyAttempt(err),
        events: opts.events,
        ...(opts.signal === undefined ? {} : { signal: opts.signal }),
        ...(opts.random === undefined ? {} : { random: opts.random }),
        ...(opts.sleep === undefined ? {} : { sleep: opts.sleep }),
      });
    } catch (err) {
      if (err instanceof NoAnswer) {
        throw new EvalapError("scaleway_unreachable", `the Scaleway API at ${err.url} did not answer ${err.method}: ${err.message}`, {
          exitCode: ExitCode.Failure,
          hint: "check SCW_API_URL and the network; the request may have been sent, so check its effect before running again",
          cause: err,
        });
      }
      throw err;
    }
  };
}

/**
 * Whether a call failed because its resource stayed in a transient state through every retry (409
 * `transient_state`): a caller that can wait longer for the resource (a backup, a restore) tells it
 * from other exhausted retries with this.
 */
export function isTransientStateExhausted(err: unknown): boolean {
  return err instanceof RetriesExhaustedError && err.lastError instanceof RetryableAnswer && err.lastError.type === "transient_state";
}

function classifyAttempt(err: unknown): Transient | null {
  if (err instanceof RetryableAnswer) return err.transient;
  if (err instanceof NoAnswer) {
    if (err.code === "ECONNREFUSED") return { reason: "connection refused" };
    // undici's "other side closed" (UND_ERR_SOCKET) is a reset too: the server may have acted on it.
    if ((err.code === "ECONNRESET" || err.code === "UND_ERR_SOCKET") && IDEMPOTENT.has(err.method)) return { reason: "connection reset" };
  }
  return null;
}

/** Whether an answer is worth another attempt, and why; null for a success or a permanent failure. */
async function answerVerdict(method: string, res: Response): Promise<{ verdict: Transient; type: string | undefined } | null> {
  if (res.status < 400) return null;
  const type = await errorType(res);
  if (isScalewayPermanentType(type)) return null;
  const retryAfterMs = retryAfter(res.headers.get("retry-after"));
  const verdict = (reason: string): { verdict: Transient; type: string | undefined } => ({
    verdict: retryAfterMs === undefined ? { reason } : { reason, retryAfterMs },
    type,
  });
  if (res.status === 429) return verdict("rate limited");
  if (isScalewayTransientType(type)) return verdict(type === "transient_state" ? "resource in a transient state" : "rate limited");
  if (res.status === 503) return verdict("service unavailable");
  if (res.status >= 500 && IDEMPOTENT.has(method)) return verdict(`server error ${res.status}`);
  return null;
}

/** The body's `type` (Scaleway's error bodies are JSON objects), read from a copy so the SDK still gets the body. */
async function errorType(res: Response): Promise<string | undefined> {
  try {
    const body: unknown = JSON.parse(await res.clone().text());
    if (typeof body === "object" && body !== null && "type" in body && typeof body.type === "string") return body.type;
  } catch {
    // Not JSON (a proxy's page, an empty 429): the status decides.
  }
  return undefined;
}

/** Retry-After as seconds or as an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Node's fetch says "fetch failed"; the system error code sits in its cause (or in an AggregateError's errors). */
function connectionCode(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (typeof e !== "object" || e === null || seen.has(e)) continue;
    seen.add(e);
    if ("code" in e && typeof e.code === "string" && /^(E[A-Z]+|UND_ERR_[A-Z_]+)$/.test(e.code)) return e.code;
    if ("cause" in e) queue.push(e.cause);
    if ("errors" in e && Array.isArray(e.errors)) queue.push(...(e.errors as unknown[]));
  }
  return undefined;
}

/** The URL without its query string: the step name and messages stay short and carry no filter values. */
function withoutQuery(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
