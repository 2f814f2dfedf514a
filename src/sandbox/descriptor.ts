import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";

/**
 * What a running sandbox (`evalap-infra sandbox up`) tells the CLI and tofu: where its parts listen and
 * the credentials they accept. Written by the sandbox daemon to `<dataDir>/sandbox.json` (mode 0600: it
 * holds the sandbox's keys, the state passphrase and the generated application secrets) once every part
 * answers, and removed when it stops.
 */
export const SandboxDescriptorSchema = z.object({
  format: z.literal(1),
  pid: z.number().int().positive(),
  startedAt: z.string(),
  dataDir: z.string(),
  /** SCW_API_URL for the provider and the SDK. */
  apiUrl: z.string().url(),
  scaleway: z.object({
    accessKey: z.string(),
    secretKey: z.string(),
    organizationId: z.string(),
    projectId: z.string(),
    region: z.string(),
    zone: z.string(),
  }),
  /** The S3 server (versitygw) holding the state bucket, the lease, the ledger and the audit trail. */
  s3: z.object({
    endpoint: z.string().url(),
    region: z.string(),
    accessKey: z.string(),
    secretKey: z.string(),
    stateBucket: z.string(),
  }),
  /** TF_VAR_state_passphrase for the root's state encryption. */
  statePassphrase: z.string().min(16),
  /** Generated values of the application secrets EvalAP reads: `deploy sandbox` writes them to Secret Manager when missing. */
  appSecrets: z.record(z.string(), z.string()),
  /** Image references pushed to the sandbox registry at start, by service (`evalap` at least). */
  images: z.record(z.string(), z.string()),
  /**
   * The sandbox environment's own project (infra/bootstrap makes one per environment); the registry stays
   * in `scaleway.projectId`, the default project, as bootstrap's does.
   */
  environmentProject: z.object({ id: z.string(), name: z.string() }),
});

export type SandboxDescriptor = z.infer<typeof SandboxDescriptorSchema>;

export const DESCRIPTOR_FILE = "sandbox.json";

/** The sandbox's data folder for a project: `$EVALAP_SANDBOX_DIR`, else `<project>/.evalap-infra/sandbox` (ignored by git). */
export function sandboxDataDir(projectDir: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.EVALAP_SANDBOX_DIR;
  return fromEnv && fromEnv !== "" ? path.resolve(fromEnv) : path.join(projectDir, ".evalap-infra", "sandbox");
}

/** The running sandbox's descriptor, or undefined when none was written (no sandbox up). */
export async function readDescriptor(dataDir: string): Promise<SandboxDescriptor | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, DESCRIPTOR_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  return SandboxDescriptorSchema.parse(JSON.parse(text));
}

/** The environment tofu, the provider, the SDK and the S3 client need to work on the sandbox. */
export function sandboxEnv(d: SandboxDescriptor): Record<string, string> {
  return {
    SCW_API_URL: d.apiUrl,
    SCW_ACCESS_KEY: d.scaleway.accessKey,
    SCW_SECRET_KEY: d.scaleway.secretKey,
    SCW_DEFAULT_ORGANIZATION_ID: d.scaleway.organizationId,
    SCW_DEFAULT_PROJECT_ID: d.scaleway.projectId,
    SCW_DEFAULT_REGION: d.scaleway.region,
    SCW_DEFAULT_ZONE: d.scaleway.zone,
    AWS_ACCESS_KEY_ID: d.s3.accessKey,
    AWS_SECRET_ACCESS_KEY: d.s3.secretKey,
    AWS_REGION: d.s3.region,
    TF_VAR_state_passphrase: d.statePassphrase,
    // Not a tofu input: Secret Manager holds the application secrets. A deploy on the sandbox writes
    // these as their first versions when Secret Manager has none (operations/secret-shells.ts).
    EVALAP_SANDBOX_APP_SECRETS: JSON.stringify(d.appSecrets),
    // The application secrets the sandbox's environment declares: those it has values for.
    TF_VAR_app_secret_names: JSON.stringify(Object.keys(d.appSecrets).sort()),
    // What an operator writes in the root's terraform.tfvars after bootstrap.
    TF_VAR_project_id: d.environmentProject.id,
    TF_VAR_project_name: d.environmentProject.name,
    TF_VAR_registry_project_id: d.scaleway.projectId,
    TF_VAR_alert_contact_emails: JSON.stringify([SANDBOX_ALERT_CONTACT]),
  };
}

/** Where the sandbox's alert manager "sends" alerts: a reserved private-use name (.internal), never mailed. */
export const SANDBOX_ALERT_CONTACT = "alerts@evalap-sandbox.internal";
