import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";

/** The HTTP status an SDK call failed with (the SDK's errors carry `status`), if any. */
export function httpStatus(err: unknown): number | undefined {
  return typeof err === "object" && err !== null && "status" in err && typeof err.status === "number" ? err.status : undefined;
}

/** The codes and hints a command gives an SDK call's failure. */
export interface SdkFailureWording {
  /** A refused key (401, 403): a missing prerequisite, exit 9. */
  unauthorized: { code: string; hint: string };
  /** Anything else the call failed with. */
  failed: { code: string; hint: string };
}

/**
 * An SDK call's failure as the CLI reports it, `what` naming the call ("listing the secrets of …").
 * An EvalapError (the retry layer's, an unreachable URL) passes through. Never a value: the message
 * holds the status, or the SDK's own message, which carries no request body.
 */
export function sdkFailure(err: unknown, what: string, wording: SdkFailureWording): EvalapError {
  if (err instanceof EvalapError) return err;
  const status = httpStatus(err);
  if (status === 401 || status === 403) {
    return new EvalapError(wording.unauthorized.code, `the Scaleway API refused the key while ${what}: HTTP ${status}`, {
      exitCode: ExitCode.Prerequisite,
      hint: wording.unauthorized.hint,
    });
  }
  return new EvalapError(wording.failed.code, `${what} failed: ${err instanceof Error ? err.message : String(err)}`, {
    hint: wording.failed.hint,
    cause: err,
  });
}
