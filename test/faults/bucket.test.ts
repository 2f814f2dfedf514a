/**
 * The fault matrix, bucket side: the state bucket fails under a deploy (a 5xx, a lost answer, an
 * outage after the apply, the state write itself, an outage during the health gate, a preflight
 * against a dead bucket). Every case proves, from what really happened: its exit code, that no two
 * applies overlapped, that nothing was lost (the state runs the image of the ledger's newest healthy
 * release) and that the next ordinary run succeeds or says exactly what to do.
 */
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { readdir, readFile, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { eventOf, eventsOf, resultOf, tofuIn, waitForEvent, type CliRun } from "../helpers/project.js";
import { FAST, s3Credentials, type FakeService } from "../helpers/services.js";
import { requestTo, startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
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
  stateList,
  type FaultProject,
  type FaultProjectOptions,
} from "./harness.js";

/** Retries that run out in a second or two, so that "longer than the retries" stays short. */
const RETRY = { retry: { attempts: 2, baseDelay: "50ms", maxDelay: "100ms", budget: "2s" } };

let s3: S3Server;
let proxy: FaultProxy;
const projects: FaultProject[] = [];
const services: FakeService[] = [];
const servers: S3Server[] = [];
const row = faultMatrix("the state bucket fails (test/faults/bucket.test.ts)");

beforeAll(async () => {
  ensureS3ServerBinary();
  s3 = await startS3Server({ bucket: "evalap-faults" });
  proxy = await startFaultProxy({ upstream: s3.endpoint });
}, 600_000);
afterEach(async () => {
  proxy.reset();
  while (projects.length > 0) await projects.pop()?.cleanup();
  while (services.length > 0) await services.pop()?.close();
  while (servers.length > 0) {
    const server = servers.pop();
    if (server?.running) await server.stop();
  }
});
afterAll(async () => {
  await proxy?.close();
  await s3?.stop();
});

let prefixes = 0;
async function project(opts: Partial<FaultProjectOptions> = {}): Promise<FaultProject> {
  const p = await faultProject({ s3, prefix: `bucket${++prefixes}`, ...opts, config: { ...RETRY, ...opts.config } });
  projects.push(p);
  return p;
}

const deploy = (p: FaultProject, image: string, ...flags: string[]): Promise<CliRun> =>
  p.cli(["deploy", "staging", "--json", "--image", `api=${image}`, ...flags]);

/** Starts the CLI on `p` with the bucket's credentials (to act at a moment of the run). */
function start(p: FaultProject, args: string[], server: S3Server = s3) {
  return p.start(args, { env: s3Credentials(server) });
}

async function finished(child: ReturnType<typeof start>): Promise<CliRun> {
  return asRun(await child);
}

interface RunError {
  code: string;
  message: string;
  hint: string;
}

function errorOf(run: CliRun): RunError {
  const error = resultOf(run).error as Partial<RunError> | undefined;
  return { code: error?.code ?? "", message: error?.message ?? "", hint: error?.hint ?? "" };
}

function warnings(run: CliRun): string[] {
  return eventsOf(run, "log")
    .filter((e) => e.level === "warn")
    .map((e) => e.message);
}

/** The steps a run started after the first `after` step finished. */
function stepsAfter(run: CliRun, after: string): string[] {
  const i = run.events.findIndex((e) => e.type === "step.finished" && e.step === after);
  return i < 0 ? [] : run.events.slice(i + 1).flatMap((e) => (e.type === "step.started" && typeof e.step === "string" ? [e.step] : []));
}

const TOFU_STEPS = new Set(["init", "plan", "apply", "state push", "force-unlock"]);

async function localFiles(p: FaultProject, ...dir: string[]): Promise<string[]> {
  return (await readdir(path.join(p.dir, ".evalap-infra", ...dir)).catch(() => [] as string[])).sort();
}

const journalFiles = (p: FaultProject) => localFiles(p, "journal", "staging");

/** Keys under a project's prefix, read straight from the server (not through the proxy). */
async function bucketKeys(server: S3Server, prefix: string): Promise<string[]> {
  const client = s3Client(server);
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: server.bucket, Prefix: `${prefix}/` }));
    return (listed.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])).sort();
  } finally {
    client.destroy();
  }
}

function text(run: CliRun): string {
  return run.stdout + run.stderr;
}

const isReleasePut = (r: { method: string; path: string }) => r.method === "PUT" && decodeURIComponent(r.path).includes("/releases/");

describe("the state bucket fails under a deploy", () => {
  it("one 5xx on the release record's final update: retried, the release is healthy, exit 0", async () => {
    const p = await project({ cliEndpoint: proxy.endpoint });
    const good = await healthyService(services);
    // A release's PUTs: created, plan recorded before the apply, outcome after the gate: fail the third.
    let puts = 0;
    proxy.fail({ match: (r) => isReleasePut(r) && ++puts === 3, status: 503 });

    const run = await deploy(p, good.url);
    const failedPut = proxy.requests.find((r) => isReleasePut(r) && r.status === 503);
    const retried = proxy.requests.filter((r) => isReleasePut(r) && failedPut !== undefined && r.at >= failedPut.at && r.status === 200);
    const release = (await releases(p))[0];
    const outputsAt = Date.parse(eventOf(run, "outputs").time);
    const next = await p.cli(["deploy", "staging", "--json"]);
    const overlap = !noOverlap(await intervals(p.trace));
    const nothingLost = await stateAgreesWithLedger(p, s3);
    const outcome = `exit ${run.exitCode}; release ${release?.status ?? "none"}; next deploy exit ${next.exitCode}`;
    row({ fault: "one 5xx on the release's final update", outcome, overlap, nothingLost });

    expect(run.exitCode, text(run)).toBe(0);
    expect(failedPut, JSON.stringify(proxy.requests)).toBeDefined();
    // It was the outcome's write, after the apply: the retry wrote it.
    expect(failedPut?.at).toBeGreaterThanOrEqual(outputsAt);
    expect(retried.length).toBeGreaterThanOrEqual(1);
    expect(release).toMatchObject({ status: "healthy", images: { api: good.url } });
    expect(text(run)).not.toMatch(/nothing was written/);
    expect(eventOf(run, "data")).toMatchObject({ data: { release: { status: "healthy" } } });
    expect(next.exitCode, text(next)).toBe(0);
    expect(overlap).toBe(false);
    expect(nothingLost).toBe(true);
  });

  it("the answer to the lease release is lost: the write is recognised as ours, the lock is free, exit 0", async () => {
    // A long lease (a heartbeat every 20 s): none falls between the health gate and the release.
    const p = await project({ cliEndpoint: proxy.endpoint, config: { lock: { ...FAST.lock, lease: "60s" } } });
    const good = await healthyService(services);
    const child = start(p, ["deploy", "staging", "--json", "--image", `api=${good.url}`]);
    await waitForEvent(child, (e) => e.type === "step.started" && e.step === "health");
    proxy.dropAnswer({ match: requestTo("PUT", "/lock.json") });
    const run = await finished(child);

    const lockRequests = proxy.requests.filter((r) => decodeURIComponent(r.path).endsWith("/lock.json"));
    const dropped = lockRequests.findIndex((r) => r.status === "dropped");
    const afterDrop = lockRequests.slice(dropped + 1).map((r) => `${r.method} ${String(r.status)}`);
    const status = await p.cli(["lock", "status", "staging", "--json"]);
    const lock = (eventOf(status, "data").data as { remote: { state: string } | null }).remote;
    const next = await p.cli(["deploy", "staging", "--json"]);
    const overlap = !noOverlap(await intervals(p.trace));
    const nothingLost = await stateAgreesWithLedger(p, s3);
    const outcome = `exit ${run.exitCode}; lock ${lock?.state ?? "none"}; next deploy exit ${next.exitCode}`;
    row({ fault: "lost answer to the lease release", outcome, overlap, nothingLost });

    expect(run.exitCode, text(run)).toBe(0);
    expect(dropped, JSON.stringify(lockRequests)).toBeGreaterThanOrEqual(0);
    expect(lockRequests[dropped]?.upstreamStatus).toBe(200);
    // The release landed; its retry was refused (the ETag moved: ours), and reading it back proved it ours.
    expect(afterDrop).toEqual(["PUT 412", "GET 200"]);
    expect(eventsOf(run, "lock.released").map((e) => e.scope)).toContain("remote");
    expect(warnings(run).filter((w) => /could not release/.test(w))).toEqual([]);
    expect(status.exitCode, text(status)).toBe(0);
    expect(lock?.state).toBe("released");
    expect(next.exitCode, text(next)).toBe(0);
    // The next run took a released lock: nothing to recover.
    expect(eventsOf(next, "lock.recovered")).toEqual([]);
    expect(overlap).toBe(false);
    expect(nothingLost).toBe(true);
  });

  it("the bucket unreachable for the CLI after the apply, past the retries: the outcome is journaled, recorded by the next run", async () => {
    const p = await project({ cliEndpoint: proxy.endpoint });
    const good = await healthyService(services);
    const child = start(p, ["deploy", "staging", "--json", "--image", `api=${good.url}`]);
    await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "complete");
    proxy.down();
    const run = await finished(child);
    proxy.up();

    const journaled = await journalFiles(p);
    const id = eventsOf(run, "release.recorded")[0]?.releaseId ?? "";
    const before = (await releases(p)).find((r) => r.id === id);
    const next = await p.cli(["deploy", "staging", "--json"]);
    const after = await releases(p);
    const overlap = !noOverlap(await intervals(p.trace));
    const nothingLost = await stateAgreesWithLedger(p, s3);
    const recorded = after.find((r) => r.id === id);
    row({
      fault: "bucket down for the CLI after the apply",
      outcome:
        `exit ${run.exitCode}; ${journaled.length} outcome(s) journaled; ` +
        `release ${before?.status ?? "?"} → ${recorded?.status ?? "?"} by the next deploy (exit ${next.exitCode})`,
      overlap,
      nothingLost,
    });

    // The service is healthy and its outcome is kept: a finished run (README "Locks and faults").
    expect(run.exitCode, text(run)).toBe(0);
    expect(text(run)).not.toMatch(/nothing was written/);
    const journalDir = path.join(".evalap-infra", "journal", "staging");
    expect(warnings(run).find((w) => w.includes(`outcome of release ${id} (healthy) is kept in`) && w.includes(journalDir))).toBeDefined();
    expect(warnings(run).find((w) => /could not release the remote lock .* expires by itself/.test(w))).toBeDefined();
    expect(journaled.length).toBeGreaterThanOrEqual(1);
    expect(before?.status).toBe("pending");
    // The next deploy records the journal before anything else, then deploys.
    expect(next.exitCode, text(next)).toBe(0);
    const reconciled = next.events.findIndex(
      (e) => e.type === "log" && /recorded \d+ outcome\(s\) kept on this machine/.test(String(e.message)),
    );
    const firstPlan = next.events.findIndex((e) => e.type === "step.started" && e.step === "plan");
    expect(reconciled).toBeGreaterThanOrEqual(0);
    expect(reconciled).toBeLessThan(firstPlan);
    expect(recorded).toMatchObject({ status: "healthy", images: { api: good.url } });
    expect(after[0]?.status).toBe("healthy");
    expect(await journalFiles(p)).toEqual([]);
    expect(overlap).toBe(false);
    expect(nothingLost).toBe(true);
  });

  it("the state write fails (bucket stopped mid-apply): exit 12, state kept 0600, deploys refused until `state push`, then --resume", async () => {
    const own = await startS3Server({ bucket: "evalap-faults" });
    servers.push(own);
    // Fewer SDK retries against the stopped server: tofu gives up in seconds.
    const opts = { s3: own, prefix: "unsaved", applySeconds: 3, backendConfig: { max_retries: "1" }, config: RETRY };
    const p = await faultProject(opts);
    projects.push(p);
    const a = await healthyService(services);
    const b = await healthyService(services);
    const first = await p.cli(["deploy", "staging", "--json", "--image", `api=${a.url}`, "--var", "apply_seconds=0"], s3Credentials(own));
    expect(first.exitCode, text(first)).toBe(0);

    const child = start(p, ["deploy", "staging", "--json", "--image", `api=${b.url}`], own);
    await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start");
    await own.stop({ keepData: true });
    const run = await finished(child);
    const journaled = await journalFiles(p);
    const restarted = await startS3Server({ dataDir: own.dataDir, port: own.port, bucket: null });
    servers.push(restarted);

    const recovery = await localFiles(p, "recovery", "staging");
    const stateFile = recovery.find((f) => f.endsWith(".tfstate"));
    const stateMode = stateFile ? (await stat(path.join(p.dir, ".evalap-infra", "recovery", "staging", stateFile))).mode & 0o777 : null;
    const keptState = stateFile
      ? (JSON.parse(await readFile(path.join(p.dir, ".evalap-infra", "recovery", "staging", stateFile), "utf8")) as TfState)
      : null;
    const keptId = serviceId(keptState);
    const rootFiles = await readdir(p.root);

    // The next deploy on this machine records the journaled outcome, then refuses.
    const refused = await p.cli(["deploy", "staging", "--json", "--image", `api=${b.url}`], s3Credentials(own));
    const unpersisted = (await releases(p)).find((r) => r.status === "unpersisted");
    // Another machine (another checkout, same bucket and state, no recovery file) refuses too.
    const other = await faultProject({ ...opts, trace: p.trace });
    projects.push(other);
    const elsewhere = await other.cli(["deploy", "staging", "--json", "--image", `api=${b.url}`], s3Credentials(own));
    const pushed = await p.cli(["state", "push", "staging", "--json"], s3Credentials(own));
    const reopened = (await releases(p)).find((r) => r.id === unpersisted?.id);
    const stateAfterPush = await stateList(p, own);
    const imageAfterPush = await deployedImage(p, own);
    const resumed = await p.cli(["deploy", "staging", "--json", "--resume"], s3Credentials(own));
    const list = await releases(p);
    const idAfterResume = serviceId(JSON.parse((await tofuStatePull(p, own)) || "{}") as TfState);
    const overlap = !noOverlap(await intervals(p.trace));
    const nothingLost = (await stateAgreesWithLedger(p, own)) && keptId !== null && idAfterResume === keptId;
    row({
      fault: "state write fails (tofu's backend down mid-apply)",
      outcome:
        `exit ${run.exitCode}; release ${unpersisted?.status ?? "?"}${journaled.length > 0 ? " (via the journal)" : ""}; ` +
        `deploy exit ${refused.exitCode} (other checkout ${elsewhere.exitCode}); ` +
        `state push exit ${pushed.exitCode} → ${reopened?.status ?? "?"}; --resume exit ${resumed.exitCode}`,
      overlap,
      nothingLost,
    });

    expect(run.exitCode, text(run)).toBe(12);
    expect(errorOf(run).code).toBe("state_not_persisted");
    expect(errorOf(run).hint).toContain("evalap-infra state push staging");
    // Not planned again: one plan, one apply.
    expect(eventsOf(run, "step.started").filter((e) => e.step === "plan" || e.step === "apply")).toHaveLength(2);
    expect(stateMode).toBe(0o600);
    expect(rootFiles).not.toContain("errored.tfstate");
    expect(keptId).not.toBeNull();

    // The bucket was down too: the outcome waited in the journal, and the next run recorded it first.
    expect(journaled.length).toBeGreaterThanOrEqual(1);
    expect(await journalFiles(p)).toEqual([]);
    expect(refused.exitCode, text(refused)).toBe(12);
    expect(errorOf(refused).hint).toContain("`evalap-infra state push staging`");
    expect(eventsOf(refused, "step.started").map((e) => e.step)).not.toContain("plan");
    expect(unpersisted?.statusReason).toContain(os.hostname());
    expect(elsewhere.exitCode, text(elsewhere)).toBe(12);
    expect(errorOf(elsewhere).message).toContain(`release ${unpersisted?.id ?? "?"}`);
    expect(errorOf(elsewhere).hint).toContain(`\`evalap-infra state push staging\` on ${os.hostname()}`);
    expect(eventsOf(elsewhere, "step.started").map((e) => e.step)).not.toContain("plan");

    expect(pushed.exitCode, text(pushed)).toBe(0);
    // The failed apply's state lock was broken only because its holder is proven dead.
    const broken = eventsOf(pushed, "lock.recovered").find((e) => e.scope === "state");
    expect(broken?.reason).toMatch(/taken by tofu apply .* which is gone .*and no tofu process runs in/);
    expect(await localFiles(p, "recovery", "staging")).toEqual([]);
    expect(reopened?.status).toBe("pending");
    expect(stateAfterPush).toEqual(['terraform_data.service["api"]']);
    expect(imageAfterPush).toBe(b.url);

    expect(resumed.exitCode, text(resumed)).toBe(0);
    expect(list.map((r) => r.status)).toEqual(["healthy", "superseded", "healthy"]);
    expect(list[0]?.images).toEqual({ api: b.url });
    expect(idAfterResume).toBe(keptId);
    expect(overlap).toBe(false);
    expect(nothingLost).toBe(true);
  });

  it("an outage of the whole bucket during the health gate, longer than the lease: no tofu step after the lease is unproven, exit 13", async () => {
    const p = await project({ cliEndpoint: proxy.endpoint, tofuEndpoint: proxy.endpoint });
    const good = await healthyService(services);
    const bad = await healthyService(services, 500);
    expect((await deploy(p, good.url)).exitCode).toBe(0);

    // The gate fails after its 3 s deadline, past the 3 s lease: the rollback would need tofu, hence the lease.
    const outageMs = 7_000;
    const child = start(p, ["deploy", "staging", "--json", "--image", `api=${bad.url}`]);
    await waitForEvent(child, (e) => e.type === "step.started" && e.step === "health");
    const outageStarted = Date.now();
    proxy.outage(outageMs);
    const run = await finished(child);
    const endedInOutage = Date.now() - outageStarted < outageMs;
    const appliesAfterOutage = (await intervals(p.trace)).length;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, outageStarted + outageMs - Date.now())));

    const id = eventsOf(run, "release.recorded")[0]?.releaseId ?? "";
    const next = await p.cli(["deploy", "staging", "--json"]);
    const list = await releases(p);
    const overlap = !noOverlap(await intervals(p.trace));
    const nothingLost = await stateAgreesWithLedger(p, s3);
    const tofuAfterGate = stepsAfter(run, "health").filter((s) => TOFU_STEPS.has(s));
    row({
      fault: "whole bucket down during the health gate (> lease)",
      outcome: `exit ${run.exitCode}; tofu steps after the gate: ${tofuAfterGate.length}; next deploy exit ${next.exitCode}`,
      overlap,
      nothingLost,
    });

    expect(endedInOutage).toBe(true);
    expect(run.exitCode, text(run)).toBe(13);
    expect(errorOf(run).code).toBe("lock_lost");
    // What failed, what was not done, and what to run.
    expect(errorOf(run).message).toMatch(
      /^staging: health check failed: api \(answered 500\); not rolled back: this run cannot prove it still holds the remote/,
    );
    expect(errorOf(run).hint).toMatch(/no further tofu step was started/);
    expect(errorOf(run).hint).toContain("evalap-infra releases list staging");
    expect(errorOf(run).hint).toContain(`release ${id} is still applied: \`evalap-infra rollback staging\``);
    expect(text(run)).not.toMatch(/nothing was written/);
    expect(tofuAfterGate).toEqual([]);
    expect(appliesAfterOutage).toBe(2);
    expect(eventsOf(run, "health.service").map((e) => e.healthy)).toEqual([false]);
    expect(warnings(run).find((w) => w.includes(`outcome of release ${id} (failed) is kept in`))).toBeDefined();

    // Back up: the next ordinary deploy records the failed release, then returns to the healthy images.
    expect(next.exitCode, text(next)).toBe(0);
    expect(list.find((r) => r.id === id)?.status).toBe("failed");
    expect(list[0]).toMatchObject({ status: "healthy", images: { api: good.url } });
    expect(await journalFiles(p)).toEqual([]);
    expect(overlap).toBe(false);
    expect(nothingLost).toBe(true);
  });

  describe("preflight with the bucket down: exit 10 within remoteTimeout, nothing written, no lock, no init", () => {
    const cases: Array<{ name: string; fault: (x: FaultProxy) => void }> = [
      { name: "refused", fault: (x) => x.down() },
      { name: "unanswered", fault: (x) => x.stall({ times: 1_000 }) },
    ];
    for (const c of cases) {
      it(`the bucket ${c.name}`, async () => {
        const prefix = `preflight-${c.name}`;
        const p = await project({ cliEndpoint: proxy.endpoint, prefix });
        const good = await healthyService(services);
        expect((await deploy(p, good.url)).exitCode).toBe(0);
        const keys = await bucketKeys(s3, prefix);
        const locksBefore = await localFiles(p, "locks");

        proxy.reset();
        c.fault(proxy);
        const started = Date.now();
        const run = await deploy(p, good.url);
        const elapsedMs = Date.now() - started;
        const seen = proxy.requests.map((r) => r.method);
        proxy.reset();
        const keysAfter = await bucketKeys(s3, prefix);
        const locksAfter = await localFiles(p, "locks");
        const preflight = eventsOf(run, "step.finished").find((e) => e.step === "preflight");
        const next = await p.cli(["deploy", "staging", "--json"]);
        const overlap = !noOverlap(await intervals(p.trace));
        const nothingLost = await stateAgreesWithLedger(p, s3);
        const outcome = `exit ${run.exitCode} after ${preflight?.durationMs ?? "?"} ms; next deploy exit ${next.exitCode}`;
        row({ fault: `preflight, bucket ${c.name}`, outcome, overlap, nothingLost });

        const remoteTimeoutMs = 3_000;
        expect(run.exitCode, text(run)).toBe(10);
        expect(errorOf(run).code).toBe("backend_unavailable");
        expect(errorOf(run).message).toContain(proxy.endpoint);
        expect(errorOf(run).hint).toMatch(/nothing was written/);
        // remoteTimeout bounds the check; the slack is the event loop's, not a retry's.
        expect(preflight?.durationMs).toBeLessThanOrEqual(remoteTimeoutMs + 500);
        // The whole process, node's start included.
        expect(elapsedMs).toBeLessThan(remoteTimeoutMs + 5_000);
        expect(eventsOf(run, "step.started").map((e) => e.step)).toEqual(["preflight"]);
        expect(eventsOf(run, "lock.acquired")).toEqual([]);
        // Only the bucket check reached it (HeadBucket), and the bucket and local locks are as they were.
        expect(new Set(seen)).toEqual(new Set(["HEAD"]));
        expect(keysAfter).toEqual(keys);
        expect(locksAfter).toEqual(locksBefore);
        expect(next.exitCode, text(next)).toBe(0);
        expect(overlap).toBe(false);
        expect(nothingLost).toBe(true);
      });
    }
  });
});

interface TfState {
  resources?: Array<{ type?: string; instances?: Array<{ attributes?: { id?: string } }> }>;
}

/** The id of the service the fixture creates (a new one per apply that replaces it). */
function serviceId(state: TfState | null): string | null {
  const resource = state?.resources?.find((r) => r.type === "terraform_data");
  return resource?.instances?.[0]?.attributes?.id ?? null;
}

async function tofuStatePull(p: FaultProject, server: S3Server): Promise<string> {
  const out = await tofuIn(p.root, ["state", "pull"], s3Credentials(server));
  if (out.exitCode !== 0) throw new Error(`tofu state pull failed: ${out.stderr}`);
  return out.stdout;
}
