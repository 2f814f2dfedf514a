import { mkdtemp, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { actionlint } from "../helpers/actionlint.js";
import { CLI, REPO } from "../helpers/project.js";

const workflowFiles = async (dir: string) =>
  (await readdir(path.join(dir, ".github", "workflows")))
    .filter((f) => f.endsWith(".yml"))
    .map((f) => path.join(".github", "workflows", f));

describe("actionlint", () => {
  it("passes on .github/workflows", async () => {
    const files = await workflowFiles(REPO);
    expect(files.sort()).toEqual([
      ".github/workflows/operations.yml",
      ".github/workflows/pr.yml",
      ".github/workflows/production.yml",
      ".github/workflows/rollback.yml",
      ".github/workflows/staging.yml",
    ]);
    const r = await actionlint(REPO, files);
    expect(r.exitCode, r.output).toBe(0);
  });

  it("passes on the workflows init writes from templates/, for each set of environments", async () => {
    for (const args of [[], ["--environments", "staging", "--region", "nl-ams"]]) {
      const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-init-lint-"));
      try {
        const init = await execa("node", [CLI, "init", dir, ...args], { reject: false, stdin: "ignore" });
        expect(init.exitCode, String(init.stderr)).toBe(0);
        const files = await workflowFiles(dir);
        expect(files.length).toBe(args.length === 0 ? 5 : 4);
        const r = await actionlint(dir, files);
        expect(r.exitCode, r.output).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it("would fail a workflow that breaks its rules (the binary really checks)", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-lint-bad-"));
    try {
      const { mkdir, writeFile } = await import("node:fs/promises");
      await mkdir(path.join(dir, ".github", "workflows"), { recursive: true });
      await writeFile(
        path.join(dir, ".github", "workflows", "bad.yml"),
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ inputs.nope }}\n",
      );
      const r = await actionlint(dir, [".github/workflows/bad.yml"]);
      expect(r.exitCode).toBe(1);
      expect(r.output).toContain("inputs.nope");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
