import type { Secretv1beta1 } from "@scaleway/sdk-secret";
import { createHash } from "node:crypto";
import type { SecretRef } from "./outputs.js";
import { secretsApiError } from "./read.js";

/**
 * Writes to Secret Manager's versions: create one, enable or disable one. The value goes in and
 * never comes back out of here; what callers keep of it is its fingerprint.
 */

type Region = Secretv1beta1.CreateSecretVersionRequest["region"];

/** What identifies a value without revealing it: the first 12 hex digits of its SHA-256 (48 bits). */
export function fingerprint(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("hex").slice(0, 12);
}

/** A new enabled version holding `value`; `description` says who wrote it (a rotation finds its own versions by it). */
export async function createVersion(api: Secretv1beta1.API, ref: SecretRef, value: string, description: string): Promise<number> {
  try {
    const v = await api.createSecretVersion({
      region: ref.region,
      secretId: ref.id,
      data: Buffer.from(value, "utf8").toString("base64"),
      description,
    });
    return v.revision;
  } catch (err) {
    throw secretsApiError(err, `writing a new version of secret ${ref.region}/${ref.id}`);
  }
}

/** Versions of the secret with their descriptions (metadata only), oldest first. */
export async function listVersions(
  api: Secretv1beta1.API,
  ref: SecretRef,
): Promise<Array<{ revision: number; status: string; description: string }>> {
  try {
    const all = await api.listSecretVersions({ region: ref.region, secretId: ref.id }).all();
    return all
      .map((v) => ({ revision: v.revision, status: v.status, description: v.description ?? "" }))
      .sort((a, b) => a.revision - b.revision);
  } catch (err) {
    throw secretsApiError(err, `listing the versions of secret ${ref.region}/${ref.id}`);
  }
}

/** Enables or disables one version; doing it to a version already so is a no-op (each rotation step may run twice). */
export async function setVersionEnabled(api: Secretv1beta1.API, ref: SecretRef, revision: number, enabled: boolean): Promise<void> {
  const request = { region: ref.region as Region, secretId: ref.id, revision: String(revision) };
  try {
    if (enabled) await api.enableSecretVersion(request);
    else await api.disableSecretVersion(request);
  } catch (err) {
    throw secretsApiError(err, `${enabled ? "enabling" : "disabling"} version ${revision} of secret ${ref.region}/${ref.id}`);
  }
}
