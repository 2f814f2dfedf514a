import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { classifyFailure, parseHumanDiagnostics, parseJsonLine, parseRetryAfter, type Diagnostic } from "../../src/tofu/index.js";
import { toDiagnostic } from "../../src/tofu/diagnostics.js";
import { FIXTURES } from "../helpers/project.js";

const captured = (name: string) => readFileSync(path.join(FIXTURES, "captured", name), "utf8");

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

describe("failure classifier rules", () => {
  const t = (text: string) => classifyFailure({ diagnostics: [], stderr: text });
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
    expect(classifyFailure({ diagnostics: [{ severity: "error", summary: "Unsupported argument", detail: "An argument named \"abc\" is not expected here." }], stderr: "" })).toEqual({ transient: false });
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
