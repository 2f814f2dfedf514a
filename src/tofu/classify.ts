import type { ScalewayPermanentType } from "../core/scaleway-errors.js";
import type { Diagnostic } from "./diagnostics.js";

export type TransientReason = "rate_limit" | "server_error" | "connection" | "timeout" | "tls_timeout" | "state_lock" | "transient_state";

/**
 * A permanent error the Scaleway API named (scaleway-sdk-go's typed errors, scw/errors.go): retrying
 * cannot help, something must change (the configuration, a quota, the credentials' rights, the zone).
 * The list is shared with the SDK adapter's retry layer (src/core/scaleway-errors.ts).
 */
export type ProviderReason = ScalewayPermanentType;

/** Why a failure is permanent, when the reason is one the caller acts on (the rest have none). */
export type PermanentReason =
  "state_not_persisted" | "killed" | "no_space" | "read_only" | "permission_denied" | "arg_list_too_long" | ProviderReason;

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
 * The Scaleway API's permanent errors, as scaleway-sdk-go formats them (scw/errors.go: "scaleway-sdk-go:
 * quota exceeded(s): …") or as their raw body names them ("type":"out_of_stock"). One of them anywhere
 * in the text wins over every transient-looking word beside it (a 503 on another resource, "timeout"
 * in a help message): the same apply would fail again on it. One pattern per type of the shared list
 * (src/core/scaleway-errors.ts, which the SDK adapter's retry layer reads too): `satisfies` fails the
 * build when a type is added there without one here. In order: the first match wins.
 */
const PROVIDER_PATTERNS = {
  quotas_exceeded: /scaleway-sdk-go: quota exceeded\(s\)|quota exceeded for this resource|\bquotas_exceeded\b/i,
  out_of_stock: /scaleway-sdk-go: resource \S* ?is out of stock|\bout_of_stock\b/i,
  invalid_arguments: /scaleway-sdk-go: invalid argument\(s\)|\binvalid_arguments\b/i,
  permissions_denied: /scaleway-sdk-go: insufficient permissions|\bpermissions_denied\b/i,
  denied_authentication: /scaleway-sdk-go: denied authentication|\bdenied_authentication\b/i,
  precondition_failed: /scaleway-sdk-go: precondition failed|\bprecondition_failed\b/i,
  not_found: /scaleway-sdk-go: resource \S+ with ID \S* ?is not found|"type"\s*:\s*"not_found"/i,
  locked: /scaleway-sdk-go: resource \S+ with ID \S* ?is locked/i,
  // Not one of the SDK's typed errors: a ResponseError ("http error 409 Conflict: … already exists").
  already_exists: /scaleway-sdk-go: http error 409 [^\n]*already exists|\b(resource_)?already_exists\b/i,
} satisfies Record<ProviderReason, RegExp>;
const PROVIDER = Object.entries(PROVIDER_PATTERNS).map(([reason, pattern]) => ({ reason: reason as ProviderReason, pattern }));

/**
 * Ordered rules: the first match wins. They are matched against what tofu *said* (diagnostics and
 * stderr) with every quoted command line taken out (withoutCommandEcho), so a flag or a script
 * that happens to contain "429" or "timeout" cannot make a permanent error look transient
 * (Terragrunt #5088).
 */
const RULES: ReadonlyArray<{ reason: TransientReason; pattern: RegExp }> = [
  { reason: "state_lock", pattern: STATE_LOCK },
  // The API refused because the resource is busy (a gateway "configuring"): wait and try again.
  { reason: "transient_state", pattern: /scaleway-sdk-go: resource \S+ with ID \S* ?is in a transient state|\btransient_state\b/i },
  { reason: "rate_limit", pattern: /\b429\b|too many requests|rate[ -]?limit(ed|ing|s)?\b|throttl(ed|ing)|slow ?down/i },
  { reason: "tls_timeout", pattern: /tls handshake timeout/i },
  {
    reason: "server_error",
    pattern:
      /\b(status|code|http|response|statuscode)\W{0,3}(code\W{0,3})?5\d\d\b|\b5\d\d (internal server error|bad gateway|service unavailable|gateway timeout)|internal server error|bad gateway|service unavailable|gateway time-?out|scaleway-sdk-go: http 5\d\d/i,
  },
  {
    reason: "connection",
    pattern:
      /connection reset by peer|connection refused|econnreset|econnrefused|broken pipe|unexpected eof|no such host|network is unreachable|connection closed by|server closed idle connection/i,
  },
  {
    reason: "timeout",
    pattern:
      /client\.timeout exceeded|context deadline exceeded|i\/o timeout|timeout awaiting|request timed? ?out|operation timed out|\bETIMEDOUT\b/i,
  },
];

/** Messages that look transient but are not: retrying cannot help, something must change. */
const PERMANENT =
  /saved plan is stale|invalid credentials|access denied|\b(401|403)\b.{0,40}(unauthori[sz]ed|forbidden|denied)|permission denied|quota exceeded|insufficient quota/i;

export function classifyFailure(input: { diagnostics: Diagnostic[]; stderr: string }): FailureClass {
  const text = evidenceOf(input);
  if (STATE_NOT_PERSISTED.test(text)) return { transient: false, reason: "state_not_persisted" };
  const fs = classifyFileSystem(text);
  if (fs) return fs;
  const provider = PROVIDER.find((r) => r.pattern.test(text));
  if (provider) return { transient: false, reason: provider.reason };
  if (PERMANENT.test(text)) return { transient: false };
  for (const rule of RULES) {
    if (rule.pattern.test(text)) {
      const retryAfterMs = parseRetryAfter(text);
      return retryAfterMs === undefined ? { transient: true, reason: rule.reason } : { transient: true, reason: rule.reason, retryAfterMs };
    }
  }
  return { transient: false };
}

/** What tofu said, as one text: the diagnostics, then stderr, without the command lines they quote. */
export function evidenceOf(input: { diagnostics: Diagnostic[]; stderr: string }): string {
  const said = [...input.diagnostics.map((d) => `${d.summary}\n${d.detail ?? ""}`), stripBoxDrawing(input.stderr)];
  return said.map(withoutCommandEcho).join("\n");
}

/**
 * local-exec's failure quotes its whole command: "Error running command '<command>': exit status 1.
 * Output: <what it printed>" (OpenTofu, provisioners/local-exec). The command is not evidence; what
 * it printed is. The command ends at the first "': <exit error>. Output:"; one whose end cannot be
 * found is dropped with everything after it (no evidence rather than a false one).
 */
const COMMAND_ECHO = /Error running command '[\s\S]*?':\s+(exit\s+status\s+-?\d+|signal:\s+[a-z ]+?|[^'\n]{0,200}?)\.\s+Output:/gi;

/** "terraform_data.x (local-exec): Executing: ["/bin/sh" "-c" "…"]": the command again, as tofu announces it. */
const EXECUTING = /^.*\(local-exec\): Executing: .*$/gm;

export function withoutCommandEcho(text: string): string {
  const closed = text.replace(COMMAND_ECHO, (_m, exit: string) => `Error running command (command not shown): ${exit}. Output:`);
  const open = closed.search(/Error running command '/);
  return (open < 0 ? closed : closed.slice(0, open) + "Error running command (command not shown)").replace(EXECUTING, "");
}

/** tofu's human diagnostics box ("│ ", "╷", "╵") and colour codes, which would split the text a pattern reads across lines. */
function stripBoxDrawing(text: string): string {
  if (text.length === 0) return text;
  return text
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.replace(/^[│╷╵]\s?/, ""))
    .join("\n");
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
  transient_state: "resource in a transient state",
};
