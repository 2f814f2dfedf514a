import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError } from "../core/errors.js";

/** The environments a deployment repository can have: the roots the package ships. */
export const SCAFFOLD_ENVIRONMENTS = ["staging", "production"] as const;
/** Scaleway's regions with Serverless Containers, Managed PostgreSQL and Object Storage. */
export const SCAFFOLD_REGIONS = ["fr-par", "nl-ams", "pl-waw"] as const;

export interface ScaffoldOptions {
  /** The deployment repository, created when missing. */
  dir: string;
  environments: string[];
  region: string;
  /** Project id per environment (environments/<env>.tfvars). */
  projectIds: Record<string, string>;
  registryProjectId?: string;
  /** Alert contacts per environment. */
  alertEmails: Record<string, string[]>;
  /** First image per service (config `images` of every environment). */
  images: Record<string, string>;
  /** State bucket of <env>: `<prefix>-<env>` (infra/bootstrap's naming). */
  stateBucketPrefix: string;
  /** The evalap-infra version range of package.json. */
  cliRange: string;
  /** The CLI's version, named in the files' headers. */
  cliVersion: string;
}

export interface ScaffoldResult {
  dir: string;
  /** Paths relative to dir, in writing order. */
  created: string[];
  /** Paths that existed and were left byte for byte as they were. */
  skipped: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Object Storage bucket names: lowercase letters, digits, dashes (the environment suffix is added). */
const BUCKET_PREFIX = /^[a-z0-9][a-z0-9-]{1,50}$/;
/** Where the package's roots are once `npm ci` installed it in the deployment repository. */
const PACKAGE_DIR = "node_modules/evalap-infra";

/**
 * Scaffolds a deployment repository from templates/deployment: every file is created only when
 * nothing exists at its path (`wx`: an existing file is never opened for writing), so a second run
 * skips everything and a user's edits are never lost.
 */
export async function scaffold(opts: ScaffoldOptions): Promise<ScaffoldResult> {
  checkOptions(opts);
  const files = await renderFiles(opts);
  const created: string[] = [];
  const skipped: string[] = [];
  for (const [rel, content] of files) {
    const target = path.join(opts.dir, rel);
    await mkdir(path.dirname(target), { recursive: true });
    try {
      await writeFile(target, content, { flag: "wx" });
      created.push(rel);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      skipped.push(rel);
    }
  }
  return { dir: opts.dir, created, skipped };
}

function checkOptions(opts: ScaffoldOptions): void {
  const envs = opts.environments;
  const unknown = envs.filter((e) => !(SCAFFOLD_ENVIRONMENTS as readonly string[]).includes(e));
  if (unknown.length > 0 || envs.length === 0) {
    throw new UsageError(
      `--environments ${envs.join(",") || '""'}: ${unknown.length > 0 ? `no root for ${unknown.join(", ")}` : "none given"}`,
      `the package ships the roots ${SCAFFOLD_ENVIRONMENTS.join(" and ")}: use --environments staging,production (or staging)`,
    );
  }
  if (new Set(envs).size !== envs.length) throw new UsageError(`--environments names an environment twice`, "name each once");
  if (!envs.includes("staging")) {
    throw new UsageError(
      "--environments without staging: production only ever gets the images staging runs healthy",
      "use --environments staging,production",
    );
  }
  if (!(SCAFFOLD_REGIONS as readonly string[]).includes(opts.region)) {
    throw new UsageError(
      `--region ${opts.region} is not a Scaleway region evalap-infra deploys to`,
      `use one of ${SCAFFOLD_REGIONS.join(", ")}`,
    );
  }
  for (const [flag, byEnv] of [
    ["--project-id", opts.projectIds],
    ["--alert-email", opts.alertEmails],
  ] as const) {
    for (const env of Object.keys(byEnv)) {
      if (!envs.includes(env))
        throw new UsageError(`${flag} ${env}=…: ${env} is not among --environments`, `name one of ${envs.join(", ")}`);
    }
  }
  for (const [env, id] of Object.entries(opts.projectIds)) {
    if (!UUID.test(id)) throw new UsageError(`--project-id ${env}=${id} is not a project id`, "a Scaleway project id is a lowercase UUID");
  }
  if (opts.registryProjectId !== undefined && !UUID.test(opts.registryProjectId)) {
    throw new UsageError(
      `--registry-project-id ${opts.registryProjectId} is not a project id`,
      "a Scaleway project id is a lowercase UUID",
    );
  }
  for (const [env, emails] of Object.entries(opts.alertEmails)) {
    const bad = emails.find((e) => !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(e));
    if (bad !== undefined)
      throw new UsageError(`--alert-email ${env}=${bad} is not an email address`, "write it as --alert-email staging=oncall@example.org");
  }
  if (!BUCKET_PREFIX.test(opts.stateBucketPrefix)) {
    throw new UsageError(
      `--state-bucket-prefix ${opts.stateBucketPrefix} cannot start a bucket name`,
      "use lowercase letters, digits and dashes, e.g. evalap-tfstate",
    );
  }
}

/** Every file of the scaffold, relative path → content, in a stable order. */
async function renderFiles(opts: ScaffoldOptions): Promise<Array<[string, string]>> {
  const base = templatesDir();
  const out: Array<[string, string]> = [];
  const common = commonValues(opts);
  for (const rel of await listTemplates(base)) {
    const text = await readFile(path.join(base, rel), "utf8");
    const name = rel.replace(/\.tmpl$/, "");
    if (name === "environments/ENVIRONMENT.tfvars") {
      for (const env of opts.environments)
        out.push([`environments/${env}.tfvars`, render(text, { ...common, ...environmentValues(opts, env) }, rel)]);
      continue;
    }
    if (name === ".github/workflows/production.yml" && !opts.environments.includes("production")) continue;
    out.push([name === "gitignore" ? ".gitignore" : name, render(text, common, rel)]);
  }
  return out;
}

function commonValues(opts: ScaffoldOptions): Record<string, string> {
  return {
    CLI_VERSION: `evalap-infra ${opts.cliVersion}`,
    CLI_RANGE: opts.cliRange,
    REGION: opts.region,
    ENVIRONMENT_LIST: `[${opts.environments.join(", ")}]`,
    ENVIRONMENT_NAMES: opts.environments.join(", "),
    ENVIRONMENTS_JSON: JSON.stringify(environmentsConfig(opts), null, 2).replace(/\n/g, "\n  "),
  };
}

function environmentValues(opts: ScaffoldOptions, env: string): Record<string, string> {
  const id = opts.projectIds[env];
  const emails = opts.alertEmails[env];
  return {
    ENVIRONMENT: env,
    STATE_BUCKET: bucketOf(opts, env),
    PROJECT_ID_LINE: id ? `project_id = "${id}"` : `# project_id = "<the ${env} project's id>"`,
    REGISTRY_PROJECT_ID_LINE: opts.registryProjectId
      ? `registry_project_id = "${opts.registryProjectId}"`
      : `# registry_project_id = "<the project holding the container registry>"`,
    ALERT_CONTACT_EMAILS_LINE: emails
      ? `alert_contact_emails = [${emails.map((e) => JSON.stringify(e)).join(", ")}]`
      : `# alert_contact_emails = ["<the people on call for ${env}>"]`,
  };
}

const bucketOf = (opts: ScaffoldOptions, env: string) => `${opts.stateBucketPrefix}-${env}`;

/** The config's environments: the package's roots, this repository's tfvars, the state bucket. */
function environmentsConfig(opts: ScaffoldOptions): Record<string, unknown> {
  const endpoint = `https://s3.${opts.region}.scw.cloud`;
  const envs: Record<string, unknown> = {};
  for (const env of opts.environments) {
    const bucket = bucketOf(opts, env);
    envs[env] = {
      root: `${PACKAGE_DIR}/infra/${env}`,
      ...(env === "production" ? { protection: "protected" } : {}),
      // Relative to the root (node_modules/evalap-infra/infra/<env>): back up to this repository.
      varFiles: [`../../../../environments/${env}.tfvars`],
      // The roots' backend names fr-par: another region's bucket is reached at its own endpoint.
      backendConfig: {
        bucket,
        ...(opts.region === "fr-par" ? {} : { region: opts.region, endpoints: `{s3=${JSON.stringify(endpoint)}}` }),
      },
      remote: { bucket, endpoint, region: opts.region },
      ...(Object.keys(opts.images).length > 0 ? { images: opts.images } : {}),
    };
  }
  // `evalap-infra deploy sandbox`: staging's root on the local emulator, no account needed.
  envs.sandbox = { root: `${PACKAGE_DIR}/infra/staging`, sandbox: true };
  return envs;
}

/** Replaces each @@NAME@@; a name without a value is a bug in the templates, never left in a file. */
export function render(text: string, values: Record<string, string>, file: string): string {
  return text.replace(/@@([A-Z_]+)@@/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`templates/deployment/${file}: no value for @@${name}@@`);
    return value;
  });
}

async function listTemplates(base: string, sub = ""): Promise<string[]> {
  const found: string[] = [];
  const entries = (await readdir(path.join(base, sub), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const e of entries) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) found.push(...(await listTemplates(base, rel)));
    else if (e.name.endsWith(".tmpl")) found.push(rel);
  }
  return found;
}

/** templates/deployment of the package: beside (or above) the running bundle or source file. */
export function templatesDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "templates", "deployment");
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error("templates/deployment is missing from the evalap-infra package: reinstall it");
    dir = parent;
  }
}
