import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import type { DoctorCheck } from "../../src/operations/doctor.js";
import { CLI, eventOf, resultOf, toRun, trackedProjects } from "../helpers/project.js";

const project = trackedProjects();
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const REAL_TOFU = process.env.EVALAP_TOFU_BIN ?? path.join(os.homedir(), ".cache", "evalap-infra", "toolchain", "bin", "tofu");
const CREDENTIALS = {
  SCW_ACCESS_KEY: "",
  SCW_SECRET_KEY: "",
  SCW_DEFAULT_PROJECT_ID: "",
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
};

function checksOf(run: ReturnType<typeof toRun>): Record<string, DoctorCheck> {
  const data = eventOf(run, "data");
  expect(data.kind).toBe("doctor");
  return Object.fromEntries((data.data as DoctorCheck[]).map((c) => [c.name, c]));
}

describe("--json keeps one object per line", () => {
  it("config schema --json: a data event with the schema, then the result; without --json, the schema alone", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const json = await p.run(["config", "schema", "--json"]);
    expect(json.exitCode, json.stderr).toBe(0);
    const lines = json.stdout.trimEnd().split("\n");
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    expect(json.events).toHaveLength(lines.length);
    const data = eventOf(json, "data");
    expect(data.kind).toBe("config.schema");
    expect(data.data).toMatchObject({ type: "object", properties: { environments: expect.any(Object) } });
    expect(resultOf(json)).toMatchObject({ command: "config schema", ok: true, exitCode: 0 });

    const plain = await execa("node", [CLI, "config", "schema"], { cwd: p.dir, reject: false });
    expect(plain.exitCode).toBe(0);
    expect(JSON.parse(String(plain.stdout))).toEqual(data.data);
    expect(String(plain.stdout).split("\n").length).toBeGreaterThan(10);
  });

  it("a usage error's result names the command path, whatever comes first", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const missing = await p.run(["--json", "releases", "list"]);
    expect(missing.exitCode).toBe(3);
    expect(missing.events).toHaveLength(1);
    expect(resultOf(missing)).toMatchObject({ type: "result", command: "releases list", ok: false, exitCode: 3, error: { code: "usage" } });
    const bad = await p.run(["--json", "-c", "evalap-infra.json", "deploy", "staging", "--lock-timeout", "soon"]);
    expect(bad.exitCode).toBe(3);
    expect(resultOf(bad)).toMatchObject({
      command: "deploy",
      error: { code: "usage", message: expect.stringContaining("--lock-timeout") },
    });
  });
});

describe("doctor", () => {
  it("checks the tofu the commands use: the config's tofu.binary (relative to the project)", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } }, config: { tofu: { binary: "tools/tofu" } } });
    await mkdir(path.join(p.dir, "tools"));
    await symlink(REAL_TOFU, path.join(p.dir, "tools", "tofu"));
    const run = await p.run(["doctor", "--json"]);
    const tofu = checksOf(run).tofu;
    expect(tofu?.ok, tofu?.detail).toBe(true);
    expect(tofu?.detail).toContain(`(${path.join(p.dir, "tools", "tofu")}, from config)`);

    // And a configured binary that is missing is reported as such, not replaced by the default one.
    const config = { environments: { staging: { root: "infra/staging" } }, tofu: { binary: "/nowhere/tofu" } };
    await writeFile(path.join(p.dir, "evalap-infra.json"), JSON.stringify(config));
    const missing = await p.run(["doctor", "--json"]);
    expect(checksOf(missing).tofu).toMatchObject({ ok: false, detail: expect.stringContaining("/nowhere/tofu") });
    expect(missing.exitCode).toBe(9);
  });

  it("works without a config file, and says so", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-noconfig-"));
    dirs.push(dir);
    const r = await execa("node", [CLI, "doctor", "--json"], { cwd: dir, reject: false, env: { NO_COLOR: "1" }, extendEnv: true });
    const run = toRun(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
    const checks = checksOf(run);
    expect(checks.tofu?.ok).toBe(true);
    expect(checks.config).toMatchObject({ ok: false, detail: expect.stringContaining("evalap-infra.json") });
    expect(checks.config?.detail).toContain("ran without it");
    expect(run.exitCode).toBe(9);
  });

  it("one symbol per line, and the credentials' fix says where a Scaleway API key is created and what to set", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const run = await p.run(["doctor"], { env: CREDENTIALS });
    expect(run.exitCode).toBe(9);
    const lines = [...run.stdout.split("\n"), ...run.stderr.split("\n")];
    for (const line of lines) expect((line.match(/[✔✖–⚠]/g) ?? []).length, line).toBeLessThanOrEqual(1);
    expect(run.stdout).toMatch(/^✖ SCW_ACCESS_KEY: /m);
    expect(run.stdout).toMatch(/^✔ tofu: /m);
    const fix = run.stdout.split("\n").find((l) => l.includes("fix:") && l.includes("SCW_SECRET_KEY")) ?? "";
    expect(fix).toContain("Scaleway console > IAM > API keys");
    expect(fix).toContain("https://console.scaleway.com/iam/api-keys");
    const json = await p.run(["doctor", "--json"], { env: CREDENTIALS });
    const checks = checksOf(json);
    for (const name of ["SCW_ACCESS_KEY", "SCW_SECRET_KEY"])
      expect(checks[name]?.fix).toContain("https://console.scaleway.com/iam/api-keys");
    expect(checks.SCW_DEFAULT_PROJECT_ID?.fix).toContain("export SCW_DEFAULT_PROJECT_ID=");
    expect(checks.AWS_ACCESS_KEY_ID?.fix).toContain("export AWS_ACCESS_KEY_ID=$SCW_ACCESS_KEY");
  });
});
