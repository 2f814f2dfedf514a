import type { PlanSummary } from "../tofu/plan-summary.js";

/**
 * A release is data: the inputs that change between deploys, recorded before apply, so that a
 * rollback re-applies an earlier release's inputs through the same plan, guard and apply path.
 *
 * "unpersisted": tofu applied but could not save the state; the state is kept locally until pushed.
 */
export type ReleaseStatus = "pending" | "healthy" | "failed" | "rolled_back" | "superseded" | "unpersisted";

// A type alias, not an interface: it must fit the schema's loose (index-signed) object.
export type ReleaseInputs = {
  /** Run-level variables (-var), images among them; environment vars come from the config. */
  vars: Record<string, unknown>;
};

/**
 * One release, stored at `<prefix>/releases/<id>.json`. Kept in sync with `releaseRecordSchema`
 * (schema.ts checks it at compile time); fields a newer CLI adds are kept on read and rewrite.
 */
export interface ReleaseRecord {
  /**
   * The release's sequence number in its environment, 8 digits zero-padded ("00000042"), taken from
   * the bucket's key listing: id order (= key order) is the only order of releases.
   */
  id: string;
  environment: string;
  kind: "deploy" | "rollback";
  /** For a rollback: the release whose inputs it re-applied. */
  rollbackOf?: string;
  /**
   * Display only, never an order: the bucket's clock (1 s resolution) when the ledger has it,
   * else this host's. Releases are ordered by `id` alone.
   */
  createdAt: string;
  /** Display only, like createdAt. */
  updatedAt: string;
  /** Display only: the writer's clock. */
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
  health?: {
    healthy: boolean;
    services: Array<{ name: string; healthy: boolean; attempts: number; lastStatus?: number; lastError?: string }>;
  };
  /** Set when this release was rolled back: the release applied instead. */
  rolledBackTo?: string;
  /** Free-form notes appended over the release's life (operators, tooling). */
  notes?: string[];
}

/** What `create` needs: the ledger assigns the id and the times. */
export type NewRelease = Omit<ReleaseRecord, "id" | "createdAt" | "updatedAt">;

/** Fields a run sets on its release when it settles it (status, health, plan...). */
export type ReleaseSet = Partial<NewRelease>;

export interface AuditEntry {
  /** Stable across replays (journal, retries): the entry's object key ends with it. */
  id: string;
  /** Display only: the writer's clock. The trail is ordered by the objects' bucket Last-Modified. */
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

/** What `appendAudit` needs: an id is drawn when the caller has none. */
export type NewAuditEntry = Omit<AuditEntry, "id"> & { id?: string };
