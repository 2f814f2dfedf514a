import os from "node:os";
import { EvalapError, InterruptedError } from "../core/errors.js";
import type { HealthReport, ServiceHealth } from "../health/types.js";
import type { ReleaseRecord, ReleaseSet } from "../ledger/types.js";
import { StateNotPersistedError } from "../tofu/errors.js";
import type { PlanSummary } from "../tofu/plan-summary.js";

/**
 * What the ledger records about a release, decided from what happened (pure: unit-tested in
 * test/unit/release-records.test.ts). runRelease writes these; it decides nothing itself.
 */

/** Where and when a stopped run writes its record: this host and now, unless a test says otherwise. */
export interface StopStamp {
  finishedAt: string;
  host: string;
}

const here = (): StopStamp => ({ finishedAt: new Date().toISOString(), host: os.hostname() });

/**
 * What the ledger records when the run stops with `err` (docs: "Locks and faults"):
 * - stopped before any apply began (plan error, guard refusal, lost lease): `failed`;
 * - tofu applied but could not save the state: `unpersisted`, with where the state is kept;
 * - tofu finished the apply and reported an error (its state was saved): `failed`;
 * - stopped while an apply may have run (interrupt, tofu killed, lease lost, bucket down): no
 *   status, only the reason: the release stays `pending`, so the next run stops and asks to
 *   resume or roll back.
 */
export function outcomeOfStop(err: unknown, applyMayHaveRun: boolean, stamp: StopStamp = here()): ReleaseSet {
  const { finishedAt } = stamp;
  const why = err instanceof InterruptedError ? `interrupted by ${err.signal}` : err instanceof Error ? err.message : String(err);
  if (err instanceof StateNotPersistedError) {
    const where = err.recoveryFile ?? "tofu's output only (see the run's log)";
    const statusReason = `tofu applied but could not save the state; it is kept on ${stamp.host} in ${where}`;
    return { status: "unpersisted", statusReason, finishedAt };
  }
  if (!applyMayHaveRun || isDefiniteApplyFailure(err)) return { status: "failed", statusReason: why, finishedAt };
  // The apply may have changed things and nobody checked them: the next run must decide.
  return { statusReason: `the run stopped while applying (${why}): resume or roll back` };
}

/** tofu finished the apply and reported an error: its state was saved, the release failed. */
export function isDefiniteApplyFailure(err: unknown): boolean {
  return err instanceof EvalapError && err.code === "tofu_failed" && !("signal" in err && err.signal);
}

/** What the ledger records once the gate has answered (null: the root declares no services). */
export function outcomeOfGate(health: HealthReport | null, finishedAt: string = new Date().toISOString()): ReleaseSet {
  const healthy = health === null || health.healthy;
  return {
    status: healthy ? "healthy" : "failed",
    finishedAt,
    ...(health ? { health: healthRecord(health) } : {}),
    ...(healthy ? {} : { statusReason: unhealthyReason(health) }),
  };
}

export function planRecord(summary: PlanSummary): NonNullable<ReleaseRecord["plan"]> {
  return { counts: summary.counts, changes: summary.changes.map((c) => ({ address: c.address, action: c.action })) };
}

export function healthRecord(health: HealthReport): NonNullable<ReleaseRecord["health"]> {
  return {
    healthy: health.healthy,
    services: health.services.map((s) => ({
      name: s.name,
      healthy: s.healthy,
      attempts: s.attempts,
      ...(s.lastStatus !== undefined ? { lastStatus: s.lastStatus } : {}),
      ...(s.lastError ? { lastError: s.lastError } : {}),
    })),
  };
}

/** Why a gate failed, one clause naming each unhealthy service and what it last said. */
export function unhealthyReason(health: HealthReport | null): string {
  if (!health) return "unhealthy";
  const bad = health.services.filter((s) => !s.healthy);
  const said = (s: ServiceHealth) => s.lastError ?? (s.lastStatus !== undefined ? `answered ${s.lastStatus}` : "no good answer");
  return `health check failed: ${bad.map((s) => `${s.name} (${said(s)})`).join(", ")}`;
}

/** The report of a release whose `services` output breaks its contract: unhealthy, rolled back like one. */
export function invalidServicesReport(message: string): HealthReport {
  const service: ServiceHealth = {
    name: "services output",
    url: "",
    healthy: false,
    attempts: 0,
    consecutive: 0,
    lastError: message,
    latencyMs: { p50: 0, max: 0 },
    durationMs: 0,
    reason: message,
  };
  return { healthy: false, services: [service], durationMs: 0 };
}
