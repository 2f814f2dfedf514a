import { access, readdir, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { attributes, plainString, topLevelBlocks, type Block } from "./hcl-scan.js";
import type { RunContext } from "./context.js";

/**
 * The preflight of plan and deploy: what the root needs before tofu runs, found from its files.
 * Without it tofu stops on a refused input prompt ("Failed to request input from user for variable")
 * or a backend without credentials, after init has started. Each missing input is named with how to
 * set it; only names are read, never values. When the files cannot be read well enough to be sure,
 * nothing is reported (tofu will say it).
 */
export interface MissingInput {
  kind: "variable" | "credentials";
  /** The variable, or the environment variables of a credential pair. */
  names: string[];
  /** How to give it. */
  how: string;
}

export class MissingInputsError extends EvalapError {
  readonly missing: MissingInput[];
  constructor(command: string, environment: string, missing: MissingInput[]) {
    const lines = missing.map((m) => `  - ${m.kind === "variable" ? `variable "${m.names[0] ?? ""}"` : m.names.join(", ")}: ${m.how}`);
    super(
      "inputs_missing",
      `cannot ${command} ${environment}: ${missing.length === 1 ? "a required input is" : `${missing.length} required inputs are`} missing\n${lines.join("\n")}`,
      {
        exitCode: ExitCode.Prerequisite,
        hint: "set them as said above and run again (`evalap-infra doctor` checks the credentials)",
      },
    );
    this.name = "MissingInputsError";
    this.missing = missing;
  }
}

/** Throws MissingInputsError (exit 9) when the root needs a variable or credentials nobody gives. */
export async function preflight(
  ctx: RunContext,
  env: ResolvedEnvironment,
  vars: Record<string, unknown>,
  command: "plan" | "deploy" | "rollback",
): Promise<void> {
  const missing = await missingInputs(env, vars, { ...process.env, ...ctx.tofu.env }, command);
  if (missing.length > 0) throw new MissingInputsError(command, env.name, missing);
}

export async function missingInputs(
  env: ResolvedEnvironment,
  runVars: Record<string, unknown>,
  environ: NodeJS.ProcessEnv,
  command = "plan",
): Promise<MissingInput[]> {
  const root = await readModule(env.rootDir);
  if (root === null) return [];
  const missing: MissingInput[] = [];
  const given = await givenVariables(env, runVars, environ);
  if (given !== null) {
    for (const v of variablesOf(root)) {
      if (v.hasDefault || given.has(v.name)) continue;
      missing.push({ kind: "variable", names: [v.name], how: howToSet(env, v.name, v.sensitive, command) });
    }
  }
  if (root.backend === "s3" && !s3CredentialsGiven(env, environ)) {
    const names = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"].filter((n) => !environ[n]);
    missing.push({
      kind: "credentials",
      names,
      how: "tofu's s3 backend (the state bucket) reads them: export them set to your Scaleway access and secret keys",
    });
  }
  // Credentials first: the module tree is read only when they are missing.
  if (!(await scalewayCredentialsGiven(environ)) && (await usesScalewayResources(env.rootDir, root))) {
    const names = ["SCW_ACCESS_KEY", "SCW_SECRET_KEY"].filter((n) => !environ[n]);
    missing.push({
      kind: "credentials",
      names,
      how: "the Scaleway provider needs an API key: create one in the Scaleway console (IAM > API keys) and export both",
    });
  }
  return missing;
}

function howToSet(env: ResolvedEnvironment, name: string, sensitive: boolean, command: string): string {
  if (sensitive) return `export TF_VAR_${name} (it is sensitive: keep it out of files and of evalap-infra.json)`;
  const elsewhere = `--var ${name}=<value>, "vars": { "${name}": … } in environments.${env.name} of evalap-infra.json, or export TF_VAR_${name}`;
  if (name === "images") return `${command === "deploy" ? "--image <service>=<reference>, " : ""}${elsewhere}`;
  // A setting of the deployment (a project id, the people on call): it belongs with the root's other settings.
  return `${name} = … in ${path.posix.join(env.root, "terraform.tfvars")}, ${elsewhere}`;
}

interface Variable {
  name: string;
  hasDefault: boolean;
  sensitive: boolean;
}

interface Module {
  /** Declared in .tf.json files; those of .tf files are read from `blocks` by variablesOf. */
  jsonVariables: Variable[];
  /** The backend type of a root (`backend "s3"`), if any. */
  backend: string | null;
  blocks: Block[];
}

/** The module's .tf files read (.tf.json for variables only); null when its directory cannot be read. */
async function readModule(dir: string): Promise<Module | null> {
  const names = await readdir(dir).catch(() => null);
  if (names === null) return null;
  const blocks: Block[] = [];
  const variables: Variable[] = [];
  for (const name of names.sort()) {
    if (name.endsWith(".tf")) {
      const text = await readFile(path.join(dir, name), "utf8").catch(() => "");
      blocks.push(...topLevelBlocks(text));
    } else if (name.endsWith(".tf.json")) {
      const json = await readJson(path.join(dir, name));
      const declared =
        json && typeof json.variable === "object" && json.variable !== null ? (json.variable as Record<string, unknown>) : {};
      for (const [v, body] of Object.entries(declared)) {
        const b = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
        variables.push({ name: v, hasDefault: "default" in b, sensitive: b.sensitive === true });
      }
    }
  }
  const backend = blocks
    .filter((b) => b.type === "terraform")
    .flatMap((b) => topLevelBlocks(b.body))
    .find((b) => b.type === "backend");
  return { jsonVariables: variables, backend: backend?.labels[0] ?? null, blocks };
}

function variablesOf(module: Module): Variable[] {
  const declared = module.blocks.filter((b) => b.type === "variable" && b.labels.length === 1);
  return [
    ...declared.map((b) => {
      const attrs = attributes(b.body);
      return { name: b.labels[0] as string, hasDefault: attrs.has("default"), sensitive: attrs.get("sensitive") === "true" };
    }),
    ...module.jsonVariables,
  ];
}

/** Every variable name given a value; null when a var file cannot be read (then tofu judges). */
async function givenVariables(
  env: ResolvedEnvironment,
  runVars: Record<string, unknown>,
  environ: NodeJS.ProcessEnv,
): Promise<Set<string> | null> {
  const given = new Set([...Object.keys(env.vars), ...Object.keys(runVars)]);
  for (const key of Object.keys(environ))
    if (key.startsWith("TF_VAR_") && environ[key] !== undefined) given.add(key.slice("TF_VAR_".length));
  // tofu loads these from the root by itself.
  const names = await readdir(env.rootDir).catch(() => [] as string[]);
  const auto = names.filter(
    (n) => n === "terraform.tfvars" || n === "terraform.tfvars.json" || n.endsWith(".auto.tfvars") || n.endsWith(".auto.tfvars.json"),
  );
  const files = [...auto.sort().map((n) => path.join(env.rootDir, n)), ...env.varFiles.map((f) => path.resolve(env.rootDir, f))];
  for (const file of files) {
    const assigned = await tfvarsNames(file);
    if (assigned === null) return null;
    for (const n of assigned) given.add(n);
  }
  return given;
}

async function tfvarsNames(file: string): Promise<string[] | null> {
  if (file.endsWith(".json")) {
    const json = await readJson(file);
    return json === null ? null : Object.keys(json);
  }
  const text = await readFile(file, "utf8").catch(() => null);
  return text === null ? null : [...attributes(text).keys()];
}

async function readJson(file: string): Promise<Record<string, unknown> | null> {
  try {
    const value: unknown = JSON.parse(await readFile(file, "utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** AWS_* in the environment, keys in -backend-config, or an AWS profile: the s3 backend has what it reads. */
function s3CredentialsGiven(env: ResolvedEnvironment, environ: NodeJS.ProcessEnv): boolean {
  if (environ.AWS_ACCESS_KEY_ID && environ.AWS_SECRET_ACCESS_KEY) return true;
  if (env.backendConfig.access_key && env.backendConfig.secret_key) return true;
  return Boolean(environ.AWS_PROFILE || environ.AWS_SHARED_CREDENTIALS_FILE);
}

/** SCW_* in the environment, or a Scaleway CLI config file the provider reads its profile from. */
async function scalewayCredentialsGiven(environ: NodeJS.ProcessEnv): Promise<boolean> {
  if (environ.SCW_ACCESS_KEY && environ.SCW_SECRET_KEY) return true;
  const file = environ.SCW_CONFIG_PATH || path.join(environ.HOME || os.homedir(), ".config", "scw", "config.yaml");
  return access(file).then(
    () => true,
    () => false,
  );
}

/** Whether the root or a local module it calls (transitively) manages Scaleway resources. */
async function usesScalewayResources(rootDir: string, root: Module): Promise<boolean> {
  const seen = new Set<string>([path.resolve(rootDir)]);
  const queue: Array<{ dir: string; module: Module }> = [{ dir: rootDir, module: root }];
  while (queue.length > 0 && seen.size <= 100) {
    const { dir, module } = queue.shift() as { dir: string; module: Module };
    if (module.blocks.some((b) => b.type === "resource" && (b.labels[0] ?? "").startsWith("scaleway_"))) return true;
    for (const b of module.blocks) {
      if (b.type !== "module") continue;
      const source = plainString(attributes(b.body).get("source"));
      if (source === null || !(source.startsWith("./") || source.startsWith("../"))) continue;
      const child = path.resolve(dir, source);
      if (seen.has(child)) continue;
      seen.add(child);
      const read = await readModule(child);
      if (read) queue.push({ dir: child, module: read });
    }
  }
  return false;
}

/** Whether the root declares the variable (read from its files, no tofu run): how a step that only some roots need knows. */
export async function declaresVariable(rootDir: string, name: string): Promise<boolean> {
  const root = await readModule(rootDir);
  return root !== null && variablesOf(root).some((v) => v.name === name);
}
