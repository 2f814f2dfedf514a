import { readdir } from "node:fs/promises";
import path from "node:path";
import type { ProjectConfig } from "../config/load.js";
import { errorMessage } from "../core/errors.js";
import * as tofu from "../tofu/commands.js";
import type { TofuContext } from "../tofu/process.js";
import { toolchainDir, type ResolvedToolchain } from "../toolchain/resolve.js";

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** Required checks fail the command; optional ones only warn. */
  required: boolean;
  detail: string;
  fix?: string;
}

const MIN_TOFU = [1, 11, 0] as const;
export const PROVIDER_VERSION = "2.81.0";

export const API_KEYS_URL = "https://console.scaleway.com/iam/api-keys";
const NEVER_COMMIT = "keep it in your password manager or the CI secret store; never commit it";
const API_KEY = `create an API key in the Scaleway console > IAM > API keys (${API_KEYS_URL})`;

/** Credentials by name only: their values are never read into the report. Each says where to get it. */
const CREDENTIALS: ReadonlyArray<{ name: string; purpose: string; required: boolean; fix: string }> = [
  {
    name: "SCW_ACCESS_KEY",
    purpose: "Scaleway API access key",
    required: true,
    fix: `${API_KEY}, then export SCW_ACCESS_KEY=<its access key ID> (${NEVER_COMMIT})`,
  },
  {
    name: "SCW_SECRET_KEY",
    purpose: "Scaleway API secret key",
    required: true,
    fix: `${API_KEY} (its secret key is shown once), then export SCW_SECRET_KEY=<its secret key> (${NEVER_COMMIT})`,
  },
  {
    name: "SCW_DEFAULT_PROJECT_ID",
    purpose: "Scaleway project",
    required: true,
    fix:
      "export SCW_DEFAULT_PROJECT_ID=<project ID> (the Scaleway console > Project settings, " +
      "https://console.scaleway.com/project/settings; also offered when you create the API key)",
  },
  {
    name: "SCW_DEFAULT_ORGANIZATION_ID",
    purpose: "Scaleway organization (IAM resources)",
    required: false,
    fix:
      "export SCW_DEFAULT_ORGANIZATION_ID=<organization ID> " +
      "(the Scaleway console > Organization settings, https://console.scaleway.com/organization/settings)",
  },
  {
    name: "AWS_ACCESS_KEY_ID",
    purpose: "Object Storage access key for the state backend (same value as SCW_ACCESS_KEY)",
    required: true,
    fix: `export AWS_ACCESS_KEY_ID=$SCW_ACCESS_KEY (Object Storage takes the same API key: ${API_KEY} if you have none)`,
  },
  {
    name: "AWS_SECRET_ACCESS_KEY",
    purpose: "Object Storage secret key for the state backend (same value as SCW_SECRET_KEY)",
    required: true,
    fix: `export AWS_SECRET_ACCESS_KEY=$SCW_SECRET_KEY (Object Storage takes the same API key: ${API_KEY} if you have none)`,
  },
  {
    name: "TF_VAR_state_passphrase",
    purpose: "OpenTofu state encryption passphrase",
    required: true,
    fix: `export TF_VAR_state_passphrase=<a long random passphrase, the same for every run> (${NEVER_COMMIT}: the state cannot be read without it)`,
  },
];

export interface DoctorInput {
  /** The project config, or why it could not be loaded (doctor runs without one and says so). */
  config: { ok: true; value: ProjectConfig } | { ok: false; error: unknown };
  /** The toolchain the commands use: resolved after the config, with its tofu.binary. */
  toolchain: ResolvedToolchain;
  tofu: TofuContext;
  env?: NodeJS.ProcessEnv;
}

export async function doctor(input: DoctorInput): Promise<DoctorCheck[]> {
  const { toolchain, tofu: tofuCtx, env = process.env } = input;
  const checks: DoctorCheck[] = [];
  const fixToolchain = "run `npm run toolchain` (builds OpenTofu and the Scaleway provider from the Go module proxy), then retry";

  try {
    const v = await tofu.version(tofuCtx);
    const ok = compareVersions(v, MIN_TOFU) >= 0;
    checks.push({
      name: "tofu",
      ok,
      required: true,
      detail: `OpenTofu ${v} (${toolchain.bin}, from ${toolchain.source})`,
      ...(ok ? {} : { fix: `OpenTofu >= ${MIN_TOFU.join(".")} is needed; ${fixToolchain}` }),
    });
  } catch (err) {
    checks.push({
      name: "tofu",
      ok: false,
      required: true,
      detail: `cannot run ${toolchain.bin}: ${errorMessage(err)}`,
      fix: fixToolchain,
    });
  }

  const mirror = path.join(toolchainDir(env), "providers", "registry.opentofu.org", "scaleway", "scaleway");
  const versions = await readdir(mirror).catch(() => [] as string[]);
  const hasProvider = versions.includes(PROVIDER_VERSION);
  const cliConfig = toolchain.env.TF_CLI_CONFIG_FILE ?? env.TF_CLI_CONFIG_FILE;
  checks.push({
    name: "scaleway provider",
    ok: hasProvider && cliConfig !== undefined,
    required: true,
    detail: hasProvider
      ? `scaleway/scaleway ${PROVIDER_VERSION} in the local mirror; CLI config ${cliConfig ?? "missing"}`
      : `scaleway/scaleway ${PROVIDER_VERSION} not found in ${mirror}`,
    ...(hasProvider && cliConfig !== undefined ? {} : { fix: fixToolchain }),
  });

  for (const c of CREDENTIALS) {
    const present = (env[c.name] ?? "").length > 0;
    checks.push({
      name: c.name,
      ok: present,
      required: c.required,
      detail: `${c.purpose}: ${present ? "set" : "not set"}`,
      ...(present ? {} : { fix: c.fix }),
    });
  }

  if (input.config.ok) {
    const config = input.config.value;
    checks.push({
      name: "config",
      ok: true,
      required: true,
      detail: `${config.file}: environments ${Object.keys(config.environments).join(", ")}`,
    });
  } else {
    const err = input.config.error;
    const hint = err instanceof Error && "hint" in err && typeof err.hint === "string" ? err.hint : undefined;
    // Checked without a config: say that the tofu above is the default one, not a configured one.
    const detail = `${errorMessage(err)} (the checks above ran without it: tofu.binary, if you set one, was not read)`;
    checks.push({ name: "config", ok: false, required: true, detail, ...(hint ? { fix: hint } : {}) });
  }
  return checks;
}

export function compareVersions(version: string, min: readonly number[]): number {
  const parts = version
    .replace(/^v/, "")
    .split(/[.-]/)
    .map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (Number.isNaN(a)) return -1;
    if (a !== b) return a - b;
  }
  return 0;
}
