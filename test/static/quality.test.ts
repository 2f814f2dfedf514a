import { execa } from "execa";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";

/**
 * The code's static checks, run with the tests so that CI's counts include them: types (tests and
 * benchmarks too, which the build does not check), the formatter, the type-aware linter, and no
 * import cycle in src/.
 */
const bin = (name: string) => path.join(REPO, "node_modules", ".bin", name);

async function check(command: string, args: string[]): Promise<{ exitCode: number; output: string }> {
  const r = await execa(bin(command), args, { cwd: REPO, reject: false, all: true, env: { NO_COLOR: "1", FORCE_COLOR: "0" } });
  return { exitCode: r.exitCode ?? 1, output: r.all };
}

describe("static checks", () => {
  it("type-checks src, test and bench (tsc --noEmit)", async () => {
    const r = await check("tsc", ["-p", "tsconfig.json", "--noEmit"]);
    expect(r.exitCode, r.output).toBe(0);
  });

  it("is formatted (prettier --check; `npm run format` fixes it)", async () => {
    const r = await check("prettier", ["--check", "."]);
    expect(r.exitCode, r.output).toBe(0);
  });

  it("passes the type-aware lint (eslint: floating promises, misused promises, no any...)", async () => {
    const r = await check("eslint", ["src", "test"]);
    expect(r.exitCode, r.output).toBe(0);
  });

  it("has no import cycle in src/ (dependency-cruiser)", async () => {
    const r = await check("depcruise", ["src", "--config", ".dependency-cruiser.cjs", "--output-type", "err"]);
    expect(r.exitCode, r.output).toBe(0);
    expect(r.output).toMatch(/no dependency violations found/);
  });
});
