export { scalewayClient, type ScalewayConnection } from "./client.js";
export { scalewayProfile, type ScalewayProfile } from "./profile.js";
export { retryingFetch, retryAfter, type RetryingFetchOptions } from "./retry.js";
