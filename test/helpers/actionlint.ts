import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";

/**
 * The actionlint scripts/toolchain.sh builds from its Go module: $EVALAP_ACTIONLINT_BIN, else the
 * toolchain cache. Missing is a failure with the command that builds it, never a skip.
 */
export function actionlintBin(): string {
  const cache =
    process.env.EVALAP_TOOLCHAIN_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "evalap-infra", "toolchain");
  const bin = process.env.EVALAP_ACTIONLINT_BIN ?? path.join(cache, "bin", "actionlint");
  if (!existsSync(bin))
    throw new Error(`actionlint is not built at ${bin}: run \`bash scripts/toolchain.sh actionlint\` (or npm run toolchain)`);
  return bin;
}

/** Runs actionlint on the given workflow files, in `cwd` (where it finds .github/ and local actions). */
export async function actionlint(cwd: string, files: string[]): Promise<{ exitCode: number; output: string }> {
  const r = await execa(actionlintBin(), ["-no-color", ...files], { cwd, reject: false });
  return { exitCode: r.exitCode ?? -1, output: `${String(r.stdout)}\n${String(r.stderr)}` };
}
