import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { DoctorCheck } from "../../src/operations/doctor.js";
import { eventOf, FIXTURES, makeProject, resultOf, tofuIn } from "../helpers/project.js";

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("offline toolchain", () => {
  it("tofu init and validate a root that requires the Scaleway provider, with no registry", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-provider-"));
    dirs.push(dir);
    await cp(path.join(FIXTURES, "provider-offline"), dir, { recursive: true });
    const init = await tofuIn(dir, ["init", "-input=false", "-backend=false", "-no-color"]);
    expect(init.exitCode, init.stdout + init.stderr).toBe(0);
    expect(init.stdout).toMatch(/scaleway\/scaleway v2\.81\.\d+/);
    const validate = await tofuIn(dir, ["validate", "-json"]);
    expect(validate.exitCode, validate.stdout).toBe(0);
    expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, error_count: 0 });
  });

  it("validate reports an invalid Scaleway argument with its message, checked against the provider schema", async () => {
    const p = await makeProject({ environments: { staging: { fixture: "provider-offline" } } });
    dirs.push(p.dir);
    const ok = await p.run(["validate", "--json"]);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    await writeFile(
      path.join(p.dir, "infra", "staging", "bad.tf"),
      'resource "scaleway_registry_namespace" "bad" {\n  name        = "x"\n  not_an_argument = true\n}\n',
    );
    const bad = await p.run(["validate", "--json"]);
    expect(bad.exitCode).toBe(1);
    expect(bad.events.some((e) => e.type === "diagnostic" && String(e.summary).includes("Unsupported argument"))).toBe(true);
    expect(bad.events.some((e) => e.type === "diagnostic" && String(e.summary).includes("not formatted"))).toBe(true);
    expect(resultOf(bad)).toMatchObject({ ok: false, error: { code: "validation_failed" } });
  });

  it("doctor names missing credentials without printing values, with the fix", async () => {
    const p = await makeProject({ environments: { staging: { fixture: "basic" } } });
    dirs.push(p.dir);
    const secret = "doctor-should-never-print-this-1234";
    const run = await p.run(["doctor", "--json"], { env: { SCW_SECRET_KEY: secret, SCW_ACCESS_KEY: "", AWS_ACCESS_KEY_ID: "" } });
    const data = eventOf(run, "data");
    expect(data.kind).toBe("doctor");
    const checks = data.data as DoctorCheck[];
    const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
    expect(byName.tofu?.ok).toBe(true);
    expect(byName.tofu?.detail).toMatch(/OpenTofu 1\.1[1-9]/);
    expect(byName["scaleway provider"]?.ok).toBe(true);
    expect(byName.config?.ok).toBe(true);
    expect(byName.SCW_SECRET_KEY).toMatchObject({ ok: true, detail: expect.stringContaining("set") });
    expect(byName.SCW_ACCESS_KEY).toMatchObject({ ok: false, fix: expect.stringContaining("export SCW_ACCESS_KEY") });
    expect(run.exitCode).toBe(9);
    expect(run.stdout + run.stderr).not.toContain(secret);
  });
});
