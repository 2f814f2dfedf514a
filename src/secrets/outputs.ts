import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { OutputValue } from "../tofu/commands.js";

/** A Secret Manager secret as the root names it: `fr-par/<uuid>` split into its region and id. */
export interface SecretRef {
  region: string;
  id: string;
}

/** What `secrets list` reads from the root's outputs (infra/README.md, "Outputs the CLI reads"). */
export interface SecretOutputs {
  /** Environment variable name => secret. */
  secrets: Record<string, SecretRef>;
  path: string;
  /** Environment variable name => the revision the containers' secret environment was read from; null when the root predates the output. */
  revisions: Record<string, number> | null;
  projectId: string | undefined;
}

/**
 * The root's secret outputs. A root with no outputs was never applied: the error names the deploy
 * that creates the secrets (exit 9, a prerequisite, as alerts sync says of a project it cannot find).
 */
export function secretOutputs(environment: string, outputs: Record<string, OutputValue>): SecretOutputs {
  // An apply limited to the secrets' shells writes only app_secrets (infra/modules/evalap-platform/outputs.tf).
  const shells = outputs.app_secrets?.value as { ids?: unknown; path?: unknown } | undefined;
  const ids = outputs.secret_ids?.value ?? shells?.ids;
  const path = outputs.secret_path?.value ?? shells?.path;
  if (Object.keys(outputs).length === 0) {
    throw new EvalapError("secrets_not_deployed", `${environment} has no secrets yet: its root has no outputs (never deployed)`, {
      exitCode: ExitCode.Prerequisite,
      hint: `run \`evalap-infra deploy ${environment}\` first: its first apply creates the secrets`,
    });
  }
  if (!isRecord(ids) || typeof path !== "string") {
    throw new EvalapError(
      "secrets_outputs_invalid",
      `${environment}: the root's secret_ids or secret_path output is not what the CLI reads`,
      {
        hint: "secret_ids must be a map of strings and secret_path a string (infra/README.md, outputs); check the root's outputs.tf",
      },
    );
  }
  const secrets: Record<string, SecretRef> = {};
  // After an apply limited to the secrets' shells (secrets set on a new environment), the database's
  // entries are null: only the secrets that exist are listed.
  for (const [name, id] of Object.entries(ids)) if (typeof id === "string") secrets[name] = secretRef(id);
  const revisions = outputs.secret_revisions?.value;
  const project = outputs.project_id?.value;
  return {
    secrets,
    path,
    revisions: isNumberRecord(revisions) ? revisions : null,
    projectId: typeof project === "string" && project !== "" ? project : undefined,
  };
}

/** `fr-par/<uuid>` (the provider's regional id) or a bare id, whose region is then unknown (""). */
export function secretRef(id: string): SecretRef {
  const slash = id.indexOf("/");
  return slash < 0 ? { region: "", id } : { region: id.slice(0, slash), id: id.slice(slash + 1) };
}

/** The ref with its region, `fallback` (the profile's default region) for a bare id. */
export function withRegion(ref: SecretRef, fallback: string): SecretRef {
  return ref.region === "" ? { region: fallback, id: ref.id } : ref;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "string" || x === null);
}

function isNumberRecord(v: unknown): v is Record<string, number> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => Number.isInteger(x));
}
