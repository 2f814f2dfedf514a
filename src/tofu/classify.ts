import type { Diagnostic } from "./diagnostics.js";

export type TransientReason = "rate_limit" | "server_error" | "connection" | "timeout" | "tls_timeout" | "state_lock";

export interface FailureClass {
  transient: boolean;
  /** Why the failure is transient; absent for permanent failures. */
  reason?: TransientReason;
  /** Delay the server asked for (Retry-After), when it said one. */
  retryAfterMs?: number;
}

/**
 * Ordered rules: the first match wins. They are matched against what tofu *said* (diagnostics and
 * stderr), never against the command line, so a flag that happens to contain "429" or "timeout"
 * cannot make a permanent error look transient (Terragrunt #5088).
 */
const RULES: ReadonlyArray<{ reason: TransientReason; pattern: RegExp }> = [
  { reason: "state_lock", pattern: /error acquiring the state lock|state lock.{0,40}(held|already locked)|ConditionalRequestConflict|lock file.{0,40}already exists/i },
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
  if (PERMANENT.test(text)) return { transient: false };
  for (const rule of RULES) {
    if (rule.pattern.test(text)) {
      const retryAfterMs = parseRetryAfter(text);
      return retryAfterMs === undefined ? { transient: true, reason: rule.reason } : { transient: true, reason: rule.reason, retryAfterMs };
    }
  }
  return { transient: false };
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
