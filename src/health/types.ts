/** A service as the root's `services` output describes it: the contract between infra/ and the tool. */
export interface ServiceEndpoint {
  name: string;
  /** Base URL, e.g. https://evalap-xyz.functions.fnc.fr-par.scw.cloud */
  url: string;
  /** e.g. /openapi.json */
  healthPath: string;
  /** Container ID (`fr-par/<uuid>`) when the root outputs it: for redeploy/rollback checks. */
  id?: string;
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
