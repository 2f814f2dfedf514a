import { readFile, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { eventOf, resultOf, tofuIn, trackedProjects } from "../helpers/project.js";

const project = trackedProjects();

describe("deploy", () => {
  it("deploys from empty state, then reports no changes and skips init", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const first = await p.run(["deploy", "staging", "--json"]);
    expect(first.exitCode, first.stderr + first.stdout).toBe(0);
    const summary = eventOf(first, "plan.summary");
    expect(summary.summary.counts).toEqual({ create: 2, update: 0, delete: 0, replace: 0 });
    const outputs = eventOf(first, "outputs");
    expect(outputs.outputs.release).toEqual({ sensitive: false, value: "r1" });
    expect(resultOf(first)).toMatchObject({ ok: true, exitCode: 0 });
    // Every event carries the schema version; the last one is the result.
    expect(first.events.every((e) => e.schemaVersion === 1)).toBe(true);

    const state = await tofuIn(path.join(p.dir, "infra", "staging"), ["state", "list"]);
    expect(state.stdout.split("\n").filter(Boolean).sort()).toEqual(["terraform_data.app", "terraform_data.db"]);

    const second = await p.run(["deploy", "staging", "--json"]);
    expect(second.exitCode, second.stderr).toBe(0);
    const init = second.events.find((e) => e.type === "step.finished" && e.step === "init");
    expect(init).toMatchObject({ outcome: "skipped" });
    expect(second.events.some((e) => e.type === "step.started" && e.step === "apply")).toBe(false);
    expect(resultOf(second).summary).toMatch(/no changes/);
  });

  it("applies a release variable as an in-place update", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    expect((await p.run(["deploy", "staging", "--json"])).exitCode).toBe(0);
    const next = await p.run(["deploy", "staging", "--json", "--var", "release=r2"]);
    expect(next.exitCode, next.stderr).toBe(0);
    const summary = eventOf(next, "plan.summary");
    expect(summary.summary.changes).toEqual([{ address: "terraform_data.app", type: "terraform_data", action: "update" }]);
    const outputs = eventOf(next, "outputs");
    expect(outputs.outputs.release?.value).toBe("r2");
  });

  it("a --var overriding the root's terraform.tfvars applies (the saved plan's apply is given the same variables)", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeFile(path.join(p.dir, "infra", "staging", "terraform.tfvars"), 'release = "from-tfvars"\n');
    const first = await p.run(["deploy", "staging", "--json"]);
    expect(first.exitCode, first.stderr + first.stdout).toBe(0);
    expect(eventOf(first, "outputs").outputs.release?.value).toBe("from-tfvars");
    // OpenTofu loads terraform.tfvars again when applying a saved plan and refuses a value that
    // differs from the plan's unless the apply is given the same -var.
    const next = await p.run(["deploy", "staging", "--json", "--var", "release=from-cli"]);
    expect(next.exitCode, next.stderr + next.stdout).toBe(0);
    expect(eventOf(next, "outputs").outputs.release?.value).toBe("from-cli");
  });

  it("retries a rate-limited apply with a fresh plan, then succeeds", async () => {
    const counter = path.join(os.tmpdir(), `evalap-counter-${process.pid}-${Date.now()}`);
    const p = await project({ environments: { staging: { fixture: "flaky", vars: { counter_file: counter, failures: 2 } } } });
    const run = await p.run(["deploy", "staging", "--json"]);
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const retries = run.events.filter((e) => e.type === "retry.scheduled");
    expect(retries.map((r) => [r.step, r.attempt, r.reason])).toEqual([
      ["apply", 1, "rate limited"],
      ["apply", 2, "rate limited"],
    ]);
    for (const r of retries) {
      expect(typeof r.delayMs).toBe("number");
      expect(r.delayMs as number).toBeGreaterThanOrEqual(0);
      expect(r.delayMs as number).toBeLessThanOrEqual(100);
    }
    // Each attempt planned again: three plans, and the tainted resource was replaced, not re-applied stale.
    expect(run.events.filter((e) => e.type === "step.started" && e.step === "plan")).toHaveLength(3);
    expect(Number(await readFile(counter, "utf8"))).toBe(3);
  });

  it("honours Retry-After from the error message", async () => {
    const counter = path.join(os.tmpdir(), `evalap-counter-ra-${process.pid}-${Date.now()}`);
    const p = await project({
      environments: {
        staging: { fixture: "flaky", vars: { counter_file: counter, failures: 1, message: "429 Too Many Requests (Retry-After: 1)" } },
      },
    });
    const run = await p.run(["deploy", "staging", "--json"]);
    expect(run.exitCode, run.stderr).toBe(0);
    const retry = run.events.find((e) => e.type === "retry.scheduled");
    expect(retry?.delayMs).toBe(1000);
  });

  it("gives up with the retries-exhausted code when the rate limit never ends", async () => {
    const counter = path.join(os.tmpdir(), `evalap-counter-x-${process.pid}-${Date.now()}`);
    const p = await project({
      environments: { staging: { fixture: "flaky", vars: { counter_file: counter, failures: 100 } } },
      config: { retry: { attempts: 3, baseDelay: "10ms", maxDelay: "20ms", budget: "60s" } },
    });
    const run = await p.run(["deploy", "staging", "--json"]);
    expect(run.exitCode).toBe(6);
    expect(run.events.filter((e) => e.type === "retry.scheduled")).toHaveLength(2);
    expect(resultOf(run)).toMatchObject({ ok: false, exitCode: 6, error: { code: "retries_exhausted" } });
    expect(Number(await readFile(counter, "utf8"))).toBe(3);
  });

  it("fails at once on a permanent error, with a clear message and no retry", async () => {
    const counter = path.join(os.tmpdir(), `evalap-counter-p-${process.pid}-${Date.now()}`);
    const p = await project({
      environments: {
        staging: {
          fixture: "flaky",
          vars: { counter_file: counter, failures: 100, message: "Error: invalid argument: the image name is malformed" },
        },
      },
    });
    const run = await p.run(["deploy", "staging", "--json"]);
    expect(run.exitCode).toBe(1);
    expect(run.events.filter((e) => e.type === "retry.scheduled")).toHaveLength(0);
    const result = resultOf(run) as { error: { code: string; message: string } };
    expect(result.error.code).toBe("tofu_failed");
    expect(result.error.message).toMatch(/tofu apply failed/);
    expect(
      run.events.some(
        (e) => e.type === "diagnostic" && String((e.detail as string | undefined) ?? "").includes("the image name is malformed"),
      ),
    ).toBe(true);
    expect(Number(await readFile(counter, "utf8"))).toBe(1);
    // Human mode: the message and the hint, and no stack trace.
    const human = await p.run(["deploy", "staging"]);
    expect(human.exitCode).toBe(1);
    expect(human.stderr).toMatch(/tofu apply failed/);
    expect(human.stderr).toMatch(/hint:/);
    expect(human.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  });

  it("refuses to replace a stateful resource without --allow-destroy, and accepts it with", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } }, config: { guard: { statefulTypes: ["terraform_data"] } } });
    expect((await p.run(["deploy", "staging", "--json"])).exitCode).toBe(0);
    const refused = await p.run(["deploy", "staging", "--json", "--var", "db_generation=2"]);
    expect(refused.exitCode).toBe(5);
    expect(resultOf(refused)).toMatchObject({ ok: false, exitCode: 5, error: { code: "guard_refused" } });
    expect(String((resultOf(refused).error as { hint: string }).hint)).toContain("--allow-destroy terraform_data.db");
    expect(refused.events.some((e) => e.type === "step.started" && e.step === "apply")).toBe(false);
    // Nothing was applied and no plan file was left behind.
    const plans = await readdir(path.join(p.dir, ".evalap-infra", "plans"));
    expect(plans).toEqual([]);

    const allowed = await p.run(["deploy", "staging", "--json", "--var", "db_generation=2", "--allow-destroy", "terraform_data.db"]);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
    const summary = eventOf(allowed, "plan.summary");
    expect(summary.summary.counts.replace).toBe(1);
  });

  it("a protected environment refuses without --yes when nobody can be asked, and applies with it", async () => {
    const p = await project({ environments: { production: { fixture: "basic", protection: "protected" } } });
    const refused = await p.run(["deploy", "production", "--json"]);
    expect(refused.exitCode).toBe(5);
    expect(String((resultOf(refused).error as { message: string }).message)).toMatch(/protected.*not interactive/);
    const state = await tofuIn(path.join(p.dir, "infra", "production"), ["state", "list"]);
    expect(state.stdout.trim()).toBe("");
    const ok = await p.run(["deploy", "production", "--json", "--yes"]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.events.find((e) => e.type === "guard.checked")).toMatchObject({ allowed: true, confirmation: "flag" });
  });

  it("names an unknown environment and lists the known ones", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" }, production: { fixture: "basic", protection: "protected" } } });
    const run = await p.run(["deploy", "prod"]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('unknown environment "prod"');
    expect(run.stderr).toContain("known environments: staging, production");
  });

  it("plan --detailed-exitcode: 2 with changes, 0 without", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const before = await p.run(["plan", "staging", "--detailed-exitcode", "--json"]);
    expect(before.exitCode, before.stderr).toBe(2);
    expect((await p.run(["deploy", "staging", "--json"])).exitCode).toBe(0);
    const after = await p.run(["plan", "staging", "--detailed-exitcode", "--json"]);
    expect(after.exitCode).toBe(0);
  });

  it("reports the config file's problems with field paths, and no stack trace", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeFile(
      path.join(p.dir, "evalap-infra.json"),
      JSON.stringify({ environments: { staging: { root: "infra/staging", protection: "prod" } }, retry: { attempts: 0, retires: 3 } }),
    );
    const run = await p.run(["deploy", "staging"]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain("environments.staging.protection");
    expect(run.stderr).toContain('"prod"');
    expect(run.stderr).toContain("retry.attempts");
    expect(run.stderr).toContain('unknown field "retires"');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
