import type { HealthPolicy } from "./types.js";

export type { HealthPolicy, HealthReport, ServiceEndpoint, ServiceHealth } from "./types.js";
export { servicesFromOutputs } from "./services.js";
export { healthGate, healthUrl, type HealthGateOptions } from "./gate.js";

/** 3 good answers in a row, 2 s apart, each under the 2 s budget (NFR-002), within 5 minutes of the apply. */
export const DEFAULT_HEALTH_POLICY: HealthPolicy = Object.freeze({
  consecutive: 3,
  intervalMs: 2000,
  requestTimeoutMs: 5000,
  latencyBudgetMs: 2000,
  deadlineMs: 300_000,
});
