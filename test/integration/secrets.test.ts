import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventOf, makeProject, type CliRun, type TestProject } from "../helpers/project.js";

// A value that exists only here: if any byte of output holds it, redaction failed.
const PLANTED = `planted-secret-${Math.random().toString(36).slice(2)}-Zq9`;

describe("no secret in output", () => {
  let p: TestProject;
  const runs: CliRun[] = [];
  beforeAll(async () => {
    p = await makeProject({ environments: { staging: { fixture: "basic" }, broken: { fixture: "flaky" } } });
    const env = { TF_VAR_db_password: PLANTED };
    runs.push(await p.run(["deploy", "staging", "--json"], { env }));
    runs.push(await p.run(["deploy", "staging", "--json", "--var", "release=r2"], { env }));
    runs.push(await p.run(["deploy", "staging", "--verbose", "--var", "release=r3"], { env }));
    runs.push(await p.run(["plan", "staging", "--json"], { env }));
    // A failure whose tofu error message carries the secret.
    const failing = {
      TF_VAR_counter_file: path.join(p.dir, "counter"),
      TF_VAR_failures: "9",
      TF_VAR_message: `cannot connect with password ${PLANTED}`,
    };
    runs.push(await p.run(["deploy", "broken", "--json"], { env: { ...env, ...failing } }));
    runs.push(await p.run(["deploy", "broken"], { env: { ...env, ...failing } }));
  });
  afterAll(async () => p.cleanup());

  it("the runs did what they should (so the search below means something)", () => {
    expect(runs.slice(0, 4).map((r) => r.exitCode)).toEqual([0, 0, 0, 0]);
    // The sensitive output exists and is reported as sensitive, without its value.
    const first = runs[0];
    if (!first) throw new Error("no run");
    const outputs = eventOf(first, "outputs");
    expect(outputs.outputs.db_password).toEqual({ sensitive: true });
    expect(runs[4]?.exitCode).toBe(1);
    expect(runs[4]?.stdout).toContain("[REDACTED]");
    expect(runs[5]?.stderr).toContain("[REDACTED]");
  });

  it("never appears in stdout, stderr or NDJSON", () => {
    for (const run of runs) {
      expect(run.stdout.includes(PLANTED)).toBe(false);
      expect(run.stderr.includes(PLANTED)).toBe(false);
      expect(JSON.stringify(run.events).includes(PLANTED)).toBe(false);
    }
  });

  it("never appears in the tool's own files (locks, plans)", async () => {
    const dir = path.join(p.dir, ".evalap-infra");
    const files = await readdir(dir, { recursive: true, withFileTypes: true });
    for (const f of files.filter((e) => e.isFile())) {
      const text = await readFile(path.join(f.parentPath, f.name), "utf8");
      expect(text.includes(PLANTED), f.name).toBe(false);
    }
  });
});
