import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxProject, type RunningSandbox } from "../helpers/sandbox.js";

/**
 * A real deploy on the sandbox with the built CLI as GitHub Actions runs it: the step summary holds
 * the release id and the health table, every application secret is masked before anything else is
 * printed, and no other line holds one.
 */
describe("deploy sandbox under GitHub Actions", () => {
  let sb: RunningSandbox;
  let dir: string;

  beforeAll(async () => {
    sb = await sandboxProject();
    dir = await mkdtemp(path.join(os.tmpdir(), "evalap-gh-"));
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it("summary with the release and health per service; secrets masked first and nowhere else", async () => {
    const summary = path.join(dir, "summary.md");
    const run = await sb.cli(["deploy", "sandbox"], {
      GITHUB_ACTIONS: "true",
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_WORKSPACE: sb.projectDir,
    });
    expect(run.exitCode, `${run.stdout}\n${run.stderr}`).toBe(0);

    const md = await readFile(summary, "utf8");
    const release = /\| release \| `(\d+)` deploy: healthy \|/.exec(md)?.[1];
    expect(release, md).toBeDefined();
    expect(run.stdout).toContain(`(release ${release})`);
    for (const service of ["evalap", "evalap-ui"])
      expect(md).toMatch(new RegExp(`\\| \`${release}\`, deploy \\| ${service} \\| ✅ healthy \\| 200 \\| \\d+(\\.\\d+)?m?s \\| \\d+ \\|`));
    expect(md).toMatch(/\| apply \| ok \| /);

    const lines = `${run.stderr}\n${run.stdout}`.split("\n");
    const firstOther = lines.findIndex((l) => !l.startsWith("::add-mask::"));
    for (const [name, value] of Object.entries(sb.descriptor.appSecrets)) {
      const holding = lines.map((l, i) => ({ l, i })).filter(({ l }) => l.includes(value));
      expect(
        holding.map(({ l }) => l),
        name,
      ).toEqual([`::add-mask::${value}`]);
      // Known from the sandbox before the run starts: masked before the first line of progress.
      expect(holding[0]?.i ?? Infinity, name).toBeLessThan(firstOther);
      expect(md, name).not.toContain(value);
    }
    // Steps are grouped, and groups are closed.
    expect(run.stderr).toContain("::group::apply\n");
    expect(run.stderr.split("::group::").length - 1).toBe(run.stderr.split("::endgroup::").length - 1);
  }, 900_000);
});
