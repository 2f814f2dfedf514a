/**
 * Scaleway's error answers, shaped as the API sends them (scaleway-sdk-go scw/errors.go decodes them
 * by their `type`; the recorded cassettes show the exact bodies).
 */
export type JsonObject = { [key: string]: unknown };

export class ScwError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body.message === "string" ? body.message : `HTTP ${status}`);
  }
}

export type ArgumentReason = "unknown" | "required" | "format" | "constraint";

export interface ArgumentDetail {
  argument_name: string;
  reason: ArgumentReason;
  help_message: string;
}

export const invalidArguments = (details: ArgumentDetail[]): ScwError =>
  new ScwError(400, { details, message: "invalid argument(s)", type: "invalid_arguments" });

export const invalidArgument = (name: string, reason: ArgumentReason, help: string): ScwError =>
  invalidArguments([{ argument_name: name, reason, help_message: help }]);

/** A missing token is "not_found", a wrong one "invalid_argument" (DeniedAuthenticationError's reasons). */
export const deniedAuthentication = (status: 401 | 403, reason: "not_found" | "invalid_argument"): ScwError =>
  new ScwError(status, { message: "authentication is denied", method: "api_key", reason, type: "denied_authentication" });

export const notFound = (resource: string, resourceId: string): ScwError =>
  new ScwError(404, { message: "resource is not found", resource, resource_id: resourceId, type: "not_found" });

/** A route the sandbox does not serve: Scaleway's gateway answers this way for an unknown path. */
export const unknownRoute = (method: string, path: string): ScwError =>
  new ScwError(404, {
    message: `resource is not found: no route for ${method} ${path}`,
    resource: "route",
    resource_id: path,
    type: "not_found",
  });

/** Recorded on the wire as type "already_exists" (cassettes), not "resource_already_exists". */
export const alreadyExists = (resource: string, resourceId: string, help: string): ScwError =>
  new ScwError(409, { help_message: help, message: "resource already exists", resource, resource_id: resourceId, type: "already_exists" });

export const transientState = (resource: string, resourceId: string, currentState: string): ScwError =>
  new ScwError(409, {
    current_state: currentState,
    message: "resource is in a transient state",
    resource,
    resource_id: resourceId,
    type: "transient_state",
  });

export const preconditionFailed = (precondition: string, help: string): ScwError =>
  new ScwError(412, { help_message: help, message: "precondition is not respected", precondition, type: "precondition_failed" });

/** The recorded 429s carry an empty body; clients only read the status and Retry-After. */
export const tooManyRequests = (retryAfterSeconds: number): ScwError =>
  new ScwError(429, { message: "too many requests" }, { "Retry-After": String(retryAfterSeconds) });
