export { scalewayClient, profileFromEnv, DEFAULT_SCALEWAY_RETRY, type ScalewayConnection, type ScalewayProfile } from "./client.js";
export { retryingFetch, retryAfter, type RetryingFetchOptions } from "./retry.js";
