export { backoffDelay, type RetryPolicy } from "./backoff.js";
export { withRetry, abortableSleep, RetriesExhaustedError, type RetryOptions, type Transient } from "./retry.js";
