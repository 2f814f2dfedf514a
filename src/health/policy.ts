import { configSchema, type ProjectConfigData } from "../config/schema.js";
import type { HealthPolicy } from "./types.js";

export type HealthConfig = ProjectConfigData["health"];

/** The gate's policy from the config's `health` section (durations already in ms). */
export function healthPolicy(health: HealthConfig): HealthPolicy {
  return {
    consecutive: health.consecutive,
    intervalMs: health.interval,
    requestTimeoutMs: health.timeout,
    latencyBudgetMs: health.latencyBudget,
    deadlineMs: health.deadline,
    failureThreshold: health.failureThreshold,
    graceMs: health.grace,
  };
}

/** The policy of an empty `health` section: the schema is the one source of the defaults. */
export const DEFAULT_HEALTH_POLICY: HealthPolicy = Object.freeze(healthPolicy(configSchema.shape.health.parse(undefined)));
