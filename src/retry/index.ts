export { backoffDelay, type RetryPolicy } from "./backoff.js";
export { withRetry, RetriesExhaustedError, type RetryOptions, type Transient } from "./retry.js";
