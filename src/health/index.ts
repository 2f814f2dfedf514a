export type { BodyExpectation, HealthPolicy, HealthReport, ServiceEndpoint, ServiceHealth } from "./types.js";
export { servicesFromOutputs } from "./services.js";
export { healthGate, healthUrl, type HealthGateOptions } from "./gate.js";
export { DEFAULT_HEALTH_POLICY, healthPolicy, type HealthConfig } from "./policy.js";
export { probeService, type ProbeResult } from "./probe.js";
