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

/** The state bucket cannot be used (network, timeout, server error, refused credentials). */
export class BackendUnavailableError extends EvalapError {
  readonly bucket: string;
  readonly endpoint: string;
  constructor(bucket: string, endpoint: string, cause: string, original?: unknown) {
    super("backend_unavailable", `the state bucket "${bucket}" at ${endpoint} is unavailable: ${cause}`, {
      exitCode: ExitCode.BackendUnavailable,
      hint: "check the endpoint and region, the credentials (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or SCW_ACCESS_KEY / SCW_SECRET_KEY) and the network; nothing was written",
      ...(original === undefined ? {} : { cause: original }),
    });
    this.name = "BackendUnavailableError";
    this.bucket = bucket;
    this.endpoint = endpoint;
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
