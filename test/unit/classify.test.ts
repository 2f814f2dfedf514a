import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  classifyFailure,
  parseHumanDiagnostics,
  parseJsonLine,
  parseRetryAfter,
  TRANSIENT_DESCRIPTIONS,
  type Diagnostic,
} from "../../src/tofu/index.js";
import { withoutCommandEcho } from "../../src/tofu/classify.js";
import { toDiagnostic } from "../../src/tofu/diagnostics.js";
import { FIXTURES } from "../helpers/project.js";

const captured = (name: string) => readFileSync(path.join(FIXTURES, "captured", name), "utf8");
const t = (text: string) => classifyFailure({ diagnostics: [], stderr: text });

describe("failure classifier on real tofu output (test/fixtures/captured)", () => {
  it("a rate-limited local-exec apply (human stderr) is transient: rate_limit", () => {
    const stderr = captured("apply-rate-limit.stderr.txt");
    const diagnostics = parseHumanDiagnostics(stderr);
    expect(diagnostics[0]?.summary).toBe("local-exec provisioner error");
    expect(classifyFailure({ diagnostics, stderr })).toEqual({ transient: true, reason: "rate_limit" });
  });

  it("the same failure in -json mode is classified from its diagnostic (Terragrunt #2462)", () => {
    const message = parseJsonLine(captured("apply-rate-limit.diagnostic.jsonl").trim());
    expect(message?.type).toBe("diagnostic");
    const diagnostics: Diagnostic[] = message?.diagnostic ? [toDiagnostic(message.diagnostic)] : [];
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: true, reason: "rate_limit" });
  });

  it("state lock contention is transient: state_lock", () => {
    const stderr = captured("plan-state-lock.stderr.txt");
    expect(classifyFailure({ diagnostics: parseHumanDiagnostics(stderr), stderr })).toEqual({ transient: true, reason: "state_lock" });
  });

  it("an unreachable state backend is transient: connection", () => {
    const stderr = captured("init-connection-refused.stderr.txt");
    expect(classifyFailure({ diagnostics: parseHumanDiagnostics(stderr), stderr })).toEqual({ transient: true, reason: "connection" });
  });

  it("a configuration error is permanent", () => {
    const stderr = captured("plan-unsupported-argument.stderr.txt");
    const diagnostics = parseHumanDiagnostics(stderr);
    expect(diagnostics[0]?.summary).toBe("Unsupported argument");
    expect(classifyFailure({ diagnostics, stderr })).toEqual({ transient: false });
  });
});

/** The diagnostics of a captured `-json` stream (one message per line). */
function jsonDiagnostics(name: string): Diagnostic[] {
  return captured(name)
    .split("\n")
    .map((line) => parseJsonLine(line))
    .flatMap((m) => (m?.diagnostic ? [toDiagnostic(m.diagnostic)] : []));
}

describe("the classifier reads evidence, not echoes of the command line (captured)", () => {
  it("a local-exec whose command says timeout, 429 and 503 but whose output is a missing script is permanent (-json)", () => {
    const diagnostics = jsonDiagnostics("apply-local-exec-command-echo.diagnostic.jsonl");
    expect(diagnostics[0]?.detail).toContain("--retry-on=429,503 --connect-timeout=10");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: false });
  });

  it("the same failure in human output (the command wrapped over three lines) is permanent", () => {
    const stderr = captured("apply-local-exec-command-echo.stderr.txt");
    expect(classifyFailure({ diagnostics: parseHumanDiagnostics(stderr), stderr })).toEqual({ transient: false });
  });

  it("a command naming quotas_exceeded and out_of_stock whose output is a 503 is transient: server_error", () => {
    const diagnostics = jsonDiagnostics("apply-local-exec-echo-server-error.diagnostic.jsonl");
    expect(diagnostics[0]?.detail).toContain("quotas_exceeded");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: true, reason: "server_error" });
  });

  it("keeps what the command printed: the rate-limited local-exec is still rate_limit", () => {
    expect(withoutCommandEcho(captured("apply-rate-limit.stderr.txt"))).not.toContain("echo");
    expect(withoutCommandEcho(captured("apply-rate-limit.stderr.txt"))).toContain("Output: Error: scaleway-sdk-go: http error 429");
  });

  it("a quoted command whose end cannot be found is dropped with what follows, not read as evidence", () => {
    const text = "Error running command 'curl --retry-on 429 --max-time 5 https://x': exit status 1";
    expect(withoutCommandEcho(text)).not.toMatch(/429|time/);
    expect(t("Error running command 'sleep 1; echo timeout 429 too many requests'")).toEqual({ transient: false });
  });

  it("the command tofu announces before running it is not evidence either", () => {
    expect(
      t('terraform_data.x (local-exec): Executing: ["/bin/sh" "-c" "curl --retry 5 --retry-on-http-error=429"]\nError: exit status 2'),
    ).toEqual({
      transient: false,
    });
  });
});

describe("Scaleway API errors (real bodies from the provider's cassettes, formatted as scaleway-sdk-go does)", () => {
  it.each([
    ["apply-scw-invalid-arguments.diagnostic.jsonl", "invalid_arguments"],
    ["apply-scw-not-found.diagnostic.jsonl", "not_found"],
    ["plan-scw-permissions-denied.diagnostic.jsonl", "permissions_denied"],
    ["apply-scw-precondition-failed.diagnostic.jsonl", "precondition_failed"],
    ["apply-scw-out-of-stock.diagnostic.jsonl", "out_of_stock"],
    ["apply-scw-already-exists.diagnostic.jsonl", "already_exists"],
  ] as const)("%s is permanent: %s", (file, reason) => {
    const diagnostics = jsonDiagnostics(file);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.address).toMatch(/^scaleway_/);
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: false, reason });
  });

  it("a quota exceeded (human stderr, captured by Qovery's engine) is permanent: quotas_exceeded", () => {
    const stderr = captured("apply-scw-quotas-exceeded.stderr.txt");
    const diagnostics = parseHumanDiagnostics(stderr);
    expect(diagnostics[0]?.summary).toBe("scaleway-sdk-go: quota exceeded(s): CpServersType_PRO2_XXS has reached its quota (0/1)");
    expect(classifyFailure({ diagnostics, stderr })).toEqual({ transient: false, reason: "quotas_exceeded" });
  });

  it("a resource in a transient state is waited for: transient_state", () => {
    const diagnostics = jsonDiagnostics("apply-scw-transient-state.diagnostic.jsonl");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: true, reason: "transient_state" });
    expect(TRANSIENT_DESCRIPTIONS.transient_state).toBe("resource in a transient state");
  });

  it("a permanent provider error wins over transient words in the same failure (a 429 on another resource, a transient state)", () => {
    const permanent = jsonDiagnostics("apply-scw-not-found.diagnostic.jsonl");
    const transient = [
      ...jsonDiagnostics("apply-rate-limit.diagnostic.jsonl"),
      ...jsonDiagnostics("apply-scw-transient-state.diagnostic.jsonl"),
    ];
    expect(classifyFailure({ diagnostics: [...transient, ...permanent], stderr: "" })).toEqual({ transient: false, reason: "not_found" });
    const quota = captured("apply-scw-quotas-exceeded.stderr.txt");
    expect(classifyFailure({ diagnostics: transient, stderr: quota })).toEqual({ transient: false, reason: "quotas_exceeded" });
    expect(t("scaleway-sdk-go: insufficient permissions: read cockpit (after 3 attempts: i/o timeout, 503 Service Unavailable)")).toEqual({
      transient: false,
      reason: "permissions_denied",
    });
  });

  it("reads the raw body's type when a message quotes it instead of the SDK's wording", () => {
    expect(t('{"type":"out_of_stock","message":"resource is out of stock","resource":"L4-1-24G"} (503)')).toEqual({
      transient: false,
      reason: "out_of_stock",
    });
    expect(t('{"type":"transient_state","current_state":"starting"}')).toEqual({ transient: true, reason: "transient_state" });
  });

  it("an S3 backend's PreconditionFailed on the lock object is still a held state lock, not a provider precondition", () => {
    const diagnostics = jsonDiagnostics("plan-s3-state-lock.diagnostic.jsonl");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: true, reason: "state_lock" });
  });
});

describe("failure classifier rules", () => {
  it.each([
    ["scaleway-sdk-go: http error 503 Service Unavailable", "server_error"],
    ["unexpected response status code 502", "server_error"],
    ["Internal Server Error", "server_error"],
    ["read tcp 10.0.0.1:443: read: connection reset by peer", "connection"],
    ["net/http: TLS handshake timeout", "tls_timeout"],
    ["Client.Timeout exceeded while awaiting headers", "timeout"],
    ["context deadline exceeded", "timeout"],
    ["HTTP 429: Too Many Requests", "rate_limit"],
    ["request throttled by the API, slow down", "rate_limit"],
  ])("%s -> %s", (text, reason) => {
    expect(t(text)).toMatchObject({ transient: true, reason });
  });

  it.each([
    "Error: Invalid value for variable",
    "Saved plan is stale",
    "scaleway-sdk-go: http error 403 Forbidden: access denied",
    "insufficient quota for this resource: 500 instances",
    "memory_limit_bytes must be 500 or more",
  ])("%s is permanent", (text) => {
    expect(t(text)).toEqual({ transient: false });
  });

  it("never looks at the command line: only diagnostics and stderr are inputs", () => {
    // A flag value with "429" or "timeout" in it is not something tofu said.
    expect(
      classifyFailure({
        diagnostics: [{ severity: "error", summary: "Unsupported argument", detail: 'An argument named "abc" is not expected here.' }],
        stderr: "",
      }),
    ).toEqual({ transient: false });
  });

  it("reads Retry-After in its common spellings", () => {
    expect(parseRetryAfter("Retry-After: 12")).toBe(12_000);
    expect(parseRetryAfter("please retry after 1.5 seconds")).toBe(1500);
    expect(parseRetryAfter("retry-after 250ms")).toBe(250);
    expect(parseRetryAfter("no hint here")).toBeUndefined();
    expect(t("429 Too Many Requests (Retry-After: 3)")).toEqual({ transient: true, reason: "rate_limit", retryAfterMs: 3000 });
  });
});

describe("state lock info", () => {
  it("reads the lock id, holder and creation time from tofu's real message", async () => {
    const { parseStateLockInfo } = await import("../../src/tofu/index.js");
    const info = parseStateLockInfo(captured("plan-state-lock.stderr.txt"));
    expect(info).toMatchObject({ id: "825953a5-ada8-c9b1-2e18-594866d6ae28", who: "root@vm", operation: "OperationTypeApply" });
    expect(info?.created?.toISOString()).toBe("2026-11-25T23:32:46.952Z");
    expect(parseStateLockInfo("Error: something else")).toBeNull();
  });
});

describe("the error of a permanent provider failure says what to change", () => {
  it("a quota names the console's quota page; a refused API key names the variables", async () => {
    const { TofuError } = await import("../../src/tofu/index.js");
    const stderr = captured("apply-scw-quotas-exceeded.stderr.txt");
    const err = new TofuError("apply", 1, parseHumanDiagnostics(stderr), stderr);
    expect(err.failure).toEqual({ transient: false, reason: "quotas_exceeded" });
    expect(err.message).toContain("quota exceeded(s): CpServersType_PRO2_XXS");
    expect(err.hint).toMatch(/Organization > Quotas/);
    const denied = new TofuError("plan", 1, jsonDiagnostics("plan-scw-permissions-denied.diagnostic.jsonl"), "");
    expect(denied.hint).toMatch(/IAM policy/);
  });
});
