/**
 * tofu's state lock and state that tofu could not persist, with real tofu and the s3 backend
 * (use_lockfile) on the real S3 test server. Driven through the operations in src (deployLocked,
 * planStep, pushRecoveredState) with the run records a locked run keeps.
 */
import { execa } from "execa";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, resolveEnvironment, type ResolvedEnvironment } from "../../src/config/load.js";
import { EventRecorder } from "../../src/events/bus.js";
import type { RunContext } from "../../src/operations/context.js";
import { deployLocked } from "../../src/operations/deploy.js";
import { planStep } from "../../src/operations/plan.js";
import { Redactor } from "../../src/report/redact.js";
import { proveStateLockHolderDead } from "../../src/statelock/index.js";
import { localIso, readRunRecords, writeRunRecord } from "../../src/tofu/run-record.js";
import {
  listRecoveryFiles,
  pushRecoveredState,
  StateLockHeldError,
  StateNotPersistedError,
  tofu,
  TofuError,
} from "../../src/tofu/index.js";
import { resolveToolchain } from "../../src/toolchain/resolve.js";
import { makeProject, type TestProject } from "../helpers/project.js";
import { remoteEnvironment, s3Credentials } from "../helpers/services.js";
import { ensureS3ServerBinary, startS3Server, type S3Server } from "../support/s3-server.js";

let s3: S3Server;
const projects: TestProject[] = [];
const servers: S3Server[] = [];

beforeAll(async () => {
  ensureS3ServerBinary();
  s3 = await startS3Server({ bucket: "evalap-state" });
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  await s3?.stop();
});
afterEach(async () => {
  while (projects.length > 0) await projects.pop()?.cleanup();
});

interface Harness {
  p: TestProject;
  env: ResolvedEnvironment;
  ctx: RunContext;
  events: EventRecorder;
  runs: string;
  root: string;
}

let keys = 0;
/** A project whose staging root keeps its state and state lock in the bucket, and a run context for it. */
async function harness(server: S3Server, backendExtra: Record<string, string> = {}): Promise<Harness> {
  const backend = remoteEnvironment(server, `k${++keys}/staging.tfstate`).backendConfig as Record<string, string>;
  const p = await makeProject({
    environments: {
      staging: { fixture: "release", vars: { apply_seconds: 0 }, extra: { backendConfig: { ...backend, ...backendExtra } } },
    },
  });
  projects.push(p);
  const config = await loadConfig(p.dir);
  const env = resolveEnvironment(config, "staging");
  const toolchain = await resolveToolchain(undefined);
  const events = new EventRecorder();
  const runs = path.join(p.dir, ".evalap-infra", "runs", "staging");
  const signal = new AbortController().signal;
  const ctx: RunContext = {
    config,
    events,
    redactor: new Redactor(),
    tofu: { bin: toolchain.bin, env: { ...toolchain.env, ...s3Credentials(server) }, signal, interruptGraceMs: 10_000, runRecordDir: runs },
    signal,
    confirm: null,
    commandLine: "evalap-infra deploy staging",
  };
  return { p, env, ctx, events, runs, root: env.rootDir };
}

const deploy = (h: Harness, image: string, applySeconds = 0, lockTimeoutMs = 10_000) =>
  deployLocked(h.ctx, h.env, { yes: true, allowDestroy: [], vars: { images: { api: image }, apply_seconds: applySeconds } }, lockTimeoutMs);

async function until<T>(get: () => Promise<T> | T, ok: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const applyStarted = (h: Harness) =>
  until(
    () => h.events.ofType("resource.progress"),
    (e) => e.some((x) => x.phase === "start"),
    "the apply to start",
  );

async function serviceUrl(h: Harness): Promise<unknown> {
  const outputs = await tofu.output(h.ctx.tofu, h.root);
  return (outputs.services?.value as Record<string, { url: string }> | undefined)?.api?.url;
}

describe("tofu state lock: never broken without proof that its holder is dead", () => {
  it("a `tofu apply` typed in another shell holds the lock: not proven dead, StateLockHeldError, its apply completes intact", async () => {
    const h = await harness(s3);
    await deploy(h, "http://a.example");
    // A run of ours that died earlier in this root left its record: only the process scan can tell.
    await writeRunRecord(h.runs, {
      pid: 999_999_999,
      cliPid: 999_999_998,
      cwd: h.root,
      subcommand: "apply",
      startedAt: localIso(new Date()),
      lockTimeoutMs: 10_000,
    });

    const args = [
      "apply",
      "-auto-approve",
      "-input=false",
      "-no-color",
      "-var",
      'images={api="http://manual.example"}',
      "-var",
      "apply_seconds=8",
    ];
    const manual = execa(h.ctx.tofu.bin, args, {
      cwd: h.root,
      env: { ...h.ctx.tofu.env, TF_IN_AUTOMATION: "1" },
      reject: false,
    });
    let out = "";
    manual.stdout?.on("data", (c: Buffer) => (out += c.toString()));
    await until(
      () => out,
      (o) => /Creating\.\.\.|Destroying\.\.\./.test(o),
      "the manual apply to hold the lock",
    );

    const started = Date.now();
    const err = await planStep(h.ctx, h.env, { lockTimeoutMs: 1500, vars: { images: { api: "http://ours.example" } } }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StateLockHeldError);
    const held = err as StateLockHeldError;
    expect(held.exitCode).toBe(4);
    expect(held.lock.who).toMatch(/@/);
    expect(held.message).toContain(`lock ${held.lock.id}`);
    expect(held.message).toMatch(/for apply, taken .* ago; its holder is not proven dead: a tofu process \(pid \d+, .*tofu\) runs in /);
    expect(held.hint).toContain(`evalap-infra lock release staging --state ${held.lock.id} --force --yes`);
    // tofu waited the lock timeout (1.5 s -> 2s) once, and the run did not retry the wait.
    expect(Date.now() - started).toBeLessThan(8000);
    expect(h.events.ofType("retry.scheduled")).toEqual([]);
    expect(h.events.ofType("lock.recovered")).toEqual([]);
    expect((await proveStateLockHolderDead(held.lock, h.root, h.runs)).dead).toBe(false);

    const done = await manual;
    expect(done.exitCode, String(done.stderr)).toBe(0);
    expect(await serviceUrl(h)).toBe("http://manual.example");
    const list = await tofu.stateList(h.ctx.tofu, h.root);
    expect(list).toEqual(['terraform_data.service["api"]']);
  });

  it("our tofu killed with SIGKILL mid-apply: its lock and record stay; proven dead, force-unlocked, the next plan succeeds", async () => {
    const h = await harness(s3);
    await deploy(h, "http://a.example");
    h.events.events.length = 0;
    const running = deploy(h, "http://b.example", 8).catch((e: unknown) => e);
    await applyStarted(h);
    const [record] = await until(
      () => readRunRecords(h.runs),
      (r) => r.some((x) => x.record.subcommand === "apply"),
      "the apply's run record",
    );
    expect(record?.record).toMatchObject({ subcommand: "apply", cwd: h.root });
    process.kill(record?.record.pid ?? 0, "SIGKILL");

    const err = await running;
    expect(err).toBeInstanceOf(TofuError);
    expect((err as TofuError).message).toMatch(/^tofu apply was killed by SIGKILL/);
    expect((err as TofuError).signal).toBe("SIGKILL");
    // Not retried: one plan, one apply.
    expect(h.events.ofType("step.started").filter((e) => e.step === "apply")).toHaveLength(1);
    expect((await readRunRecords(h.runs)).map((r) => r.record.pid)).toEqual([record?.record.pid]);

    const started = Date.now();
    const planned = await planStep(h.ctx, h.env, { lockTimeoutMs: 60_000, vars: { images: { api: "http://b.example" } } });
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(planned.summary.hasChanges).toBe(true);
    const [recovered] = h.events.ofType("lock.recovered");
    expect(recovered).toMatchObject({ environment: "staging", scope: "state" });
    expect(recovered?.reason).toMatch(new RegExp(`pid ${record?.record.pid}.*which is gone .*no tofu process runs in`));
    expect(await readRunRecords(h.runs)).toEqual([]);
    await tofu.removePlanFile(planned.planFile);
  });
});

describe("state that tofu could not persist", () => {
  it("S3 stopped mid-apply: StateNotPersistedError, errored.tfstate moved to a private recovery file, no re-plan; pushed once S3 is back", async () => {
    let server = await startS3Server({ bucket: "evalap-state" });
    servers.push(server);
    // Fewer SDK retries against the stopped server: the test takes seconds, not a minute.
    const h = await harness(server, { max_retries: "1" });
    await deploy(h, "http://a.example");
    h.events.events.length = 0;

    const running = deploy(h, "http://b.example", 3).catch((e: unknown) => e);
    await applyStarted(h);
    await server.stop({ keepData: true });
    const err = await running;

    expect(err).toBeInstanceOf(StateNotPersistedError);
    const lost = err as StateNotPersistedError;
    expect(lost.exitCode).toBe(12);
    expect(lost.code).toBe("state_not_persisted");
    expect(lost.message).toMatch(/could not save the state to its backend \(Failed to save state/);
    expect(h.events.ofType("step.started").filter((e) => e.step === "plan")).toHaveLength(1);
    expect(h.events.ofType("retry.scheduled")).toEqual([]);

    const file = lost.recoveryFile ?? "";
    expect(path.dirname(file)).toBe(path.join(h.p.dir, ".evalap-infra", "recovery", "staging"));
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o700);
    expect(await readdir(h.root)).not.toContain("errored.tfstate");
    expect(lost.message).not.toContain((await readFile(file, "utf8")).slice(0, 40));
    const [kept] = await listRecoveryFiles(h.p.dir, "staging");
    expect(kept?.file).toBe(file);
    expect(kept?.meta).toMatchObject({
      environment: "staging",
      root: h.root,
      tofuMessage: expect.stringMatching(/^Failed to save state: Error saving state: /),
    });
    expect(kept?.meta?.tofuMessage).not.toContain("\n");

    server = await startS3Server({ dataDir: server.dataDir, port: server.port, bucket: server.bucket });
    servers.push(server);
    // The apply could not release its lock either: its record proves the holder dead.
    await pushRecoveredState(h.ctx, h.env, file, 10_000);
    expect(h.events.ofType("lock.recovered")).toHaveLength(1);
    expect(await listRecoveryFiles(h.p.dir, "staging")).toEqual([]);
    expect(await tofu.stateList(h.ctx.tofu, h.root)).toEqual(['terraform_data.service["api"]']);
    expect(await serviceUrl(h)).toBe("http://b.example");
    // The state in the backend is what was applied: nothing left to do.
    const planned = await planStep(h.ctx, h.env, { lockTimeoutMs: 10_000, vars: { images: { api: "http://b.example" } } });
    expect(planned.summary.hasChanges).toBe(false);
    await tofu.removePlanFile(planned.planFile);
  });
});
