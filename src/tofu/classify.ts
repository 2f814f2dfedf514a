import type { Diagnostic } from "./diagnostics.js";

export type TransientReason = "rate_limit" | "server_error" | "connection" | "timeout" | "tls_timeout" | "state_lock";

/** Why a failure is permanent, when the reason is one the caller acts on (the rest have none). */
export type PermanentReason = "state_not_persisted" | "killed" | "no_space" | "read_only" | "permission_denied" | "arg_list_too_long";

export type FailureClass =
  | {
      transient: true;
      reason: TransientReason;
      /** Delay the server asked for (Retry-After), when it said one. */
      retryAfterMs?: number;
    }
  | {
      transient: false;
      reason?: PermanentReason;
      /** The file the failure is about (file-system reasons), as tofu named it. */
      path?: string;
    };

/**
 * tofu applied but could not write the state to the backend (OpenTofu's backupStateForError:
 * "Failed to save state" / "Error saving state: …", then "Failed to persist state to backend" and
 * the errored.tfstate message). It wins over everything else in the same text: the backend's own
 * error ("connection refused") is in it and must not make a lost state look like a retry.
 */
const STATE_NOT_PERSISTED = /failed to persist state|failed to save state|error saving state|errored\.tfstate/i;

/** The operations Go names in a *PathError ("open", "write", "mkdir"…). */
const FILE_OPS = "open|openat|write|read|mkdir|create|rename|remove|unlink|chmod|stat|lstat|symlink|link|truncate|fsync|sync";

/**
 * File-system failures: retrying cannot free space or make a disk writable. They come before the
 * state-lock rule, which a full disk under the root used to match (the lock info file could not be
 * written: "Error acquiring the state lock … no space left on device").
 */
const FILE_SYSTEM: ReadonlyArray<{ reason: PermanentReason; pattern: RegExp }> = [
  { reason: "no_space", pattern: /no space left on device|\bENOSPC\b|disk quota exceeded|\bEDQUOT\b/i },
  { reason: "read_only", pattern: /read-only file system|\bEROFS\b/i },
  { reason: "arg_list_too_long", pattern: /argument list too long|\bE2BIG\b/i },
  // Only on a file (Go's "open <path>: permission denied"): an API's "permission denied" is not ours to fix here.
  { reason: "permission_denied", pattern: new RegExp(`\\b(${FILE_OPS})\\s+\\S+:\\s+(permission denied|operation not permitted)`, "i") },
];

/** "write .terraform/x: no space left on device" (Go's *PathError): the file named. */
const PATH_ERROR = new RegExp(
  `\\b(?:${FILE_OPS})\\s+(\\S+?):\\s+(?:no space left on device|disk quota exceeded|read-only file system|permission denied|operation not permitted)`,
  "i",
);

/**
 * A held state lock, as tofu reports it: only with the holder's "Lock Info" (an ID), or a lost race
 * for the lock object. "Error acquiring the state lock" alone is not enough: tofu says it too when
 * the backend is unreachable, which the connection rule below classifies.
 */
const STATE_LOCK = /Lock Info:[\s\S]{0,200}\bID:\s+[0-9a-f-]{8,}|ConditionalRequestConflict/i;

/**
 * Ordered rules: the first match wins. They are matched against what tofu *said* (diagnostics and
 * stderr), never against the command line, so a flag that happens to contain "429" or "timeout"
 * cannot make a permanent error look transient (Terragrunt #5088).
 */
const RULES: ReadonlyArray<{ reason: TransientReason; pattern: RegExp }> = [
  { reason: "state_lock", pattern: STATE_LOCK },
  { reason: "rate_limit", pattern: /\b429\b|too many requests|rate[ -]?limit(ed|ing|s)?\b|throttl(ed|ing)|slow ?down/i },
  { reason: "tls_timeout", pattern: /tls handshake timeout/i },
  {
    reason: "server_error",
    pattern:
      /\b(status|code|http|response|statuscode)\W{0,3}(code\W{0,3})?5\d\d\b|\b5\d\d (internal server error|bad gateway|service unavailable|gateway timeout)|internal server error|bad gateway|service unavailable|gateway time-?out|scaleway-sdk-go: http 5\d\d/i,
  },
  {
    reason: "connection",
    pattern: /connection reset by peer|connection refused|econnreset|econnrefused|broken pipe|unexpected eof|no such host|network is unreachable|connection closed by|server closed idle connection/i,
  },
  { reason: "timeout", pattern: /client\.timeout exceeded|context deadline exceeded|i\/o timeout|timeout awaiting|request timed? ?out|operation timed out|\bETIMEDOUT\b/i },
];

/** Messages that look transient but are not: retrying cannot help, something must change. */
const PERMANENT = /saved plan is stale|invalid credentials|access denied|\b(401|403)\b.{0,40}(unauthori[sz]ed|forbidden|denied)|permission denied|quota exceeded|insufficient quota/i;

export function classifyFailure(input: { diagnostics: Diagnostic[]; stderr: string }): FailureClass {
  const text = [...input.diagnostics.map((d) => `${d.summary}\n${d.detail ?? ""}`), input.stderr].join("\n");
  if (STATE_NOT_PERSISTED.test(text)) return { transient: false, reason: "state_not_persisted" };
  const fs = classifyFileSystem(text);
  if (fs) return fs;
  if (PERMANENT.test(text)) return { transient: false };
  for (const rule of RULES) {
    if (rule.pattern.test(text)) {
      const retryAfterMs = parseRetryAfter(text);
      return retryAfterMs === undefined ? { transient: true, reason: rule.reason } : { transient: true, reason: rule.reason, retryAfterMs };
    }
  }
  return { transient: false };
}

function classifyFileSystem(text: string): FailureClass | null {
  const rule = FILE_SYSTEM.find((r) => r.pattern.test(text));
  if (!rule) return null;
  const file = rule.reason === "arg_list_too_long" ? undefined : PATH_ERROR.exec(text)?.[1];
  return file === undefined ? { transient: false, reason: rule.reason } : { transient: false, reason: rule.reason, path: file };
}

/** Reads "Retry-After: 12", "retry after 12s" or "retry-after: 1.5 seconds" from a message. */
export function parseRetryAfter(text: string): number | undefined {
  const m = /retry[- ]after\W{0,3}(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?)?\b/i.exec(text);
  if (!m || m[1] === undefined) return undefined;
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return undefined;
  return Math.round(m[2] === "ms" ? n : n * 1000);
}

export const TRANSIENT_DESCRIPTIONS: Record<TransientReason, string> = {
  rate_limit: "rate limited",
  server_error: "server error",
  connection: "connection failure",
  timeout: "timeout",
  tls_timeout: "TLS handshake timeout",
  state_lock: "state lock held",
};
