import { cp, readFile, readdir, readlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO, resultOf, toRun, trackedProjects, waitForEvent, type CliRun, type TestProject } from "../helpers/project.js";

// The real Scaleway provider (from the offline toolchain) in real roots: it needs no credentials
// for a root that only declares it, and it is started by plan and apply all the same.
const project = trackedProjects();
const PROVIDER_TF = path.join(REPO, "bench", "fixtures", "with-provider", "provider.tf");

interface ProviderProcess {
  pid: number;
  debuggable: boolean;
}

/** Provider processes (started by tofu or by us) working in a root of the project, from /proc. */
async function providersIn(dir: string): Promise<ProviderProcess[]> {
  const found: ProviderProcess[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const argv = (await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "")).split("\0");
    if (!path.basename(argv[0] ?? "").startsWith("terraform-provider-")) continue;
    const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
    if (cwd.startsWith(dir)) found.push({ pid: Number(entry), debuggable: argv.includes("-debuggable") });
  }
  return found;
}

/** Every provider process seen in the project while `work` runs (sampled every 10 ms). */
async function watchProviders<T>(dir: string, work: () => Promise<T>): Promise<{ value: T; seen: Map<number, ProviderProcess> }> {
  const seen = new Map<number, ProviderProcess>();
  let sampling = Promise.resolve();
  const timer = setInterval(() => {
    sampling = sampling.then(async () => {
      for (const p of await providersIn(dir)) seen.set(p.pid, p);
    });
  }, 10);
  try {
    const value = await work();
    return { value, seen };
  } finally {
    clearInterval(timer);
    await sampling;
  }
}

async function withProvider(opts: { fixture?: string; vars?: Record<string, unknown>; config?: Record<string, unknown> } = {}) {
  const p = await project({
    environments: { staging: { fixture: opts.fixture ?? "basic", vars: opts.vars ?? {} } },
    ...(opts.config ? { config: opts.config } : {}),
  });
  await cp(PROVIDER_TF, path.join(p.dir, "infra", "staging", "provider.tf"));
  return p;
}

function reattachLogs(run: CliRun): string[] {
  return run.events.filter((e) => e.type === "log" && String(e.message).includes("reattach to")).map((e) => String(e.message));
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** tofu keeps running in its own group when the CLI is killed: wait for it before the project is removed. */
async function tofuGone(p: TestProject): Promise<void> {
  const root = path.join(p.dir, "infra");
  await eventually(async () => {
    for (const entry of await readdir("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => "");
      if (cwd.startsWith(root)) return false;
    }
    return true;
  }, 20_000);
}

describe("one provider process for plan and apply", () => {
  it("a deploy and a warm deploy each start the provider once, reattach plan and apply to it, and leave nothing behind", async () => {
    const p = await withProvider();
    for (const release of ["r1", "r2"]) {
      const { value: run, seen } = await watchProviders(p.dir, () => p.run(["deploy", "staging", "--json", "--var", `release=${release}`]));
      expect(run.exitCode, run.stderr + run.stdout).toBe(0);
      expect(run.events.some((e) => e.type === "step.finished" && e.step === "apply" && e.outcome === "ok")).toBe(true);
      // tofu says nothing about the reattached provider (no warning reaches the operator).
      expect(run.events.filter((e) => e.type === "diagnostic")).toEqual([]);
      // One provider process served plan and apply: the one we started in debug mode, named in the log.
      const providers = [...seen.values()];
      expect(providers).toHaveLength(1);
      expect(providers[0]?.debuggable).toBe(true);
      expect(reattachLogs(run)).toEqual([
        `provider reuse: plan and apply reattach to registry.opentofu.org/scaleway/scaleway (pid ${providers[0]?.pid})`,
      ]);
      expect(await providersIn(p.dir)).toEqual([]);
      // The second deploy is the warm one: init skipped, the provider started beside the init check.
      const init = run.events.find((e) => e.type === "step.finished" && e.step === "init");
      expect(init?.outcome).toBe(release === "r1" ? "ok" : "skipped");
    }
  });

  it("plan --diff reuses it for plan and show -json", async () => {
    const p = await withProvider();
    const { value: run, seen } = await watchProviders(p.dir, () => p.run(["plan", "staging", "--json", "--diff"]));
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    expect(run.events.some((e) => e.type === "step.finished" && e.step === "diff" && e.outcome === "ok")).toBe(true);
    expect([...seen.values()].map((s) => s.debuggable)).toEqual([true]);
    expect(await providersIn(p.dir)).toEqual([]);
  });

  it("with tofu.reuseProviders false, tofu starts its providers itself as before", async () => {
    const p = await withProvider({ config: { tofu: { reuseProviders: false } } });
    const { value: run, seen } = await watchProviders(p.dir, () => p.run(["deploy", "staging", "--json"]));
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    const providers = [...seen.values()];
    // plan and apply started their own (at least one each), none in debug mode, and nothing was reattached.
    expect(providers.length).toBeGreaterThanOrEqual(2);
    expect(providers.every((s) => !s.debuggable)).toBe(true);
    expect(reattachLogs(run)).toEqual([]);
    expect(run.events.some((e) => e.type === "log" && String(e.message).startsWith("provider reuse"))).toBe(false);
  });

  it("falls back to tofu's own providers when reuse is unsafe (a provider alias), and says why at debug level", async () => {
    const p = await withProvider();
    const alias = 'provider "scaleway" {\n  alias  = "ams"\n  region = "nl-ams"\n}\n';
    await writeFile(path.join(p.dir, "infra", "staging", "alias.tf"), alias);
    const { value: run, seen } = await watchProviders(p.dir, () => p.run(["deploy", "staging", "--json"]));
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    expect([...seen.values()].every((s) => !s.debuggable)).toBe(true);
    expect(reattachLogs(run)).toEqual([]);
    const skip = run.events.find((e) => e.type === "log" && String(e.message).startsWith("provider reuse"));
    expect(skip).toMatchObject({
      level: "debug",
      message: "provider reuse: alias.tf configures a provider alias; tofu starts its providers itself",
    });
  });
});

describe("no provider process outlives the run", () => {
  it("SIGINT during apply: exit 130, and the provider is stopped after tofu", async () => {
    const p = await withProvider({ fixture: "slow", vars: { seconds: 3 } });
    const child = p.start(["deploy", "staging", "--json"]);
    await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start");
    const during = await providersIn(p.dir);
    expect(during.filter((s) => s.debuggable)).toHaveLength(1);
    child.kill("SIGINT");
    const r = await child;
    const run = toRun(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
    expect(run.exitCode, run.stderr).toBe(130);
    expect(resultOf(run)).toMatchObject({ ok: false, exitCode: 130, error: { code: "interrupted" } });
    // tofu stopped gracefully (its apply was interrupted by tofu itself, through the provider).
    expect(await providersIn(p.dir)).toEqual([]);
  });

  it("kill -9 of the CLI mid-apply: the watchdog stops the provider within a few seconds", async () => {
    const p = await withProvider({ fixture: "slow", vars: { seconds: 4 } });
    const child = p.start(["deploy", "staging", "--json"]);
    await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start");
    const [provider, ...others] = (await providersIn(p.dir)).filter((s) => s.debuggable);
    expect(provider).toBeDefined();
    expect(others).toEqual([]);
    child.kill("SIGKILL");
    await child;
    const gone = await eventually(async () => (await providersIn(p.dir)).every((s) => s.pid !== provider?.pid), 5_000);
    expect(gone).toBe(true);
    await tofuGone(p);
  });
});
