import { describe, expect, it } from "vitest";
import { EvalapError, InterruptedError } from "../../src/core/errors.js";
import { GuardRefusedError } from "../../src/guard/guard.js";
import type { HealthReport, ServiceHealth } from "../../src/health/types.js";
import { LeaseLostError } from "../../src/lock/remote.js";
import {
  healthRecord,
  invalidServicesReport,
  isDefiniteApplyFailure,
  outcomeOfGate,
  outcomeOfStop,
  planRecord,
  unhealthyReason,
} from "../../src/operations/release-records.js";
import { StateNotPersistedError, TofuError } from "../../src/tofu/errors.js";
import type { PlanSummary } from "../../src/tofu/plan-summary.js";

const stamp = { finishedAt: "2026-12-01T10:00:00.000Z", host: "runner-7" };
const applyFailed = () => new TofuError("apply", 1, [{ severity: "error", summary: "Invalid value for variable" }], "");
const killed = () => new TofuError("apply", 137, [], "", { signal: "SIGKILL" });

function service(name: string, over: Partial<ServiceHealth> = {}): ServiceHealth {
  const latencyMs = { p50: 3, max: 5 };
  return { name, url: `http://127.0.0.1/${name}`, healthy: true, attempts: 2, consecutive: 2, latencyMs, durationMs: 10, ...over };
}
const report = (...services: ServiceHealth[]): HealthReport => ({ healthy: services.every((s) => s.healthy), services, durationMs: 10 });

describe("what the ledger records when a run stops", () => {
  it("before any apply began (plan error, guard refusal, lost lease): failed, with the error's message", () => {
    const stops = [
      new Error("plan failed"),
      new GuardRefusedError("refusing to apply it", "hint", ["r"]),
      new LeaseLostError("staging", "lost", "gone"),
    ];
    for (const err of stops) {
      expect(outcomeOfStop(err, false, stamp)).toEqual({ status: "failed", statusReason: err.message, finishedAt: stamp.finishedAt });
    }
  });

  it("interrupted before the apply: failed, naming the signal", () => {
    const set = outcomeOfStop(new InterruptedError("SIGINT"), false, stamp);
    expect(set).toEqual({ status: "failed", statusReason: "interrupted by SIGINT", finishedAt: stamp.finishedAt });
  });

  it("while an apply may have run (interrupt, tofu killed, lease lost, bucket down): no status, the release stays pending", () => {
    for (const [err, why] of [
      [new InterruptedError("SIGTERM"), "interrupted by SIGTERM"],
      [killed(), killed().message],
      [new LeaseLostError("staging", "lost", "taken over"), new LeaseLostError("staging", "lost", "taken over").message],
      [new EvalapError("backend_unavailable", "the bucket does not answer"), "the bucket does not answer"],
    ] as const) {
      const set = outcomeOfStop(err, true, stamp);
      expect(set).toEqual({ statusReason: `the run stopped while applying (${why}): resume or roll back` });
      expect(set.status).toBeUndefined();
    }
  });

  it("tofu finished the apply and reported an error: its state was saved, the release failed", () => {
    const err = applyFailed();
    expect(isDefiniteApplyFailure(err)).toBe(true);
    expect(outcomeOfStop(err, true, stamp)).toEqual({ status: "failed", statusReason: err.message, finishedAt: stamp.finishedAt });
  });

  it("a killed tofu or any other error is not a definite apply failure", () => {
    expect(isDefiniteApplyFailure(killed())).toBe(false);
    expect(isDefiniteApplyFailure(new EvalapError("tofu_killed", "killed"))).toBe(false);
    expect(isDefiniteApplyFailure(new Error("tofu_failed"))).toBe(false);
    // An error with the code that still carries a signal did not finish.
    expect(isDefiniteApplyFailure(Object.assign(new EvalapError("tofu_failed", "x"), { signal: "SIGKILL" }))).toBe(false);
  });

  it("tofu applied but could not save the state: unpersisted, naming this host and where the state is kept", () => {
    const kept = new StateNotPersistedError("staging", "/p/infra/staging", "/p/.evalap-infra/recovery/staging/1.tfstate", "bucket down");
    expect(outcomeOfStop(kept, true, stamp)).toEqual({
      status: "unpersisted",
      statusReason: "tofu applied but could not save the state; it is kept on runner-7 in /p/.evalap-infra/recovery/staging/1.tfstate",
      finishedAt: stamp.finishedAt,
    });
    const lost = new StateNotPersistedError("staging", "/p/infra/staging", null, "bucket down");
    expect(outcomeOfStop(lost, true, stamp).statusReason).toBe(
      "tofu applied but could not save the state; it is kept on runner-7 in tofu's output only (see the run's log)",
    );
    // Whatever the apply flag says: the state exists only here.
    expect(outcomeOfStop(lost, false, stamp).status).toBe("unpersisted");
  });

  it("a thrown non-error is recorded by its text", () => {
    expect(outcomeOfStop("boom", false, stamp)).toEqual({ status: "failed", statusReason: "boom", finishedAt: stamp.finishedAt });
  });
});

describe("what the ledger records once the gate answered", () => {
  const at = "2026-12-01T10:00:00.000Z";

  it("no services output: healthy, no health record", () => {
    expect(outcomeOfGate(null, at)).toEqual({ status: "healthy", finishedAt: at });
  });

  it("healthy: the services and their attempts, no reason", () => {
    expect(outcomeOfGate(report(service("api", { lastStatus: 200 })), at)).toEqual({
      status: "healthy",
      finishedAt: at,
      health: { healthy: true, services: [{ name: "api", healthy: true, attempts: 2, lastStatus: 200 }] },
    });
  });

  it("unhealthy: failed, with the reason naming each bad service and what it last said", () => {
    const health = report(
      service("api", { healthy: false, lastStatus: 500 }),
      service("web", { lastStatus: 200 }),
      service("worker", { healthy: false, lastError: "connect ECONNREFUSED 127.0.0.1:9" }),
      service("jobs", { healthy: false }),
    );
    const set = outcomeOfGate(health, at);
    expect(set.status).toBe("failed");
    expect(set.statusReason).toBe(
      "health check failed: api (answered 500), worker (connect ECONNREFUSED 127.0.0.1:9), jobs (no good answer)",
    );
    expect(set.health?.services.map((s) => [s.name, s.healthy])).toEqual([
      ["api", false],
      ["web", true],
      ["worker", false],
      ["jobs", false],
    ]);
  });

  it("a services output that breaks its contract is an unhealthy release naming the problem", () => {
    const health = invalidServicesReport('the "services" output is not an object');
    expect(health.healthy).toBe(false);
    expect(unhealthyReason(health)).toBe('health check failed: services output (the "services" output is not an object)');
    expect(outcomeOfGate(health, at)).toMatchObject({
      status: "failed",
      health: { healthy: false, services: [{ name: "services output", attempts: 0 }] },
    });
  });

  it("without a report the reason is plain", () => {
    expect(unhealthyReason(null)).toBe("unhealthy");
  });
});

describe("records of the plan and the gate", () => {
  it("the plan record keeps the counts and each address with its action only", () => {
    const summary: PlanSummary = {
      changes: [{ address: "scaleway_container.api", type: "scaleway_container", action: "replace", reason: "image changed" }],
      counts: { create: 0, update: 0, delete: 0, replace: 1 },
      outputChanges: [],
      hasChanges: true,
    };
    expect(planRecord(summary)).toEqual({ counts: summary.counts, changes: [{ address: "scaleway_container.api", action: "replace" }] });
  });

  it("the health record leaves out latencies and URLs, and absent fields stay absent", () => {
    const record = healthRecord(report(service("api")));
    expect(record).toEqual({ healthy: true, services: [{ name: "api", healthy: true, attempts: 2 }] });
    expect(Object.keys(record.services[0] ?? {})).toEqual(["name", "healthy", "attempts"]);
  });
});

describe("containers the provider left in error", () => {
  it("are read from the apply's warnings, by service name, with the provider's message", async () => {
    const { containersNotReady } = await import("../../src/operations/release.js");
    const warnings = [
      {
        severity: "warning" as const,
        summary: 'Container is not ready, but has status "error"',
        detail: 'Container error message: "Container is unable to start"',
        address: 'module.platform.module.containers.scaleway_container.this["evalap"]',
      },
      { severity: "warning" as const, summary: "Deprecated attribute", address: "module.x.y" },
    ];
    expect(containersNotReady(warnings)).toEqual([
      {
        name: "evalap",
        reason: 'its new revision is error (Container error message: "Container is unable to start"); the previous one still serves',
      },
    ]);
    expect(containersNotReady([])).toEqual([]);
  });
});
