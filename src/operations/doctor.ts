import { readdir } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "../config/load.js";
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

/** Credentials by name only: their values are never read into the report. */
const CREDENTIALS: ReadonlyArray<{ name: string; purpose: string; required: boolean }> = [
  { name: "SCW_ACCESS_KEY", purpose: "Scaleway API access key", required: true },
  { name: "SCW_SECRET_KEY", purpose: "Scaleway API secret key", required: true },
  { name: "SCW_DEFAULT_PROJECT_ID", purpose: "Scaleway project", required: true },
  { name: "SCW_DEFAULT_ORGANIZATION_ID", purpose: "Scaleway organization (IAM resources)", required: false },
  { name: "AWS_ACCESS_KEY_ID", purpose: "Object Storage access key for the state backend (same value as SCW_ACCESS_KEY)", required: true },
  { name: "AWS_SECRET_ACCESS_KEY", purpose: "Object Storage secret key for the state backend (same value as SCW_SECRET_KEY)", required: true },
  { name: "TF_VAR_state_passphrase", purpose: "OpenTofu state encryption passphrase", required: true },
];

export async function doctor(cwd: string, configPath: string | undefined, toolchain: ResolvedToolchain, tofuCtx: TofuContext, env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const fixToolchain = "run `npm run toolchain` (builds OpenTofu and the Scaleway provider from the Go module proxy), then retry";

  try {
    const v = await tofu.version(tofuCtx);
    const ok = compareVersions(v, MIN_TOFU) >= 0;
    checks.push({ name: "tofu", ok, required: true, detail: `OpenTofu ${v} (${toolchain.bin}, from ${toolchain.source})`, ...(ok ? {} : { fix: `OpenTofu >= ${MIN_TOFU.join(".")} is needed; ${fixToolchain}` }) });
  } catch (err) {
    checks.push({ name: "tofu", ok: false, required: true, detail: `cannot run ${toolchain.bin}: ${errorMessage(err)}`, fix: fixToolchain });
  }

  const mirror = path.join(toolchainDir(env), "providers", "registry.opentofu.org", "scaleway", "scaleway");
  const versions = await readdir(mirror).catch(() => [] as string[]);
  const hasProvider = versions.includes(PROVIDER_VERSION);
  const cliConfig = toolchain.env.TF_CLI_CONFIG_FILE ?? env.TF_CLI_CONFIG_FILE;
  checks.push({
    name: "scaleway provider",
    ok: hasProvider && cliConfig !== undefined,
    required: true,
    detail: hasProvider ? `scaleway/scaleway ${PROVIDER_VERSION} in the local mirror; CLI config ${cliConfig ?? "missing"}` : `scaleway/scaleway ${PROVIDER_VERSION} not found in ${mirror}`,
    ...(hasProvider && cliConfig !== undefined ? {} : { fix: fixToolchain }),
  });

  for (const c of CREDENTIALS) {
    const present = (env[c.name] ?? "").length > 0;
    checks.push({
      name: c.name,
      ok: present,
      required: c.required,
      detail: `${c.purpose}: ${present ? "set" : "not set"}`,
      ...(present ? {} : { fix: `export ${c.name} (from your password manager or the CI secret store; never commit it)` }),
    });
  }

  try {
    const config = await loadConfig(cwd, configPath);
    checks.push({ name: "config", ok: true, required: true, detail: `${config.file}: environments ${Object.keys(config.environments).join(", ")}` });
  } catch (err) {
    const hint = err instanceof Error && "hint" in err && typeof err.hint === "string" ? err.hint : undefined;
    checks.push({ name: "config", ok: false, required: true, detail: errorMessage(err), ...(hint ? { fix: hint } : {}) });
  }
  return checks;
}

export function compareVersions(version: string, min: readonly number[]): number {
  const parts = version.replace(/^v/, "").split(/[.-]/).map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const a = parts[i] ?? 0;
    const b = min[i] ?? 0;
    if (Number.isNaN(a)) return -1;
    if (a !== b) return a - b;
  }
  return 0;
}
