/**
 * Fault matrix, leases: skewed clocks, a stalled holder, a plain `tofu apply` from another shell,
 * kill -9 of the CLI at each step, a tofu that dies mid-apply and a waiter that gives up. Real tofu,
 * real versitygw, real HTTP services; projects that stand for two machines share one prefix (state,
 * lease, ledger) and one trace file, so "no two applies overlapped" is proven across them.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { FakeService } from "../helpers/services.js";
import { eventOf, eventsOf, resultOf, waitForEvent, type CliRun } from "../helpers/project.js";
import { ensureS3ServerBinary, startS3Server, type S3Server } from "../support/s3-server.js";
import {
  asRun,
  deployedImage,
  faultMatrix,
  faultProject,
  finishedImages,
  healthyService,
  intervals,
  noOverlap,
  nothingLost,
  releases,
  startCli,
  startTofu,
  stateList,
  traceStarted,
  type FaultProject,
  type Running,
  type StartOptions,
} from "./harness.js";

const CASE_TIMEOUT = 180_000;

let s3: S3Server;
const projects: FaultProject[] = [];
const services: FakeService[] = [];
const row = faultMatrix("leases, clocks and processes (test/faults/lease.test.ts)");

beforeAll(async () => {
  ensureS3ServerBinary();
  s3 = await startS3Server({ bucket: "evalap-state" });
});
afterAll(async () => {
  await s3?.stop();
});
afterEach(async () => {
  while (projects.length > 0) await projects.pop()?.cleanup();
  while (services.length > 0) await services.pop()?.close();
});

let prefixes = 0;
/** Checkouts on `n` machines of one environment: one prefix (state, lease, ledger), one trace. */
async function machines(n: number): Promise<FaultProject[]> {
  const prefix = `lease${++prefixes}`;
  const first = await faultProject({ s3, prefix });
  projects.push(first);
  const out = [first];
  for (let i = 1; i < n; i++) {
    const p = await faultProject({ s3, prefix, trace: first.trace });
    projects.push(p);
    out.push(p);
  }
  return out;
}

async function machine(): Promise<FaultProject> {
  const [p] = await machines(1);
  if (!p) throw new Error("no project");
  return p;
}

const service = (status = 200) => healthyService(services, status);
const actor = (name: string): Record<string, string> => ({ EVALAP_ACTOR: name });
const deployArgs = (image?: string, ...flags: string[]) => [
  "deploy",
  "staging",
  "--json",
  ...(image ? ["--image", `api=${image}`] : []),
  ...flags,
];
const deploy = (p: FaultProject, who: string, image?: string, ...flags: string[]) => p.cli(deployArgs(image, ...flags), actor(who));
const start = (p: FaultProject, args: string[], opts: StartOptions) => startCli(p, s3, args, opts);
const ran = async (child: Running): Promise<CliRun> => asRun(await child);

function errorOf(run: CliRun): { code: string; message: string; hint: string } {
  const e = resultOf(run).error as { code?: string; message?: string; hint?: string } | undefined;
  return { code: e?.code ?? "", message: e?.message ?? "", hint: e?.hint ?? "" };
}

const output = (run: CliRun) => `exit ${run.exitCode}\n${run.stdout}\n${run.stderr}`;
const recovered = (run: CliRun, scope: "remote" | "state") => eventsOf(run, "lock.recovered").filter((e) => e.scope === scope);
const waitedOn = (run: CliRun) => eventsOf(run, "lock.waiting").find((e) => e.scope === "remote");
const stepTime = (run: CliRun, name: string) => Date.parse(eventsOf(run, "step.started").find((e) => e.step === name)?.time ?? "");

/** How far a CLI's wall clock was from ours: its first event is stamped within seconds of `startedAt`. */
function clockOffsetMs(run: CliRun, startedAt: number): number {
  return Date.parse(String((run.events[0]?.time as string | undefined) ?? "")) - startedAt;
}

const MINUTE = 60_000;
/** The offset faketime was asked for ("+2m", "-10m"), in ms. */
const offsetOf = (clock: string | undefined): number => (clock ? Number(clock.replace(/m$/, "")) * MINUTE : 0);
/** Proves the skew was in effect (a start-up delay of a few seconds aside). */
const expectSkew = (run: CliRun, startedAt: number, clock: string | undefined) =>
  expect(Math.abs(clockOffsetMs(run, startedAt) - offsetOf(clock))).toBeLessThan(20_000);

/** Wall-clock end (ms) of the first traced apply of `image`; NaN when it has none. */
async function applyEnd(trace: string, image: string): Promise<number> {
  const found = (await intervals(trace)).find((i) => i.image === image);
  return found ? Number(found.end / 1_000_000n) : Number.NaN;
}

/** Resolves once the CLI of `p` keeps a run record of a tofu `subcommand`: that tofu has been spawned. */
async function runRecordOf(p: FaultProject, subcommand: string, timeoutMs = 60_000): Promise<void> {
  const dir = path.join(p.dir, ".evalap-infra", "runs", "staging");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const f of (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+\.json$/.test(n))) {
      const text = await readFile(path.join(dir, f), "utf8").catch(() => "{}");
      const record = JSON.parse(text.trim() || "{}") as { subcommand?: unknown };
      if (record.subcommand === subcommand) return;
    }
    if (Date.now() > deadline) throw new Error(`no tofu ${subcommand} started within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("skewed clocks", () => {
  // The lease is judged on the bucket's clock: whichever machine's wall clock is off, either way, the
  // waiter does not take a live lease over (with B ahead, a lease judged on B's clock would look expired).
  const skews: Array<{ name: string; a?: string; b?: string }> = [
    { name: "A's clock 2 min ahead", a: "+2m" },
    { name: "B's clock 2 min behind", b: "-2m" },
    { name: "B's clock 2 min ahead", b: "+2m" },
  ];
  for (const skew of skews) {
    it(
      `${skew.name}: B waits for A's live lease, never takes it over, and applies after A; both exit 0`,
      { timeout: CASE_TIMEOUT },
      async () => {
        const [a, b] = await machines(2);
        if (!a || !b) throw new Error("two machines");
        const [one, two] = [await service(), await service()];
        const startedA = Date.now();
        const first = start(a, deployArgs(one.url, "--var", "apply_seconds=3"), {
          env: actor("machine-a"),
          ...(skew.a ? { clock: skew.a } : {}),
        });
        await waitForEvent(first, (e) => e.type === "lock.acquired" && e.scope === "remote");
        const startedB = Date.now();
        const second = start(b, deployArgs(two.url), { env: actor("machine-b"), ...(skew.b ? { clock: skew.b } : {}) });
        const [runA, runB] = await Promise.all([ran(first), ran(second)]);
        expectSkew(runA, startedA, skew.a);
        expectSkew(runB, startedB, skew.b);

        expect(runA.exitCode, output(runA)).toBe(0);
        expect(runB.exitCode, output(runB)).toBe(0);
        expect(waitedOn(runB)?.holder?.user).toBe("machine-a");
        expect(recovered(runB, "remote")).toEqual([]);
        expect(eventsOf(runA, "log").filter((e) => /lock .* was lost/.test(e.message))).toEqual([]);
        const traced = await intervals(a.trace);
        expect(traced.map((i) => i.image)).toEqual([one.url, two.url]);
        const overlap = !noOverlap(traced);
        expect(overlap).toBe(false);
        const lost = !(await nothingLost(b, s3));
        expect(lost).toBe(false);
        expect(await deployedImage(a, s3)).toBe(two.url);

        // The next ordinary deploy carries B's image forward: nothing to change.
        const next = await deploy(b, "machine-b");
        expect(next.exitCode, output(next)).toBe(0);
        expect(await deployedImage(a, s3)).toBe(two.url);
        row({
          fault: `clock skew: ${skew.name} (A holds, 3 s apply)`,
          outcome:
            `A ${Math.round(clockOffsetMs(runA, startedA) / 1000)} s, B ${Math.round(clockOffsetMs(runB, startedB) / 1000)} s off: ` +
            `exit ${runA.exitCode}/${runB.exitCode}, ` +
            `B waited for ${waitedOn(runB)?.holder?.user ?? "nobody"}, ${recovered(runB, "remote").length} takeovers; next exit ${next.exitCode}`,
          overlap,
          nothingLost: !lost,
        });
      },
    );
  }

  it(
    "a release written by a host 10 min ahead is not 'newest' after a later one: a deploy without --image keeps B's image",
    { timeout: CASE_TIMEOUT },
    async () => {
      const [a, b] = await machines(2);
      if (!a || !b) throw new Error("two machines");
      const [imageA, imageB] = [await service(), await service()];
      const startedA = Date.now();
      const runA = await ran(start(a, deployArgs(imageA.url), { env: actor("machine-a"), clock: "+10m" }));
      expect(runA.exitCode, output(runA)).toBe(0);
      expectSkew(runA, startedA, "+10m");
      const runB = await deploy(b, "machine-b", imageB.url);
      expect(runB.exitCode, output(runB)).toBe(0);
      // Only another variable: the images carry forward from the newest healthy release, B's.
      const again = await deploy(b, "machine-b", undefined, "--var", "services_output_valid=true");
      expect(again.exitCode, output(again)).toBe(0);
      expect(eventOf(again, "plan.summary").summary.hasChanges).toBe(false);

      expect(await deployedImage(b, s3)).toBe(imageB.url);
      const list = await releases(b);
      expect(list.map((r) => [r.actor, r.images.api])).toEqual([
        ["machine-b", imageB.url],
        ["machine-b", imageB.url],
        ["machine-a", imageA.url],
      ]);
      const overlap = !noOverlap(await intervals(a.trace));
      expect(overlap).toBe(false);
      const lost = !(await nothingLost(b, s3));
      expect(lost).toBe(false);
      row({
        fault: "release order: A's clock 10 min ahead, then B deploys twice (2nd without --image)",
        outcome:
          `exit ${runA.exitCode}/${runB.exitCode}/${again.exitCode}, ` +
          `state runs ${(await deployedImage(b, s3)) === imageB.url ? "B's" : "A's"} image, newest: ${list[0]?.actor ?? "?"}`,
        overlap,
        nothingLost: !lost,
      });
    },
  );
});

describe("a holder stalled past its lease", () => {
  const title =
    "SIGSTOP of A's CLI mid-apply: B takes the lease but never A's tofu state lock while that tofu lives; A resumes without another tofu step";
  it(title, { timeout: CASE_TIMEOUT }, async () => {
    const [a, b] = await machines(2);
    if (!a || !b) throw new Error("two machines");
    const [base, one, two] = [await service(), await service(), await service()];
    // B's checkout is initialised first, so that its later runs reach tofu's state lock quickly.
    expect((await deploy(b, "machine-b", base.url)).exitCode).toBe(0);

    const held = start(a, deployArgs(one.url, "--var", "apply_seconds=10"), { env: actor("machine-a") });
    const pid = held.pid;
    if (pid === undefined) throw new Error("A did not start");
    await traceStarted(a.trace, one.url);
    // The CLI only: its tofu runs in its own process group and keeps applying under the state lock.
    process.kill(pid, "SIGSTOP");
    let runs: CliRun[];
    let runA: CliRun;
    try {
      // An ordinary deploy: it waits out A's lease, takes it over, and finds A's release pending.
      const first = await deploy(b, "machine-b", two.url);
      runs = [first];
      expect([0, 4, 11], output(first)).toContain(first.exitCode);
      expect(waitedOn(first)?.holder?.user).toBe("machine-a");
      if (first.exitCode === 11) {
        expect(errorOf(first).hint).toContain("evalap-infra deploy staging --resume");
        // The operator resumes at once: A's tofu still applies, so its state lock is waited for, not broken.
        const resumed = await deploy(b, "machine-b", two.url, "--resume", "--var", "apply_seconds=0");
        runs.push(resumed);
        expect(resumed.exitCode, output(resumed)).toBe(0);
        expect(stepTime(resumed, "plan")).toBeLessThan(await applyEnd(a.trace, one.url));
      }
      if (first.exitCode === 4) expect(errorOf(first).hint).toMatch(/lock release staging --state \S+ --force --yes/);
      for (const r of runs) expect(recovered(r, "state"), output(r)).toEqual([]);
    } finally {
      process.kill(pid, "SIGCONT");
      runA = await ran(held);
    }
    // A finished the apply it had started (under the state lock), or stopped: no other tofu step.
    expect([0, 13], output(runA)).toContain(runA.exitCode);
    expect(eventsOf(runA, "step.started").filter((e) => e.step === "apply" || e.step === "plan")).toHaveLength(2);
    if (runA.exitCode === 13) expect(errorOf(runA).code).toBe("lock_lost");
    // B, holding the lease, closed A's release when it resumed: A, waking up, must not overwrite that.
    const closedByB = runs.length > 1;
    const releaseOfA = (await releases(b)).find((r) => r.actor === "machine-a");
    expect(releaseOfA?.status).toBe(closedByB ? "superseded" : "healthy");
    if (closedByB)
      expect(errorOf(runA).message).toMatch(/was closed meanwhile by the run that took it over \(superseded: resumed by \d+\)/);

    const last = await deploy(b, "machine-b");
    expect(last.exitCode, output(last)).toBe(0);
    const overlap = !noOverlap(await intervals(a.trace));
    expect(overlap).toBe(false);
    const lost = !(await nothingLost(b, s3));
    expect(lost).toBe(false);
    // B's image, unless B stopped on the state lock (exit 4) before applying anything.
    expect(await deployedImage(b, s3)).toBe(runs[0]?.exitCode === 4 ? one.url : two.url);
    row({
      fault: "holder stalled past its lease (SIGSTOP of A's CLI mid-apply)",
      outcome:
        `B exit ${runs.map((r) => r.exitCode).join(" then --resume ")}, ${runs.flatMap((r) => recovered(r, "state")).length} state locks broken; ` +
        `A exit ${runA.exitCode}, its release ${releaseOfA?.status ?? "missing"}; next exit ${last.exitCode}`,
      overlap,
      nothingLost: !lost,
    });
  });
});

describe("a plain tofu apply from another shell", () => {
  const title =
    "holds the state lock: the deploy waits, then exits 4 with the lock id, holder, age and the command; the manual apply is kept";
  it(title, { timeout: CASE_TIMEOUT }, async () => {
    const p = await machine();
    const [base, manual, ours] = [await service(), await service(), await service()];
    expect((await deploy(p, "alice", base.url)).exitCode).toBe(0);
    const images = `images={api="${manual.url}"}`;
    const shell = startTofu(p.root, s3, [
      "apply",
      "-auto-approve",
      "-input=false",
      "-var",
      images,
      "-var",
      "apply_seconds=6",
      "-var",
      `trace_file=${p.trace}`,
    ]);
    await traceStarted(p.trace, manual.url);

    const run = await deploy(p, "alice", ours.url, "--lock-timeout", "1s");
    expect(run.exitCode, output(run)).toBe(4);
    const { code, message, hint } = errorOf(run);
    expect(code).toBe("state_lock_held");
    const id = /lock (\S+) held by/.exec(message)?.[1] ?? "";
    expect(id).not.toBe("");
    expect(message).toMatch(/held by \S+@\S+ for apply, taken \S+, \d+s ago; its holder is not proven dead/);
    expect(hint).toContain(`evalap-infra lock release staging --state ${id} --force --yes`);
    expect(recovered(run, "state")).toEqual([]);

    const manualRun = await shell;
    expect(manualRun.exitCode, String(manualRun.stderr)).toBe(0);
    expect(await stateList(p, s3)).toEqual(['terraform_data.service["api"]']);
    const keptManual = (await deployedImage(p, s3)) === manual.url;
    expect(keptManual).toBe(true);

    // The next ordinary deploy: the images of the last healthy release, applied over the manual change.
    const next = await deploy(p, "alice");
    expect(next.exitCode, output(next)).toBe(0);
    const overlap = !noOverlap(await intervals(p.trace));
    expect(overlap).toBe(false);
    const lost = !(await nothingLost(p, s3, [manual.url]));
    expect(lost).toBe(false);
    row({
      fault: "plain `tofu apply` from another shell holds the state lock",
      outcome:
        `exit ${run.exitCode} (${code}, lock ${id.slice(0, 8)}…), ` +
        `manual apply exit ${manualRun.exitCode} kept in state: ${keptManual}; next exit ${next.exitCode}`,
      overlap,
      nothingLost: !lost,
    });
  });
});

describe("kill -9 of the CLI", () => {
  it(
    "while it waits for the lease: nothing is written for it; the holder finishes; its next deploy succeeds",
    { timeout: CASE_TIMEOUT },
    async () => {
      const [a, b] = await machines(2);
      if (!a || !b) throw new Error("two machines");
      const [one, two] = [await service(), await service()];
      const holder = start(a, deployArgs(one.url, "--var", "apply_seconds=3"), { env: actor("machine-a") });
      await waitForEvent(holder, (e) => e.type === "lock.acquired" && e.scope === "remote");
      const waiter = start(b, deployArgs(two.url), { env: actor("machine-b") });
      await waitForEvent(waiter, (e) => e.type === "lock.waiting" && e.scope === "remote");
      waiter.kill("SIGKILL");
      const killed = await waiter;
      const runA = await ran(holder);
      expect(runA.exitCode, output(runA)).toBe(0);

      const history = await b.cli(["history", "staging", "--json"]);
      const entries = eventOf(history, "data").data as Array<{ actor: string }>;
      const writtenForB =
        (await releases(b)).filter((r) => r.actor === "machine-b").length + entries.filter((e) => e.actor === "machine-b").length;
      expect(writtenForB).toBe(0);

      const next = await deploy(b, "machine-b", two.url);
      expect(next.exitCode, output(next)).toBe(0);
      const overlap = !noOverlap(await intervals(a.trace));
      expect(overlap).toBe(false);
      const lost = !(await nothingLost(b, s3));
      expect(lost).toBe(false);
      row({
        fault: "kill -9 of the CLI during the lock wait",
        outcome:
          `waiter ended by ${killed.signal ?? `exit ${killed.exitCode ?? "?"}`}, ${writtenForB} records written for it; ` +
          `holder exit ${runA.exitCode}; next exit ${next.exitCode}`,
        overlap,
        nothingLost: !lost,
      });
    },
  );

  // Each kill leaves the release pending: the next deploy stops with exit 11 and names it; --resume (or
  // rollback, for the gate) finishes it, breaking a state lock its dead tofu left only with proof.
  const steps: Array<{ step: "plan" | "apply" | "health"; then: "resume" | "rollback" }> = [
    { step: "plan", then: "resume" },
    { step: "apply", then: "resume" },
    { step: "health", then: "rollback" },
  ];
  for (const { step, then } of steps) {
    it(`during ${step}: the next deploy exits 11 naming the pending release; ${then} ends healthy`, { timeout: CASE_TIMEOUT }, async () => {
      const p = await machine();
      const base = await service();
      // The gate case deploys a service that keeps answering 500 until the deadline.
      const target = await service(step === "health" ? 500 : 200);
      expect((await deploy(p, "alice", base.url)).exitCode).toBe(0);

      const child = start(p, deployArgs(target.url, "--var", `apply_seconds=${step === "apply" ? 4 : 0}`), { env: actor("alice") });
      if (step === "plan") await runRecordOf(p, "plan");
      if (step === "apply") await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start");
      if (step === "health") await waitForEvent(child, (e) => e.type === "step.started" && e.step === "health");
      child.kill("SIGKILL");
      await child;

      const next = await deploy(p, "alice", target.url);
      expect([0, 11], output(next)).toContain(next.exitCode);
      const pending = (await releases(p)).find((r) => r.status === "pending");
      if (next.exitCode === 11) {
        expect(pending?.abandoned).toBe(true);
        expect(errorOf(next).message).toContain(`release ${pending?.id}`);
        expect(errorOf(next).hint).toMatch(/`evalap-infra deploy staging --resume`.*`evalap-infra rollback staging`/);
      }
      target.status = 200;
      const finish =
        then === "resume"
          ? await deploy(p, "alice", undefined, "--resume", "--var", "apply_seconds=0")
          : await p.cli(["rollback", "staging", "--json"], actor("alice"));
      expect(finish.exitCode, output(finish)).toBe(0);
      const list = await releases(p);
      expect(list.filter((r) => r.status === "pending")).toEqual([]);
      expect(list[0]?.status).toBe("healthy");
      expect(await deployedImage(p, s3)).toBe(then === "resume" ? target.url : base.url);
      const overlap = !noOverlap(await intervals(p.trace));
      expect(overlap).toBe(false);
      const lost = !(await nothingLost(p, s3));
      expect(lost).toBe(false);
      const broken = recovered(finish, "state").length;
      row({
        fault: `kill -9 of the CLI during ${step}`,
        outcome:
          `next exit ${next.exitCode}${pending ? ` (pending ${pending.id})` : ""}; ` +
          `${then} exit ${finish.exitCode}, ${broken} dead state lock(s) broken, healthy`,
        overlap,
        nothingLost: !lost,
      });
    });
  }
});

describe("tofu killed mid-apply", () => {
  const title =
    "reported as killed by SIGKILL, the release stays pending; --resume breaks the dead tofu's lock with proof and ends healthy";
  it(title, { timeout: CASE_TIMEOUT }, async () => {
    const p = await machine();
    const [base, target] = [await service(), await service()];
    expect((await deploy(p, "alice", base.url)).exitCode).toBe(0);

    const run = await deploy(p, "alice", target.url, "--var", "kill_tofu=true");
    expect(run.exitCode, output(run)).not.toBe(0);
    const { code, message } = errorOf(run);
    expect(code).toBe("tofu_killed");
    expect(message).toMatch(/^tofu apply was killed by SIGKILL/);
    expect(message).not.toMatch(/exit code 1/);
    const pending = (await releases(p))[0];
    expect(pending?.status).toBe("pending");

    const next = await deploy(p, "alice", target.url);
    expect(next.exitCode, output(next)).toBe(11);
    expect(errorOf(next).message).toContain(`release ${pending?.id}`);

    const resumed = await deploy(p, "alice", undefined, "--resume", "--var", "kill_tofu=false");
    expect(resumed.exitCode, output(resumed)).toBe(0);
    const [proof] = recovered(resumed, "state");
    expect(proof?.reason).toMatch(/taken by tofu apply \(pid \d+.*\), which is gone \(.*\), and no tofu process runs in /);
    const list = await releases(p);
    expect(list.map((r) => r.status)).toEqual(["healthy", "superseded", "healthy"]);
    expect(await deployedImage(p, s3)).toBe(target.url);
    const overlap = !noOverlap(await intervals(p.trace));
    expect(overlap).toBe(false);
    const lost = !(await nothingLost(p, s3));
    expect(lost).toBe(false);
    row({
      fault: "tofu killed mid-apply (kill_tofu)",
      outcome:
        `exit ${run.exitCode} (${code}), release ${pending?.status ?? "?"}; next exit ${next.exitCode}; ` +
        `--resume exit ${resumed.exitCode}, ${proof ? "dead state lock broken with proof" : "no state lock broken"}`,
      overlap,
      nothingLost: !lost,
    });
  });
});

describe("a waiter that times out", () => {
  it(
    "--lock-timeout 1s while another run holds the lease: exit 4, and history has a failed lock.wait",
    { timeout: CASE_TIMEOUT },
    async () => {
      const [a, b] = await machines(2);
      if (!a || !b) throw new Error("two machines");
      const [one, two] = [await service(), await service()];
      const holder = start(a, deployArgs(one.url, "--var", "apply_seconds=3"), { env: actor("machine-a") });
      await waitForEvent(holder, (e) => e.type === "lock.acquired" && e.scope === "remote");
      const run = await deploy(b, "machine-b", two.url, "--lock-timeout", "1s");
      expect(run.exitCode, output(run)).toBe(4);
      expect(errorOf(run).message).toMatch(/machine-a/);
      const runA = await ran(holder);
      expect(runA.exitCode, output(runA)).toBe(0);

      const history = await b.cli(["history", "staging", "--json"]);
      const entries = eventOf(history, "data").data as Array<{ operation: string; outcome: string; actor: string }>;
      const wait = entries.find((e) => e.operation === "lock.wait" && e.actor === "machine-b");
      expect(wait?.outcome).toBe("failed");
      expect((await releases(b)).filter((r) => r.actor === "machine-b")).toEqual([]);

      const next = await deploy(b, "machine-b", two.url);
      expect(next.exitCode, output(next)).toBe(0);
      const overlap = !noOverlap(await intervals(a.trace));
      expect(overlap).toBe(false);
      const lost = !(await nothingLost(b, s3));
      expect(lost).toBe(false);
      expect(await finishedImages(a.trace)).toEqual([one.url, two.url]);
      row({
        fault: "waiter times out (--lock-timeout 1s)",
        outcome: `exit ${run.exitCode}, history: lock.wait ${wait?.outcome ?? "missing"}; holder exit ${runA.exitCode}; next exit ${next.exitCode}`,
        overlap,
        nothingLost: !lost,
      });
    },
  );
});
