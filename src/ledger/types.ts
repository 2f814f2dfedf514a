import type { PlanSummary } from "../tofu/plan-summary.js";

/**
 * A release is data: the inputs that change between deploys, recorded before apply, so that a
 * rollback re-applies an earlier release's inputs through the same plan, guard and apply path.
 */
export type ReleaseStatus = "pending" | "healthy" | "failed" | "rolled_back" | "superseded";

export interface ReleaseInputs {
  /** Run-level variables (-var), images among them; environment vars come from the config. */
  vars: Record<string, unknown>;
}

export interface ReleaseRecord {
  /** Sortable: UTC time then a random suffix, e.g. 20261125T233800123Z-1a2b3c. */
  id: string;
  environment: string;
  kind: "deploy" | "rollback";
  /** For a rollback: the release whose inputs it re-applied. */
  rollbackOf?: string;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  actor: string;
  host: string;
  /** The lock holder id of the run that wrote it: a pending release whose run is gone was abandoned. */
  runId: string;
  gitRevision: string | null;
  configHash: string;
  inputs: ReleaseInputs;
  /** Image reference per service (from inputs.vars.images when present). */
  images: Record<string, string>;
  plan?: { counts: PlanSummary["counts"]; changes: Array<{ address: string; action: string }> };
  status: ReleaseStatus;
  /** Why the status is what it is (health failure, rollback target...). */
  statusReason?: string;
  health?: { healthy: boolean; services: Array<{ name: string; healthy: boolean; attempts: number; lastStatus?: number; lastError?: string }> };
  /** Set when this release was rolled back: the release applied instead. */
  rolledBackTo?: string;
  /** Free-form notes appended over the release's life (operators, tooling). */
  notes?: string[];
}

export interface AuditEntry {
  at: string;
  environment: string;
  actor: string;
  host: string;
  command: string;
  /** deploy, rollback, lock.force-release, ... */
  operation: string;
  outcome: "ok" | "failed" | "rolled_back" | "interrupted" | "refused";
  releaseId?: string;
  detail?: string;
}
