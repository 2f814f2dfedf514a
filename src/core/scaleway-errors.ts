/**
 * Scaleway's permanent error types: the body's `type` of an API error (scaleway-sdk-go's typed errors,
 * scw/errors.go; the JS SDK's Errors classes). Retrying cannot help: something must change (the
 * configuration, a quota, the credentials' rights, the zone). One list for the tofu classifier
 * (src/tofu/classify.ts) and the SDK adapter's retry layer (src/scaleway/retry.ts).
 */
export const SCALEWAY_PERMANENT_TYPES = [
  "invalid_arguments",
  "not_found",
  "permissions_denied",
  "denied_authentication",
  "quotas_exceeded",
  "precondition_failed",
  "out_of_stock",
  "already_exists",
  "locked",
] as const;

export type ScalewayPermanentType = (typeof SCALEWAY_PERMANENT_TYPES)[number];

/** Types that say "not now": the resource is busy (transient_state) or the caller is rate limited. Wait and retry. */
export const SCALEWAY_TRANSIENT_TYPES = ["transient_state", "too_many_requests"] as const;

export type ScalewayTransientType = (typeof SCALEWAY_TRANSIENT_TYPES)[number];

export function isScalewayPermanentType(type: unknown): type is ScalewayPermanentType {
  return typeof type === "string" && (SCALEWAY_PERMANENT_TYPES as readonly string[]).includes(type);
}

export function isScalewayTransientType(type: unknown): type is ScalewayTransientType {
  return typeof type === "string" && (SCALEWAY_TRANSIENT_TYPES as readonly string[]).includes(type);
}
