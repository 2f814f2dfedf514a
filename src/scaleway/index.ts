export { scalewayClient, profileFromEnv, type ScalewayConnection, type ScalewayProfile } from "./client.js";
export { retryingFetch, retryAfter, type RetryingFetchOptions } from "./retry.js";
