import { describe, expect, it } from "vitest";
import { assertHealthy, exitCodeOfOutcome, HealthGateError } from "../../src/cli/release-outcome.js";
import { EvalapError, InterruptedError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import { GuardRefusedError } from "../../src/guard/guard.js";
import type { ReleaseRecord } from "../../src/ledger/types.js";
import { outcomeOfError } from "../../src/operations/audit-trail.js";
import { auditOfRelease, type ReleaseFlowResult, type ReleaseOutcome } from "../../src/operations/release-flow.js";

const release: ReleaseRecord = {
  id: "00000002",
  environment: "staging",
  kind: "deploy",
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
  actor: "alice",
  host: "laptop",
  runId: "run-2",
  gitRevision: null,
  configHash: "h",
  inputs: { vars: {} },
  images: {},
  status: "failed",
};

function result(outcome: ReleaseOutcome, over: Partial<ReleaseFlowResult> = {}): ReleaseFlowResult {
  return {
    outcome,
    release,
    deploy: {
      environment: "staging",
      changed: true,
      summary: { changes: [], counts: { create: 0, update: 1, delete: 0, replace: 0 }, outputChanges: [], hasChanges: true },
      outputs: {},
      applyAttempts: 1,
      warnings: [],
    },
    health: null,
    summary: `staging: ${outcome}`,
    durationMs: 1200,
    ...over,
  };
}

describe("a release's outcome at the CLI edge", () => {
  it("healthy exits 0, rolled back (service restored) 7, failed (not restored) 8", () => {
    expect(exitCodeOfOutcome("healthy")).toBe(ExitCode.Ok);
    expect(exitCodeOfOutcome("rolled_back")).toBe(7);
    expect(exitCodeOfOutcome("failed")).toBe(8);
  });

  it("a healthy result goes on to the data event as it is", () => {
    const healthy = result("healthy");
    expect(assertHealthy(healthy)).toBe(healthy);
  });

  it("an unhealthy result stops the command with the use case's message and hint, under a code CI can branch on", () => {
    const cases = [
      ["rolled_back", "rolled_back", 7],
      ["failed", "health_failed", 8],
    ] as const;
    for (const [outcome, code, exitCode] of cases) {
      const summary = `staging: health check failed: api (answered 500); ${outcome}`;
      const unhealthy = result(outcome, { summary, hint: "fix it and deploy again" });
      let thrown: unknown;
      try {
        assertHealthy(unhealthy);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HealthGateError);
      expect(thrown).toMatchObject({ code, exitCode, message: unhealthy.summary, hint: "fix it and deploy again" });
    }
  });

  it("an unhealthy result without a hint has none (no empty hint line)", () => {
    const err = new HealthGateError("failed", "staging: unhealthy", undefined);
    expect(err.hint).toBeUndefined();
    expect(() => assertHealthy(result("failed"))).toThrow("staging: failed");
  });
});

describe("a release's audit entry", () => {
  it("healthy is ok, and the other outcomes are recorded as they are, with the release and why", () => {
    expect(auditOfRelease(result("healthy"))).toEqual({ outcome: "ok", releaseId: "00000002" });
    expect(auditOfRelease(result("rolled_back", { detail: "health check failed: api (answered 500); rolled back to 00000001" }))).toEqual({
      outcome: "rolled_back",
      releaseId: "00000002",
      detail: "health check failed: api (answered 500); rolled back to 00000001",
    });
    const failed = result("failed", { detail: "unhealthy" });
    expect(auditOfRelease(failed)).toEqual({ outcome: "failed", releaseId: "00000002", detail: "unhealthy" });
  });

  it("without a ledger there is no release to name", () => {
    expect(auditOfRelease(result("healthy", { release: null }))).toEqual({ outcome: "ok" });
  });

  it("an operation stopped by an error: interrupted, refused by the guard, or failed", () => {
    expect(outcomeOfError(new InterruptedError("SIGINT"))).toBe("interrupted");
    expect(outcomeOfError(new InterruptedError("SIGTERM"))).toBe("interrupted");
    expect(outcomeOfError(new GuardRefusedError("refusing", "hint", ["r"]))).toBe("refused");
    expect(outcomeOfError(new EvalapError("lock_lost", "lost"))).toBe("failed");
    expect(outcomeOfError(new Error("bug"))).toBe("failed");
  });
});
