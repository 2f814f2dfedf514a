/**
 * Fault matrix: objects the tool cannot read, rollback after an abandoned or failed release, a
 * services output that breaks its contract, SIGTERM, full and read-only file systems, a command
 * line too long for the system, and a missing tofu binary. Every case ends with the checks of
 * harness.ts: its exit code, no overlap in the apply trace, nothing lost (the state runs the
 * ledger's newest healthy release), and a next ordinary run that succeeds or says what to do.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir, open, readdir, readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventOf, eventsOf, waitForEvent, type CliRun } from "../helpers/project.js";
import { s3Credentials, type FakeService } from "../helpers/services.js";
import { ensureS3ServerBinary, s3Client, startS3Server, type S3Server } from "../support/s3-server.js";
import {
  asRun,
  deployedImage,
  faultMatrix,
  faultProject,
  healthyService,
  intervals,
  noOverlap,
  releases,
  stateAgreesWithLedger,
  type FaultProject,
  type FaultProjectOptions,
  type LedgerRow,
} from "./harness.js";

const CASE_TIMEOUT = 300_000;

let s3: S3Server;
const projects: FaultProject[] = [];
const services: FakeService[] = [];
const mounts: string[] = [];
const record = faultMatrix("unreadable objects, rollback, services output, SIGTERM, file systems, tofu binary");

beforeAll(async () => {
  ensureS3ServerBinary();
  s3 = await startS3Server({ bucket: "evalap-state" });
});
afterAll(async () => {
  await s3?.stop();
});
afterEach(async () => {
  // Unmount first: a project directory with a mount inside cannot be removed.
  while (mounts.length > 0) unmount(mounts.pop() ?? "");
  while (projects.length > 0) await projects.pop()?.cleanup();
  while (services.length > 0) await services.pop()?.close();
});

let prefixes = 0;
/** A project on its own prefix of the shared bucket (one state, ledger and lease per case). */
async function project(name: string, opts: Partial<FaultProjectOptions> = {}): Promise<FaultProject & { prefix: string; ledger: string }> {
  const prefix = `objects-${name}-${++prefixes}`;
  const p = await faultProject({ s3, prefix, ...opts });
  projects.push(p);
  return { ...p, prefix, ledger: `${prefix}/evalap-infra/staging` };
}

const service = (status = 200): Promise<FakeService> => healthyService(services, status);
const deploy = (p: FaultProject, url: string, ...flags: string[]): Promise<CliRun> =>
  p.cli(["deploy", "staging", "--json", "--image", `api=${url}`, ...flags]);
type ResultError = { code: string; message: string; hint?: string };
/** The error of a run's result; an empty one when it succeeded or was killed before its result. */
const errorOf = (run: CliRun): ResultError =>
  (run.events.find((e) => e.type === "result")?.error as ResultError | undefined) ?? { code: "", message: "" };
const warnings = (run: CliRun): string[] =>
  eventsOf(run, "log")
    .filter((e) => e.level === "warn")
    .map((e) => e.message);
const said = (run: CliRun): string => `exit ${run.exitCode}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;

/** A run that did not end in a crash of ours: no "internal error", whatever its exit code. */
function expectNoInternalError(run: CliRun): void {
  expect(run.stdout + run.stderr, said(run)).not.toMatch(/internal error/i);
  expect(errorOf(run).code, said(run)).not.toBe("internal");
}

async function putRaw(key: string, body: string): Promise<void> {
  const client = s3Client(s3);
  try {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
  } finally {
    client.destroy();
  }
}

async function listKeys(prefix: string): Promise<string[]> {
  const client = s3Client(s3);
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: `${prefix}/` }));
    return (listed.Contents ?? []).map((o) => o.Key ?? "");
  } finally {
    client.destroy();
  }
}

interface LockView {
  local: unknown;
  remote: { state: string } | null;
}

/** Both locks free as `lock status` reports them: no local holder, and the lease absent or released. */
async function locksFree(p: FaultProject): Promise<boolean> {
  const run = await p.cli(["lock", "status", "staging", "--json"]);
  expect(run.exitCode, said(run)).toBe(0);
  const data = eventOf(run, "data").data as LockView;
  return data.local === null && (data.remote === null || data.remote.state === "released");
}

/** The lease as the bucket holds it: free when absent or released (read raw, not through the CLI). */
async function leaseFree(p: FaultProject & { ledger: string }): Promise<boolean> {
  const client = s3Client(s3);
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${p.ledger}/lock.json` }));
    const record = JSON.parse((await got.Body?.transformToString()) ?? "{}") as { released?: unknown };
    return record.released !== undefined;
  } catch (err) {
    if ((err as { name?: string }).name === "NoSuchKey") return true;
    throw err;
  } finally {
    client.destroy();
  }
}

/** Files left in the project's plan directory (plan files can hold secrets). */
async function planFiles(p: FaultProject): Promise<string[]> {
  return readdir(path.join(p.dir, ".evalap-infra", "plans")).catch(() => []);
}

/**
 * Starts a deploy of `url` whose apply takes `seconds`, and kill -9s the CLI once tofu started
 * applying: its release stays pending (abandoned), as after a lost runner.
 */
async function abandonDeploy(p: FaultProject, url: string, seconds = 4): Promise<CliRun> {
  const child = p.start(["deploy", "staging", "--json", "--image", `api=${url}`, "--var", `apply_seconds=${seconds}`], {
    env: s3Credentials(s3),
  });
  await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start", 60_000);
  child.kill("SIGKILL");
  const run = asRun(await child);
  await orphansGone(p, (seconds + 20) * 1000);
  return run;
}

/**
 * Waits, bounded, until the tofu a killed CLI left running (in its own process group, it dies at its
 * next write to the closed pipe) is gone and reaped: the next run then proves its state lock dead at
 * once instead of waiting the lock timeout for it (a zombie still counts as alive for that proof).
 */
async function orphansGone(p: FaultProject, timeoutMs: number): Promise<void> {
  const dir = path.join(p.dir, ".evalap-infra", "runs", "staging");
  const pids = (await readdir(dir).catch(() => [])).flatMap((n) => /^(\d+)\.json$/.exec(n)?.[1] ?? []).map(Number);
  const deadline = Date.now() + timeoutMs;
  while (pids.some((pid) => existsSync(`/proc/${pid}`)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** What the ledger says, compactly: "id kind status", newest first. */
const ledgerLine = (list: LedgerRow[]): string => list.map((r) => `${r.id} ${r.kind} ${r.status}`).join(", ");

interface Finish {
  overlap: boolean;
  nothingLost: boolean;
}

/** The checks every case ends with; returns what the matrix records. */
async function finish(p: FaultProject): Promise<Finish> {
  const overlap = !noOverlap(await intervals(p.trace));
  const nothingLost = await stateAgreesWithLedger(p, s3);
  expect(
    overlap,
    `applies overlapped: ${JSON.stringify(await intervals(p.trace), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`,
  ).toBe(false);
  expect(nothingLost, `the state runs ${await deployedImage(p, s3)}; ledger: ${ledgerLine(await releases(p))}`).toBe(true);
  return { overlap, nothingLost };
}

describe("an object the tool cannot read never blocks the environment", () => {
  it(
    "unparseable releases, lease object and queue ticket: every command works and names the bad key",
    async () => {
      const p = await project("unreadable");
      const [a, b, c, d, e, f] = await Promise.all([service(), service(), service(), service(), service(), service()]);
      if (!a || !b || !c || !d || !e || !f) throw new Error("services did not start");
      for (const s of [a, b]) {
        const run = await deploy(p, s.url);
        expect(run.exitCode, said(run)).toBe(0);
      }
      const releasesPrefix = `${p.ledger}/releases`;
      const notJson = `${releasesPrefix}/00000003.json`;
      // Missing fields, yet it says healthy, and its key is the newest sequence number: tempting, never used.
      const missingFields = `${releasesPrefix}/99999990.json`;
      await putRaw(notJson, "this is not JSON {");
      await putRaw(
        missingFields,
        JSON.stringify({ id: "99999990", environment: "staging", status: "healthy", images: { api: "http://127.0.0.1:9" } }),
      );
      const namesBoth = (run: CliRun): boolean => [notJson, missingFields].every((key) => warnings(run).some((w) => w.includes(key)));

      const deployed = await deploy(p, c.url);
      expect(deployed.exitCode, said(deployed)).toBe(0);
      const listed = await p.cli(["releases", "list", "staging", "--json"]);
      expect(listed.exitCode, said(listed)).toBe(0);
      const rows = eventOf(listed, "data").data as LedgerRow[];
      // The new release numbers past the unreadable one; the unreadable ones are not listed.
      expect(rows.map((r) => [r.id, r.status])).toEqual([
        ["99999991", "healthy"],
        ["00000002", "healthy"],
        ["00000001", "healthy"],
      ]);
      const rolledBack = await p.cli(["rollback", "staging", "--json"]);
      expect(rolledBack.exitCode, said(rolledBack)).toBe(0);
      expect((eventOf(rolledBack, "data").data as { target: string }).target).toBe("00000002");
      expect(await deployedImage(p, s3)).toBe(b.url);

      // A real pending release: the CLI dies during the apply.
      const killed = await abandonDeploy(p, d.url);
      const stopped = await deploy(p, d.url);
      expect(stopped.exitCode, said(stopped)).toBe(11);
      expect(errorOf(stopped).hint).toMatch(/--resume.*rollback/);
      const resumed = await deploy(p, d.url, "--resume", "--var", "apply_seconds=0");
      expect(resumed.exitCode, said(resumed)).toBe(0);
      expect(await deployedImage(p, s3)).toBe(d.url);
      const objectRuns = {
        deploy: deployed,
        "releases list": listed,
        rollback: rolledBack,
        "deploy (pending)": stopped,
        "deploy --resume": resumed,
      };
      for (const [name, run] of Object.entries(objectRuns)) {
        expectNoInternalError(run);
        expect(namesBoth(run), `${name} did not name both keys:\n${warnings(run).join("\n")}`).toBe(true);
      }

      // The lease object is garbage: status says so; a deploy waits it out on the bucket's clock.
      const lockKey = `${p.ledger}/lock.json`;
      await putRaw(lockKey, "garbage");
      const status = await p.cli(["lock", "status", "staging", "--json"]);
      expect(status.exitCode, said(status)).toBe(0);
      expect((eventOf(status, "data").data as LockView).remote?.state).toBe("malformed");
      expect(status.stdout + status.stderr).toMatch(/lock object is unreadable \(not JSON/);
      const waited = await deploy(p, e.url);
      expect(waited.exitCode, said(waited)).toBe(0);
      const recovered = eventsOf(waited, "lock.recovered").find((x) => x.scope === "remote");
      expect(recovered?.reason).toMatch(/not a lock record \(not JSON\)/);
      // Taken over only once unchanged for a lease (3 s) plus the clock's resolution, on the bucket's clock.
      const waitedSeconds = Number(/unchanged for ([\d.]+)s/.exec(recovered?.reason ?? "")?.[1] ?? "NaN");
      expect(waitedSeconds).toBeGreaterThanOrEqual(4);
      // A run that waits says how to clear the object at once. (On a loaded machine the lease may
      // already be over when the deploy gets there: it then takes over without waiting or warning.)
      const leaseWaits = eventsOf(waited, "lock.waiting").filter((x) => x.scope === "remote").length;
      if (leaseWaits > 0) expect(warnings(waited).some((w) => w.includes(lockKey) && w.includes("--force --yes"))).toBe(true);

      // ... or an operator clears it at once.
      await putRaw(lockKey, "garbage");
      const forced = await p.cli(["lock", "release", "staging", "--force", "--yes"]);
      expect(forced.exitCode, said(forced)).toBe(0);
      expect(forced.stdout).toContain("released the lock of staging (an unreadable lock object (not JSON))");
      const clearedAtOnce = await locksFree(p);
      expect(clearedAtOnce).toBe(true);

      // A queue ticket nobody can read holds nobody back: the deploy takes the lock without waiting.
      await putRaw(`${lockKey}.queue/0badc0de.json`, "garbage");
      await putRaw(`${lockKey}.queue/0badc0de.alive`, "garbage");
      const queued = await deploy(p, f.url);
      expect(queued.exitCode, said(queued)).toBe(0);
      const queueWaits = eventsOf(queued, "lock.waiting").filter((x) => x.scope === "remote").length;
      expect(queueWaits).toBe(0);
      for (const run of [status, waited, forced, queued, killed]) expectNoInternalError(run);

      const end = await finish(p);
      const named = Object.values(objectRuns).filter(namesBoth).length;
      record({
        fault: "unparseable release objects (not JSON; missing fields at 99999990.json)",
        outcome: [
          `deploy ${deployed.exitCode}, list ${listed.exitCode}, rollback ${rolledBack.exitCode}, pending ${stopped.exitCode}, resume ${resumed.exitCode}`,
          `both keys named by ${named}/${Object.keys(objectRuns).length}`,
        ].join("; "),
        ...end,
      });
      record({
        fault: "unparseable lease object; unparseable queue ticket",
        outcome: [
          `status ${(eventOf(status, "data").data as LockView).remote?.state}`,
          `deploy ${waited.exitCode} after ${waitedSeconds}s on the bucket's clock`,
          `force ${forced.exitCode} (free: ${clearedAtOnce})`,
          `queue: deploy ${queued.exitCode}, ${queueWaits} wait(s)`,
        ].join("; "),
        ...end,
      });
    },
    CASE_TIMEOUT,
  );
});

describe("rollback after an abandoned or failed release", () => {
  it(
    "one healthy release then an abandoned one: rollback returns to the healthy one and closes the abandoned one as failed",
    async () => {
      const p = await project("abandoned-one");
      const [a, b, c] = await Promise.all([service(), service(), service()]);
      if (!a || !b || !c) throw new Error("services did not start");
      const first = await deploy(p, a.url);
      expect(first.exitCode, said(first)).toBe(0);
      await abandonDeploy(p, b.url);
      const run = await p.cli(["rollback", "staging", "--json"]);
      expect(run.exitCode, said(run)).toBe(0);
      expectNoInternalError(run);
      expect((eventOf(run, "data").data as { target: string }).target).toBe("00000001");
      const list = await releases(p);
      expect(list.map((r) => [r.id, r.kind, r.status])).toEqual([
        ["00000003", "rollback", "healthy"],
        ["00000002", "deploy", "failed"],
        ["00000001", "deploy", "healthy"],
      ]);
      expect(list[0]?.rollbackOf).toBe("00000001");
      expect(list[1]?.statusReason).toMatch(/abandoned; rolled back to 00000001/);
      const running = await deployedImage(p, s3);
      expect(running).toBe(a.url);
      const next = await deploy(p, c.url);
      expect(next.exitCode, said(next)).toBe(0);
      record({
        fault: "rollback: 1 healthy + 1 abandoned release",
        outcome: [
          `rollback ${run.exitCode} to ${(eventOf(run, "data").data as { target: string }).target}`,
          `abandoned: ${list[1]?.status}`,
          `runs ${running === a.url ? "release 1" : running}`,
          `next deploy ${next.exitCode}`,
        ].join("; "),
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );

  it(
    "two healthy releases then an abandoned one: rollback re-applies the newest healthy one and leaves it healthy",
    async () => {
      const p = await project("abandoned-two");
      const [a, b, c] = await Promise.all([service(), service(), service()]);
      if (!a || !b || !c) throw new Error("services did not start");
      for (const s of [a, b]) expect((await deploy(p, s.url)).exitCode).toBe(0);
      await abandonDeploy(p, c.url);
      const run = await p.cli(["rollback", "staging", "--json"]);
      expect(run.exitCode, said(run)).toBe(0);
      expectNoInternalError(run);
      const target = (eventOf(run, "data").data as { target: string }).target;
      expect(target).toBe("00000002");
      const list = await releases(p);
      expect(list.map((r) => [r.id, r.kind, r.status])).toEqual([
        ["00000004", "rollback", "healthy"],
        ["00000003", "deploy", "failed"],
        ["00000002", "deploy", "healthy"],
        ["00000001", "deploy", "healthy"],
      ]);
      expect(list[0]).toMatchObject({ rollbackOf: "00000002", images: { api: b.url } });
      expect(list[2]?.rolledBackTo).toBeUndefined();
      const running = await deployedImage(p, s3);
      expect(running).toBe(b.url);
      const next = await deploy(p, c.url);
      expect(next.exitCode, said(next)).toBe(0);
      record({
        fault: "rollback: 2 healthy + 1 abandoned release",
        outcome: [
          `rollback ${run.exitCode} to ${target}`,
          `00000002 stays ${list[2]?.status}`,
          `runs ${running === b.url ? "release 2" : running}`,
          `next deploy ${next.exitCode}`,
        ].join("; "),
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );

  it(
    "a release that failed its gate with --no-rollback: rollback returns to the newest healthy one and marks it rolled_back; --to 1 works",
    async () => {
      const p = await project("failed-gate");
      const [a, b] = await Promise.all([service(), service()]);
      const bad = await service(500);
      if (!a || !b) throw new Error("services did not start");
      for (const s of [a, b]) expect((await deploy(p, s.url)).exitCode).toBe(0);
      const failed = await deploy(p, bad.url, "--no-rollback");
      expect(failed.exitCode, said(failed)).toBe(8);
      const run = await p.cli(["rollback", "staging", "--json"]);
      expect(run.exitCode, said(run)).toBe(0);
      expectNoInternalError(run);
      const target = (eventOf(run, "data").data as { target: string }).target;
      expect(target).toBe("00000002");
      let list = await releases(p);
      expect(list.map((r) => [r.id, r.kind, r.status])).toEqual([
        ["00000004", "rollback", "healthy"],
        ["00000003", "deploy", "rolled_back"],
        ["00000002", "deploy", "healthy"],
        ["00000001", "deploy", "healthy"],
      ]);
      expect(list[1]?.rolledBackTo).toBe("00000004");
      expect(await deployedImage(p, s3)).toBe(b.url);

      const toFirst = await p.cli(["rollback", "staging", "--json", "--to", "1"]);
      expect(toFirst.exitCode, said(toFirst)).toBe(0);
      expect((eventOf(toFirst, "data").data as { target: string }).target).toBe("00000001");
      list = await releases(p);
      expect(list[0]).toMatchObject({ kind: "rollback", status: "healthy", rollbackOf: "00000001", images: { api: a.url } });
      const running = await deployedImage(p, s3);
      expect(running).toBe(a.url);
      record({
        fault: "rollback: failed gate (--no-rollback), then --to 1",
        outcome: [
          `deploy ${failed.exitCode}`,
          `rollback ${run.exitCode} to ${target}, failed one ${list.find((r) => r.id === "00000003")?.status}`,
          `--to 1: ${toFirst.exitCode}, runs ${running === a.url ? "release 1" : running}`,
        ].join("; "),
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );
});

describe("a services output that breaks its contract", () => {
  it(
    "is an unhealthy release: rolled back automatically (exit 7), the previous image runs",
    async () => {
      const p = await project("services-output");
      const [a, b] = await Promise.all([service(), service()]);
      if (!a || !b) throw new Error("services did not start");
      expect((await deploy(p, a.url)).exitCode).toBe(0);
      const run = await deploy(p, b.url, "--var", "services_output_valid=false");
      expect(run.exitCode, said(run)).toBe(7);
      expectNoInternalError(run);
      expect(errorOf(run).code).toBe("rolled_back");
      expect(errorOf(run).message).toMatch(/services output/);
      const list = await releases(p);
      expect(list.map((r) => [r.kind, r.status])).toEqual([
        ["rollback", "healthy"],
        ["deploy", "rolled_back"],
        ["deploy", "healthy"],
      ]);
      expect(list[1]?.rolledBackTo).toBe(list[0]?.id);
      const running = await deployedImage(p, s3);
      expect(running).toBe(a.url);
      const next = await deploy(p, b.url);
      expect(next.exitCode, said(next)).toBe(0);
      record({
        fault: "services output invalid after apply",
        outcome: [
          `exit ${run.exitCode} (${errorOf(run).code})`,
          `bad release ${list[1]?.status}`,
          `runs ${running === a.url ? "previous image" : running}`,
          `next deploy ${next.exitCode}`,
        ].join("; "),
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );
});

describe("SIGTERM", () => {
  it(
    "during plan: exit 143, no plan file, locks free, the next deploy succeeds",
    async () => {
      const p = await project("sigterm-plan");
      const [a, b] = await Promise.all([service(), service()]);
      if (!a || !b) throw new Error("services did not start");
      expect((await deploy(p, a.url)).exitCode).toBe(0);
      const child = p.start(["deploy", "staging", "--json", "--image", `api=${b.url}`], { env: s3Credentials(s3) });
      await waitForEvent(child, (e) => e.type === "step.started" && e.step === "plan", 60_000);
      child.kill("SIGTERM");
      const run = asRun(await child);
      expect(run.exitCode, said(run)).toBe(143);
      expectNoInternalError(run);
      // It stopped in the plan: no apply began.
      expect(eventsOf(run, "step.started").map((e) => e.step)).not.toContain("apply");
      const left = await planFiles(p);
      expect(left).toEqual([]);
      const free = await locksFree(p);
      expect(free).toBe(true);
      expect((await releases(p))[0]).toMatchObject({ status: "failed", statusReason: "interrupted by SIGTERM" });
      const next = await deploy(p, b.url);
      expect(next.exitCode, said(next)).toBe(0);
      record({
        fault: "SIGTERM during plan",
        outcome: `exit ${run.exitCode}; plan files left: ${left.length}; locks free: ${free}; next deploy ${next.exitCode}`,
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );

  it(
    "during apply: exit 143, no plan file, locks free, the next deploy says resume or roll back",
    async () => {
      const p = await project("sigterm-apply");
      const [a, b] = await Promise.all([service(), service()]);
      if (!a || !b) throw new Error("services did not start");
      expect((await deploy(p, a.url)).exitCode).toBe(0);
      const child = p.start(["deploy", "staging", "--json", "--image", `api=${b.url}`, "--var", "apply_seconds=3"], {
        env: s3Credentials(s3),
      });
      await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start", 60_000);
      child.kill("SIGTERM");
      const run = asRun(await child);
      expect(run.exitCode, said(run)).toBe(143);
      expectNoInternalError(run);
      const left = await planFiles(p);
      expect(left).toEqual([]);
      const free = await locksFree(p);
      expect(free).toBe(true);
      const next = await deploy(p, b.url);
      expectNoInternalError(next);
      // The apply may have changed things: the next run stops and says how to go on.
      expect(next.exitCode, said(next)).toBe(11);
      expect(errorOf(next).hint).toMatch(/deploy staging --resume.*rollback staging/);
      const resumed = await deploy(p, b.url, "--resume", "--var", "apply_seconds=0");
      expect(resumed.exitCode, said(resumed)).toBe(0);
      record({
        fault: "SIGTERM during apply",
        outcome: [
          `exit ${run.exitCode}`,
          `plan files left: ${left.length}`,
          `locks free: ${free}`,
          `next deploy ${next.exitCode} (${errorOf(next).code}), --resume ${resumed.exitCode}`,
        ].join("; "),
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );
});

/** Whether this machine lets the tests mount a tmpfs (root, and no sandbox refusing it); probed once. */
function probeMount(): { ok: true } | { ok: false; why: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "evalap-mount-probe-"));
  try {
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "utf8" });
    if (m.status !== 0) return { ok: false, why: (m.stderr || m.error?.message || `mount exited ${m.status}`).trim().split("\n")[0] ?? "" };
    spawnSync("umount", [dir]);
    return { ok: true };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mounts a 1 MiB tmpfs on `dir` (hiding what it held until unmounted); afterEach unmounts it. */
async function mountTmpfs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir], { encoding: "utf8" });
  if (m.status !== 0) throw new Error(`mount ${dir}: ${m.stderr}`);
  mounts.push(dir);
}

/** Fills the file system of `dir` until the kernel refuses a byte more, then frees `leave` bytes. */
async function fill(dir: string, leave = 0): Promise<void> {
  const file = await open(path.join(dir, "filler"), "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (let i = 0; i < 1024; i++) {
      try {
        written += (await file.write(chunk)).bytesWritten;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
        if (leave > 0) await file.truncate(Math.max(0, written - leave));
        return;
      }
    }
    throw new Error(`${dir} did not fill up`);
  } finally {
    await file.close().catch(() => undefined);
  }
}

function remountReadOnly(dir: string): void {
  const m = spawnSync("mount", ["-o", "remount,ro", dir], { encoding: "utf8" });
  if (m.status !== 0) throw new Error(`remount ${dir} read-only: ${m.stderr}`);
}

function unmount(dir: string): void {
  if (!dir) return;
  const m = spawnSync("umount", [dir], { encoding: "utf8" });
  // Busy (a process still has a file open there): detach it now, it goes when released.
  if (m.status !== 0) spawnSync("umount", ["-l", dir]);
}

const mount = probeMount();
interface FsCase {
  fault: "full" | "read-only";
  where: ".evalap-infra" | ".terraform";
  /** Bytes left free after filling (tmpfs counts 4 KiB pages): room for the lock's holder file, not for a plan. */
  leave?: number;
  label: string;
}
const FS_CASES: FsCase[] = [
  { fault: "full", where: ".evalap-infra", label: "full disk under .evalap-infra (lock)" },
  { fault: "full", where: ".evalap-infra", leave: 4096, label: "full disk under .evalap-infra (plan file)" },
  { fault: "full", where: ".terraform", label: "full disk under .terraform" },
  { fault: "read-only", where: ".evalap-infra", label: "read-only disk under .evalap-infra" },
  { fault: "read-only", where: ".terraform", label: "read-only disk under .terraform" },
];

describe("file systems", () => {
  if (!mount.ok) {
    // Not a pass: these cases are not defined at all, and the matrix says why.
    for (const c of FS_CASES)
      record({ fault: c.label, outcome: "", overlap: false, nothingLost: false, notRun: `not possible here: ${mount.why}` });
  } else {
    for (const c of FS_CASES) {
      it(
        `${c.label}: a clear error naming it, no retry as a held lock, locks released`,
        async () => {
          const p = await project(`fs-${c.fault}-${c.where.slice(1)}-${c.leave ?? 0}`);
          const [a, b] = await Promise.all([service(), service()]);
          if (!a || !b) throw new Error("services did not start");
          expect((await deploy(p, a.url)).exitCode).toBe(0);
          const dir = c.where === ".evalap-infra" ? path.join(p.dir, ".evalap-infra") : path.join(p.root, ".terraform");
          await mountTmpfs(dir);
          if (c.fault === "full") await fill(dir, c.leave);
          else remountReadOnly(dir);

          const run = await deploy(p, b.url);
          expectNoInternalError(run);
          expect(run.exitCode, said(run)).toBe(1);
          const error = errorOf(run);
          expect(error.code).toBe(c.fault === "full" ? "no_space" : "read_only_fs");
          expect(error.message).toMatch(c.fault === "full" ? /no space left on the device/ : /read-only file system/);
          expect(error.message + (error.hint ?? "")).toContain(dir);
          // A file-system failure is permanent: not retried, and not taken for a held state lock.
          expect(error.code).not.toBe("state_lock_held");
          const retries = eventsOf(run, "retry.scheduled").length;
          expect(retries).toBe(0);
          // Released on the way out, while the disk was still full or read-only.
          const leaseReleased = await leaseFree(p);
          expect(leaseReleased).toBe(true);
          const localLeft = await readdir(path.join(dir, "locks")).catch(() => []);
          expect(localLeft.filter((f) => f.startsWith("staging.lock") || f.startsWith("staging.holder"))).toEqual([]);
          const plansLeft = c.where === ".evalap-infra" ? await readdir(path.join(dir, "plans")).catch(() => []) : await planFiles(p);
          expect(plansLeft).toEqual([]);
          unmount(mounts.pop() ?? "");
          const free = await locksFree(p);
          expect(free).toBe(true);
          const next = await deploy(p, b.url);
          expectNoInternalError(next);
          expect(next.exitCode, said(next)).toBe(0);
          record({
            fault: c.label,
            outcome: [
              `exit ${run.exitCode} (${error.code}), names the dir: ${(error.message + (error.hint ?? "")).includes(dir)}`,
              `retries ${retries}`,
              `locks free: ${free}`,
              `next deploy ${next.exitCode}`,
            ].join("; "),
            ...(await finish(p)),
          });
        },
        CASE_TIMEOUT,
      );
    }
  }

  /** Linux refuses any single argument over 32 pages (MAX_ARG_STRLEN) with E2BIG. */
  const perArgument = 32 * 4096;

  it(
    "a command line too long for the system (E2BIG): a clear message suggesting a var file",
    async () => {
      const p = await project("e2big");
      const [a, b] = await Promise.all([service(), service()]);
      if (!a || !b) throw new Error("services did not start");
      expect((await deploy(p, a.url)).exitCode).toBe(0);

      // Two --image values the CLI itself can receive, joined into one tofu -var=images={...} over the limit.
      const half = "x".repeat(Math.ceil(perArgument * 0.6));
      const joined = await p.cli([
        "deploy",
        "staging",
        "--json",
        "--image",
        `api=${b.url}`,
        "--image",
        `pad1=${half}`,
        "--image",
        `pad2=${half}`,
      ]);
      // A 3 MB value: no process can even receive it as an argument, so it comes from the config.
      const configFile = path.join(p.dir, "evalap-infra.json");
      const original = await readFile(configFile, "utf8");
      const config = JSON.parse(original) as { environments: { staging: { vars: Record<string, unknown> } } };
      config.environments.staging.vars.padding = "y".repeat(3 * 1024 * 1024);
      await writeFile(configFile, JSON.stringify(config));
      const huge = await deploy(p, b.url);
      await writeFile(configFile, original);

      for (const run of [joined, huge]) {
        expectNoInternalError(run);
        expect(run.exitCode, said(run)).toBe(1);
        expect(errorOf(run).code).toBe("arg_list_too_long");
        expect(errorOf(run).message).toMatch(/too long/);
        expect(errorOf(run).hint).toMatch(/var file/);
      }
      const free = await locksFree(p);
      expect(free).toBe(true);
      const next = await deploy(p, b.url);
      expect(next.exitCode, said(next)).toBe(0);
      record({
        fault: "E2BIG: --image values joined over 128 KiB; 3 MB config var",
        outcome: [
          `exit ${joined.exitCode} / ${huge.exitCode} (${errorOf(joined).code})`,
          `hint names a var file: ${/var file/.test(errorOf(huge).hint ?? "")}`,
          `locks free: ${free}`,
          `next deploy ${next.exitCode}`,
        ].join("; "),
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );
});

describe("the tofu binary is missing", () => {
  it(
    "exit 9 naming the path and doctor, with nothing written to the bucket",
    async () => {
      const missing = path.join(os.tmpdir(), "evalap-no-such-dir", "tofu");
      const p = await project("no-tofu", { config: { tofu: { binary: missing } } });
      const a = await service();
      const run = await deploy(p, a.url);
      expectNoInternalError(run);
      expect(run.exitCode, said(run)).toBe(9);
      expect(errorOf(run).message).toContain(missing);
      expect(errorOf(run).hint).toContain("evalap-infra doctor");
      const written = await listKeys(p.prefix);
      expect(written).toEqual([]);
      // Once the config names a real tofu (here: none, the toolchain's), the next deploy succeeds.
      const configFile = path.join(p.dir, "evalap-infra.json");
      const config = JSON.parse(await readFile(configFile, "utf8")) as { tofu?: unknown };
      delete config.tofu;
      await writeFile(configFile, JSON.stringify(config, null, 2));
      const next = await deploy(p, a.url);
      expect(next.exitCode, said(next)).toBe(0);
      record({
        fault: "tofu binary missing",
        outcome: `exit ${run.exitCode} (${errorOf(run).code}); objects written: ${written.length}; next deploy ${next.exitCode}`,
        ...(await finish(p)),
      });
    },
    CASE_TIMEOUT,
  );
});
