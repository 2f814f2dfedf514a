import { access, constants } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

/** Where scripts/toolchain.sh puts tofu, the provider mirror and the CLI config. */
export function toolchainDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.EVALAP_TOOLCHAIN_DIR) return env.EVALAP_TOOLCHAIN_DIR;
  const cache = env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache");
  return path.join(cache, "evalap-infra", "toolchain");
}

export interface ResolvedToolchain {
  /** The tofu binary to run. */
  bin: string;
  /** Where it came from, for doctor. */
  source: "config" | "EVALAP_TOFU_BIN" | "toolchain cache" | "PATH";
  /** Environment to give tofu: the toolchain's CLI config when the user set none. */
  env: Record<string, string>;
}

/**
 * Which tofu to run: `configured` (the config's tofu.binary; a path is relative to `baseDir`, the
 * project), else $EVALAP_TOFU_BIN, else the toolchain cache, else `tofu` on PATH.
 */
export async function resolveToolchain(
  configured: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  baseDir?: string,
): Promise<ResolvedToolchain> {
  const dir = toolchainDir(env);
  const tofuEnv: Record<string, string> = {};
  const rc = path.join(dir, "tofurc");
  // A TF_CLI_CONFIG_FILE naming a missing file (some images export ~/.terraformrc) is as good as
  // none: tofu would warn on every run and find no provider mirror.
  const userConfig = env.TF_CLI_CONFIG_FILE;
  const userConfigUsable = userConfig !== undefined && userConfig !== "" && (await isExecutableOrFile(userConfig, false));
  if (!userConfigUsable && (await isExecutableOrFile(rc, false))) tofuEnv.TF_CLI_CONFIG_FILE = rc;
  if (configured) {
    // A bare name ("tofu") is looked up on PATH; a path must not depend on the root tofu runs in.
    const bin = configured.includes("/") && baseDir !== undefined ? path.resolve(baseDir, configured) : configured;
    return { bin, source: "config", env: tofuEnv };
  }
  if (env.EVALAP_TOFU_BIN) return { bin: env.EVALAP_TOFU_BIN, source: "EVALAP_TOFU_BIN", env: tofuEnv };
  const cached = path.join(dir, "bin", "tofu");
  if (await isExecutableOrFile(cached, true)) return { bin: cached, source: "toolchain cache", env: tofuEnv };
  return { bin: "tofu", source: "PATH", env: tofuEnv };
}

async function isExecutableOrFile(file: string, executable: boolean): Promise<boolean> {
  try {
    await access(file, executable ? constants.X_OK : constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
