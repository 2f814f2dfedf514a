import { mkdir, readFile, realpath, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { trackedProjects } from "../helpers/project.js";

const project = trackedProjects();

/**
 * The built CLI under GitHub Actions: GITHUB_ACTIONS=true chooses the GitHub reporter, a bad config
 * is an `::error` annotation on its line, and the run's summary is appended to $GITHUB_STEP_SUMMARY.
 */
describe("the CLI under GitHub Actions", () => {
  it("config check with a bad config: an ::error on evalap-infra.json's line, exit 3, and the summary appended", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeFile(
      path.join(p.dir, "evalap-infra.json"),
      JSON.stringify({ environments: { staging: { root: "infra/staging", protection: "protectd" } } }, null, 2),
    );
    const summary = path.join(p.dir, "step-summary.md");
    await writeFile(summary, "written by an earlier step\n");
    const env = { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: p.dir };

    const run = await p.run(["config", "check"], { env });
    expect(run.exitCode, run.stderr).toBe(3);
    const errors = run.stderr.split("\n").filter((l) => l.startsWith("::error"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error file=evalap-infra\.json,line=5,col=7,title=evalap-infra config check failed \(exit 3\)%3A config_invalid::.*evalap-infra\.json is invalid:%0A {2}- environments\.staging\.protection: /,
    );
    const md = await readFile(summary, "utf8");
    expect(md.startsWith("written by an earlier step\n### ❌ evalap-infra config check: failed (exit 3)\n")).toBe(true);
    expect(md).toContain("| outcome | exit 3 (`config_invalid`) in ");

    // --json wins over GITHUB_ACTIONS, and its result carries the same location.
    const json = await p.run(["config", "check", "--json"], { env });
    expect(json.exitCode).toBe(3);
    expect(json.events.at(-1)).toMatchObject({
      type: "result",
      error: { code: "config_invalid", file: path.join(await realpath(p.dir), "evalap-infra.json"), line: 5, column: 7 },
    });
    expect(json.stdout + json.stderr).not.toContain("::error");

    // --reporter human turns it off; --json with another reporter is a usage error.
    const human = await p.run(["config", "check", "--reporter", "human"], { env });
    expect(human.exitCode).toBe(3);
    expect(human.stderr).not.toContain("::");
    const both = await p.run(["config", "check", "--json", "--reporter", "github"], { env });
    expect(both.exitCode).toBe(3);
    expect(both.stderr).toContain("--json and --reporter github contradict each other");
  });

  it("validate: tofu's diagnostic is an ::error on the .tf file's line and column", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await mkdir(path.join(p.dir, "infra", "modules", "broken"), { recursive: true });
    await writeFile(
      path.join(p.dir, "infra", "modules", "broken", "main.tf"),
      'resource "terraform_data" "x" {\n  not_an_argument = 1\n}\n',
    );
    const run = await p.run(["validate"], { env: { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: p.dir } });
    expect(run.exitCode, run.stderr).toBe(1);
    expect(run.stderr).toContain(
      '::error file=infra/modules/broken/main.tf,line=2,col=3::infra/modules/broken: Unsupported argument%0A%0AAn argument named "not_an_argument" is not expected here.\n',
    );
  });
});
