import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";

/** A conditional write lost: the key exists (If-None-Match: *) or changed / vanished (If-Match). */
export class PreconditionFailedError extends Error {
  readonly key: string;
  constructor(key: string, detail: string) {
    super(`conditional write of ${key} refused: ${detail}`);
    this.name = "PreconditionFailedError";
    this.key = key;
  }
}

/** What an operator checks when the bucket is unusable; the preflight adds that nothing was written. */
export const BACKEND_UNAVAILABLE_HINT =
  "check the endpoint and region, the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or SCW_ACCESS_KEY / SCW_SECRET_KEY) and the network";

/**
 * The state bucket cannot be used (network, timeout, server error after retries, refused credentials,
 * missing bucket). The default hint says nothing about what was written: a failure in the middle of an
 * operation may follow writes that went through. Callers that know better (the preflight, before any
 * write) pass their own hint.
 */
export class BackendUnavailableError extends EvalapError {
  readonly bucket: string;
  readonly endpoint: string;
  /** The cause alone, e.g. "connection refused (ECONNREFUSED)": to rebuild the error with another hint. */
  readonly detail: string;
  constructor(bucket: string, endpoint: string, detail: string, original?: unknown, hint: string = BACKEND_UNAVAILABLE_HINT) {
    super("backend_unavailable", `the state bucket "${bucket}" at ${endpoint} is unavailable: ${detail}`, {
      exitCode: ExitCode.BackendUnavailable,
      hint,
      ...(original === undefined ? {} : { cause: original }),
    });
    this.name = "BackendUnavailableError";
    this.bucket = bucket;
    this.endpoint = endpoint;
    this.detail = detail;
  }
}

/** Our own per-request deadline expired (the SDK's own timeouts name themselves differently). */
export class RequestTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
    this.timeoutMs = timeoutMs;
  }
}

/** An object exists but is not what the tool wrote (not JSON, or not the expected shape). */
export class UnreadableObjectError extends Error {
  readonly key: string;
  constructor(key: string, detail: string) {
    super(`${key} is unreadable: ${detail}`);
    this.name = "UnreadableObjectError";
    this.key = key;
  }
}
