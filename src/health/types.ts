/** A service as the root's `services` output describes it: the contract between infra/ and the tool. */
export interface ServiceEndpoint {
  name: string;
  /** Base URL, e.g. https://evalap-xyz.functions.fnc.fr-par.scw.cloud */
  url: string;
  /** e.g. /openapi.json */
  healthPath: string;
  /** Container ID (`fr-par/<uuid>`) when the root outputs it: for redeploy/rollback checks. */
  id?: string;
  /** What a good answer's body looks like, beyond a 2xx status. */
  expect?: BodyExpectation;
}

/** Body checks of a good answer: a 200 carrying an HTML error page is not healthy. */
export interface BodyExpectation {
  /** The body parses as JSON. */
  json?: boolean;
  /** The body contains this text. */
  contains?: string;
}

export interface HealthPolicy {
  /** Consecutive good answers needed per service. */
  consecutive: number;
  /** Pause between two checks of one service. */
  intervalMs: number;
  /** Timeout of one request. */
  requestTimeoutMs: number;
  /** A 2xx answer slower than this does not count as good (responses under 2 s, NFR-002). */
  latencyBudgetMs: number;
  /** All services must be healthy within this time after the gate starts. */
  deadlineMs: number;
  /**
   * This many definite failures in a row (see verdict.ts), counted after the grace, end the gate
   * at once: unhealthy. Absent: only the deadline ends a failing gate.
   */
  failureThreshold?: number;
  /** Failures of checks sent within this time from the start of the gate do not count toward the threshold. */
  graceMs?: number;
}

export interface ServiceHealth {
  name: string;
  url: string;
  healthy: boolean;
  attempts: number;
  /** Consecutive good answers at the end. */
  consecutive: number;
  lastStatus?: number;
  lastError?: string;
  /** Latencies of the answers received, in ms. */
  latencyMs: { p50: number; max: number };
  durationMs: number;
  /** Why the service is unhealthy; absent when healthy. */
  reason?: string;
}

export interface HealthReport {
  healthy: boolean;
  services: ServiceHealth[];
  durationMs: number;
}
