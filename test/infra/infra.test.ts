// Runs the real OpenTofu (from scripts/toolchain.sh) on every module and root of infra/:
// fmt, init -backend=false, validate, and tofu test (mocked Scaleway provider, but the real
// provider binary validates every argument).

import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { describe, expect, it } from "vitest";

const run = promisify(execFile);

const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
const infraDir = join(repoRoot, "infra");
const toolchainDir = process.env.EVALAP_TOOLCHAIN_DIR ?? join(homedir(), ".cache", "evalap-infra", "toolchain");
const tofu = process.env.EVALAP_TOFU_BIN ?? join(toolchainDir, "bin", "tofu");
const TIMEOUT = 120_000;

const env: NodeJS.ProcessEnv = {
  ...process.env,
  TF_IN_AUTOMATION: "1",
  TF_INPUT: "0",
  CHECKPOINT_DISABLE: "1",
};
if (!env.TF_CLI_CONFIG_FILE && existsSync(join(toolchainDir, "tofurc"))) {
  env.TF_CLI_CONFIG_FILE = join(toolchainDir, "tofurc");
}
if (!env.TF_PLUGIN_CACHE_DIR && existsSync(join(toolchainDir, "plugin-cache"))) {
  env.TF_PLUGIN_CACHE_DIR = join(toolchainDir, "plugin-cache");
}

interface TofuResult {
  code: number;
  output: string;
}

async function tofuIn(cwd: string, args: string[]): Promise<TofuResult> {
  try {
    const { stdout, stderr } = await run(tofu, [...args], { cwd, env, maxBuffer: 32 * 1024 * 1024 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message?: string };
    const code = typeof e.code === "number" ? e.code : 1;
    return { code, output: `${e.stdout ?? ""}${e.stderr ?? ""}${e.message ?? ""}` };
  }
}

function expectSuccess(result: TofuResult, what: string): void {
  expect(result.code, `${what} failed:\n${result.output}`).toBe(0);
}

const moduleDirs = readdirSync(join(infraDir, "modules"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join("modules", d.name))
  .sort();
const rootDirs = ["bootstrap", "staging", "production"];
const dirs = [...moduleDirs, ...rootDirs];

const hasTests = (dir: string): boolean => {
  const testsDir = join(infraDir, dir, "tests");
  return existsSync(testsDir) && readdirSync(testsDir).some((f) => f.endsWith(".tftest.hcl"));
};

describe("infra with the real OpenTofu and Scaleway provider", () => {
  it("has the toolchain (bash scripts/toolchain.sh)", () => {
    expect(existsSync(tofu), `tofu not found at ${tofu}; run bash scripts/toolchain.sh`).toBe(true);
  });

  it("every module and root has tests", () => {
    expect(dirs.filter((d) => !hasTests(d))).toEqual([]);
  });

  it(
    "tofu fmt -check -recursive infra",
    async () => {
      expectSuccess(await tofuIn(repoRoot, ["fmt", "-check", "-recursive", "-no-color", "infra"]), "tofu fmt -check");
    },
    TIMEOUT,
  );

  for (const dir of dirs) {
    describe(dir, () => {
      const cwd = join(infraDir, dir);

      it(
        "tofu init -backend=false",
        async () => {
          expectSuccess(await tofuIn(cwd, ["init", "-backend=false", "-input=false", "-no-color"]), `tofu init in infra/${dir}`);
        },
        TIMEOUT,
      );

      it(
        "tofu validate",
        async () => {
          expectSuccess(await tofuIn(cwd, ["validate", "-no-color"]), `tofu validate in infra/${dir}`);
        },
        TIMEOUT,
      );

      if (hasTests(dir)) {
        it(
          "tofu test",
          async () => {
            const result = await tofuIn(cwd, ["test", "-no-color"]);
            expectSuccess(result, `tofu test in infra/${dir}`);
            expect(result.output, result.output).toMatch(/Success! \d+ passed, 0 failed/);
          },
          TIMEOUT,
        );
      }
    });
  }
});
