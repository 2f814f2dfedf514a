import type { Secretv1beta1 } from "@scaleway/sdk-secret";
import type { EvalapError } from "../core/errors.js";
import { httpStatus, sdkFailure } from "../scaleway/errors.js";
import type { SecretRef } from "./outputs.js";
import type { VersionInfo } from "./status.js";

/**
 * Reads of Secret Manager's metadata: a secret, its versions, the secrets under a path. Only
 * GetSecret, ListSecretVersions and ListSecrets: never AccessSecretVersion, the one call whose answer
 * carries a value (in @scaleway/sdk-secret v1beta1 types.gen.d.ts, only AccessSecretVersionResponse
 * has `data`; Secret and SecretVersion have none). A test checks no module here names it.
 */
export interface SecretMetadata {
  name: string;
  path: string;
  protected: boolean;
  createdAt: Date | undefined;
  updatedAt: Date | undefined;
}

/** The secret and its versions; null when Secret Manager does not have it (404). */
export async function readSecret(
  api: Secretv1beta1.API,
  ref: SecretRef,
): Promise<{ secret: SecretMetadata; versions: VersionInfo[] } | null> {
  const region = ref.region as Secretv1beta1.ListSecretVersionsRequest["region"];
  try {
    const secret = await api.getSecret({ region, secretId: ref.id });
    const versions = await api.listSecretVersions({ region, secretId: ref.id }).all();
    return {
      secret: {
        name: secret.name,
        path: secret.path,
        protected: secret.protected,
        createdAt: secret.createdAt,
        updatedAt: secret.updatedAt,
      },
      versions: versions.map((v) => ({ revision: v.revision, status: v.status, createdAt: v.createdAt })),
    };
  } catch (err) {
    if (httpStatus(err) === 404) return null;
    throw secretsApiError(err, `reading secret ${ref.region}/${ref.id}`);
  }
}

/** Every secret (not scheduled for deletion) of the project at exactly this path. */
export async function secretsAtPath(
  api: Secretv1beta1.API,
  region: string,
  projectId: string,
  path: string,
): Promise<Array<{ id: string; name: string; path: string; versionCount: number }>> {
  try {
    const all = await api.listSecrets({ region: region, projectId, path, scheduledForDeletion: false }).all();
    return all.map((s) => ({ id: `${s.region}/${s.id}`, name: s.name, path: s.path, versionCount: s.versionCount }));
  } catch (err) {
    throw secretsApiError(err, `listing the secrets of project ${projectId} at ${path}`);
  }
}

/** A refused key is a missing prerequisite (exit 9); anything else names what was read. Never a value: there is none here. */
export function secretsApiError(err: unknown, what: string): EvalapError {
  return sdkFailure(err, what, {
    unauthorized: {
      code: "secrets_unauthorized",
      hint: "use a Scaleway API key (SCW_ACCESS_KEY/SCW_SECRET_KEY) whose IAM policy grants SecretManagerReadOnly on the environment's project (the deployer or planner application of infra/bootstrap)",
    },
    failed: { code: "secrets_lookup", hint: "check SCW_API_URL, the project and the region, then run the command again" },
  });
}
