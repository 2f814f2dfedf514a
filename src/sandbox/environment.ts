import { stat } from "node:fs/promises";
import path from "node:path";
import type { ProjectConfig } from "../config/load.js";
import { environmentSchema, type EnvironmentConfig } from "../config/schema.js";
import { ConfigError } from "../core/errors.js";
import { sandboxDataDir, sandboxEnv, type SandboxDescriptor } from "./descriptor.js";

/** The environment every project gets without declaring it: `evalap-infra deploy sandbox`. */
export const SANDBOX_ENVIRONMENT = "sandbox";
/** Its root when not declared: the real staging root, so the sandbox exercises what staging runs. */
export const SANDBOX_DEFAULT_ROOT = "infra/staging";

/** Whether a run on `name` targets the sandbox: declared with `"sandbox": true`, or the built-in one. */
export function isSandboxEnvironment(config: ProjectConfig, name: string | undefined): boolean {
  if (name === undefined) return false;
  const declared = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  return declared ? declared.sandbox : name === SANDBOX_ENVIRONMENT;
}

export interface AttachedSandbox {
  config: ProjectConfig;
  /** What replaces SCW_*, AWS_* and the root's secret inputs for this run (all of it points at the sandbox). */
  env: Record<string, string>;
  /** Values to redact from every output: keys, passphrase, generated application secrets. */
  secrets: string[];
}

/**
 * Points a run at the running sandbox: the environment (declared, or the built-in `sandbox` on
 * infra/staging) gets the sandbox's bucket as its remote and as tofu's backend endpoint, its pushed
 * images for a first deploy, and the run gets the sandbox's API URL and keys. Whatever SCW_* the
 * shell holds is overridden, so a sandbox run can never reach a real Scaleway project.
 */
export async function attachSandbox(config: ProjectConfig, name: string, env: NodeJS.ProcessEnv = process.env): Promise<AttachedSandbox> {
  const declared = Object.hasOwn(config.environments, name) ? config.environments[name] : undefined;
  if (!declared && !(await isDirectory(path.resolve(config.projectDir, SANDBOX_DEFAULT_ROOT)))) {
    throw new ConfigError(
      `the built-in "${name}" environment deploys ${SANDBOX_DEFAULT_ROOT}, which ${config.projectDir} does not have`,
      `declare it in ${path.basename(config.file)}: "${name}": { "root": "<your staging root>", "sandbox": true }`,
    );
  }
  // Not running, stale, or not answering: exit 14, saying which and how to start one. Loaded only
  // here: the daemon's control brings the emulator's modules, which other runs never need.
  const { requireRunningSandbox } = await import("./daemon/control.js");
  const descriptor = await requireRunningSandbox(sandboxDataDir(config.projectDir, env));
  const environment = sandboxEnvironment(declared, descriptor);
  return {
    config: { ...config, environments: { ...config.environments, [name]: environment } },
    env: sandboxRunEnv(environment, descriptor),
    secrets: [descriptor.scaleway.secretKey, descriptor.s3.secretKey, descriptor.statePassphrase, ...Object.values(descriptor.appSecrets)],
  };
}

/**
 * The sandbox's environment for a run on `environment`, without the `TF_VAR_<name>` defaults
 * (project, alert contacts...) of the variables its config `vars` sets: those are the declared
 * environment's own (a second project on the sandbox), and the run's environment must not give them
 * other values. Plans and applies also pass them as -var, which wins over TF_VAR_ (and tofu refuses
 * to apply a saved plan whose inputs differ: "Mismatch between input and plan variable value"); the
 * filter keeps every other tofu command of the run from seeing the sandbox's defaults for them.
 */
export function sandboxRunEnv(environment: EnvironmentConfig, d: SandboxDescriptor): Record<string, string> {
  const declared = new Set(Object.keys(environment.vars));
  return Object.fromEntries(
    Object.entries(sandboxEnv(d)).filter(([key]) => !(key.startsWith("TF_VAR_") && declared.has(key.slice("TF_VAR_".length)))),
  );
}

/** The declared settings, or the built-in ones, with the sandbox's bucket and images filled in. */
export function sandboxEnvironment(declared: EnvironmentConfig | undefined, d: SandboxDescriptor): EnvironmentConfig {
  // The schema's own defaults, so the built-in environment is exactly what declaring it would give.
  const base: EnvironmentConfig = declared ?? environmentSchema.parse({ root: SANDBOX_DEFAULT_ROOT, sandbox: true });
  return {
    ...base,
    // The root's backend names Scaleway's endpoint; tofu init is pointed at the sandbox's instead.
    backendConfig: { ...base.backendConfig, bucket: d.s3.stateBucket, endpoints: `{s3=${JSON.stringify(d.s3.endpoint)}}` },
    remote: {
      bucket: d.s3.stateBucket,
      endpoint: d.s3.endpoint,
      region: d.s3.region,
      ...(base.remote?.prefix ? { prefix: base.remote.prefix } : {}),
    },
    images: { ...d.images, ...base.images },
  };
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
