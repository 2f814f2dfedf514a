import { randomBytes } from "node:crypto";
import { scalewayClient } from "../../src/scaleway/client.js";
import { tofuIn } from "./project.js";
import type { RunningSandbox } from "./sandbox.js";

/**
 * What an environment needs before its first full apply, now that Secret Manager holds the application
 * secrets' values (issue 11): the secret shells (a targeted apply of the platform's secret-manager
 * module, as `evalap-infra secrets set` runs it), then one enabled version per application secret,
 * written through `@scaleway/sdk-secret` as the CLI writes them. For tests on the sandbox.
 */
export interface SeedAppSecretsOptions {
  sb: RunningSandbox;
  /** The root (absolute path), already initialised (`tofu init` with its backend). */
  root: string;
  /** The root's environment: its secrets live at /evalap/<environment> (modules/evalap-platform). */
  environment: string;
  /** Extra arguments of the targeted apply (e.g. -var images=..., -var project_id=...). */
  args?: string[];
  /** The project holding the secrets; default: the sandbox environment's project. */
  projectId?: string;
  /** Values by environment variable name; default: the sandbox's generated one, else a random token. */
  values?: Record<string, string>;
  /** Only these names (default: every application secret the root created). */
  only?: string[];
}

export interface SeededSecret {
  /** Regional secret id, `fr-par/<uuid>`. */
  secretId: string;
  revision: number;
}

/** The tag the secret-manager module puts on each application secret (infra/modules/secret-manager/main.tf). */
const ENV_VAR_TAG = /^env-var:([A-Z][A-Z0-9_]*)$/;

/**
 * Creates the root's application secret shells (`tofu apply -target=module.platform.module.secrets`),
 * then writes one new version per application secret. Returns the revision written, by variable name.
 */
export async function seedAppSecrets(opts: SeedAppSecretsOptions): Promise<Record<string, SeededSecret>> {
  const { sb } = opts;
  const apply = await tofuIn(
    opts.root,
    ["apply", "-auto-approve", "-input=false", "-no-color", "-target=module.platform.module.secrets", ...(opts.args ?? [])],
    sb.env,
  );
  if (apply.exitCode !== 0) {
    throw new Error(`targeted apply of module.platform.module.secrets failed (exit ${apply.exitCode}):\n${apply.stdout}\n${apply.stderr}`);
  }
  const connection = await scalewayClient(sb.env);
  const api = await connection.secrets();
  const region = sb.descriptor.scaleway.region as NonNullable<Parameters<typeof api.listSecrets>[0]>["region"];
  const projectId = opts.projectId ?? sb.descriptor.environmentProject.id;
  const secrets = await api.listSecrets({ region, projectId, path: `/evalap/${opts.environment}`, scheduledForDeletion: false }).all();
  const seeded: Record<string, SeededSecret> = {};
  for (const secret of secrets) {
    const name = secret.tags.map((t) => ENV_VAR_TAG.exec(t)?.[1]).find((n) => n !== undefined);
    if (name === undefined || (opts.only && !opts.only.includes(name))) continue;
    const value = opts.values?.[name] ?? sb.descriptor.appSecrets[name] ?? randomBytes(24).toString("base64url");
    const version = await api.createSecretVersion({
      region,
      secretId: secret.id,
      data: Buffer.from(value).toString("base64"),
      description: "seeded by the tests (test/helpers/secret-seed.ts)",
    });
    seeded[name] = { secretId: `${secret.region}/${secret.id}`, revision: version.revision };
  }
  if (Object.keys(seeded).length === 0)
    throw new Error(`no application secret found at /evalap/${opts.environment} in project ${projectId}`);
  return seeded;
}
