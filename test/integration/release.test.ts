import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureS3ServerBinary, startS3Server, type S3Server } from "../support/s3-server.js";
import { eventOf, eventsOf, makeProject, resultOf, waitForEvent, toRun, type TestProject } from "../helpers/project.js";
import { FAST, remoteEnvironment, s3Credentials, startService, type FakeService } from "../helpers/services.js";

let s3: S3Server;
const projects: TestProject[] = [];
const services: FakeService[] = [];

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

let keys = 0;
/** A project whose staging environment keeps its state, lock and ledger in the shared S3 server. */
async function project(prefix = `t${++keys}`, applySeconds = 0): Promise<TestProject> {
  const p = await makeProject({
    environments: { staging: { fixture: "release", vars: { apply_seconds: applySeconds }, extra: remoteEnvironmentWithPrefix(prefix) } },
    config: FAST,
  });
  projects.push(p);
  return p;
}

function remoteEnvironmentWithPrefix(prefix: string): Record<string, unknown> {
  const env = remoteEnvironment(s3, `${prefix}/staging.tfstate`);
  return { ...env, remote: { ...(env.remote as object), prefix: `${prefix}/evalap-infra/staging` } };
}

async function service(status: number, body?: { text: string; type: string }): Promise<FakeService> {
  const s = await startService(status, body);
  services.push(s);
  return s;
}

const deploy = (p: TestProject, url: string, ...flags: string[]) =>
  p.run(["deploy", "staging", "--json", "--image", `api=${url}`, ...flags], { env: s3Credentials(s3) });
const releases = async (p: TestProject) => {
  const run = await p.run(["releases", "list", "staging", "--json"], { env: s3Credentials(s3) });
  expect(run.exitCode, run.stderr + run.stdout).toBe(0);
  return eventOf(run, "data").data as Array<{
    id: string;
    kind: string;
    status: string;
    rollbackOf?: string;
    rolledBackTo?: string;
    images: Record<string, string>;
    abandoned: boolean;
  }>;
};

describe("health-gated deploy and automatic rollback", () => {
  it("a required variable nobody gives stops the deploy at the preflight (exit 9): no release is recorded", async () => {
    const p = await project();
    // No --image and no earlier healthy release to carry images from: var.images has no value.
    const run = await p.run(["deploy", "staging", "--json"], { env: s3Credentials(s3) });
    expect(run.exitCode, run.stderr + run.stdout).toBe(9);
    expect(eventOf(run, "result").error).toMatchObject({ code: "inputs_missing" });
    expect(run.stdout).toContain('variable \\"images\\"');
    expect(await releases(p)).toEqual([]);
    expect(eventsOf(run, "step.started").map((e) => e.step)).not.toContain("plan");
  });

  it("release 2 answers 500: the gate fails, release 1 is re-applied and answers again; the ledger shows it all", async () => {
    const p = await project();
    const good = await service(200);
    const bad = await service(500);

    const first = await deploy(p, good.url);
    expect(first.exitCode, first.stderr + first.stdout).toBe(0);
    expect(eventsOf(first, "health.service")).toMatchObject([{ service: "api", healthy: true }]);
    // CI reads the outcome from one object: the release and its health.
    expect(eventOf(first, "data")).toMatchObject({
      kind: "deploy",
      data: { changed: true, release: { status: "healthy" }, health: { healthy: true, services: [{ name: "api", healthy: true }] } },
    });

    good.hits = 0;
    const second = await deploy(p, bad.url);
    expect(second.exitCode, second.stderr + second.stdout).toBe(7);
    expect(resultOf(second)).toMatchObject({ ok: false, exitCode: 7, error: { code: "rolled_back" } });
    expect(String((resultOf(second).error as { message: string }).message)).toMatch(/answered 500/);
    // The rollback went through plan and apply again, and the gate saw release 1 healthy.
    expect(eventsOf(second, "step.started").filter((e) => e.step === "apply")).toHaveLength(2);
    expect(eventsOf(second, "health.service").map((e) => e.healthy)).toEqual([false, true]);
    expect(good.hits).toBeGreaterThanOrEqual(2);

    const list = await releases(p);
    expect(list.map((r) => [r.kind, r.status])).toEqual([
      ["rollback", "healthy"],
      ["deploy", "rolled_back"],
      ["deploy", "healthy"],
    ]);
    expect(list[0]?.rollbackOf).toBe(list[2]?.id);
    expect(list[1]?.rolledBackTo).toBe(list[0]?.id);
    expect(list[0]?.images).toEqual({ api: good.url });

    const history = await p.run(["history", "staging", "--json"], { env: s3Credentials(s3) });
    const entries = eventOf(history, "data").data as Array<{ operation: string; outcome: string }>;
    expect(entries.map((e) => [e.operation, e.outcome])).toEqual([
      ["deploy", "ok"],
      ["deploy", "rolled_back"],
    ]);
  });

  it("fails fast: release 2 answers 500, the gate ends at 3 definite failures, long before its deadline, and rolls back", async () => {
    const p = await makeProject({
      environments: { staging: { fixture: "release", vars: { apply_seconds: 0 }, extra: remoteEnvironmentWithPrefix(`t${++keys}`) } },
      config: { ...FAST, health: { ...FAST.health, deadline: "5m", failureThreshold: 3, grace: "0ms" } },
    });
    projects.push(p);
    const good = await service(200);
    const bad = await service(500);
    expect((await deploy(p, good.url)).exitCode).toBe(0);

    bad.hits = 0;
    const run = await deploy(p, bad.url);
    expect(run.exitCode, run.stderr + run.stdout).toBe(7);
    expect(resultOf(run)).toMatchObject({ ok: false, exitCode: 7, error: { code: "rolled_back" } });
    // 3 checks, all 500, then the verdict: polling to the deadline 50 ms apart would be thousands.
    const failedChecks = eventsOf(run, "health.check").filter((c) => !c.ok);
    expect(failedChecks.map((c) => c.status)).toEqual([500, 500, 500]);
    expect(bad.hits).toBe(3);
    const verdicts = eventsOf(run, "health.service");
    expect(verdicts.map((e) => e.healthy)).toEqual([false, true]);
    expect(verdicts[0]?.reason).toMatch(/^3 consecutive definite failures \(answered 500\)/);

    // In order: apply of release 2, its gate fails, the rollback starts and is applied, release 1 answers again.
    const label = (e: (typeof run.events)[number]): string | null => {
      if (e.type === "step.finished" && e.step === "apply") return "applied";
      if (e.type === "health.service") return e.healthy ? "healthy" : "unhealthy";
      if (e.type === "release.recorded" && e.kind === "rollback") return `rollback ${String(e.status)}`;
      return null;
    };
    const order = run.events
      .map(label)
      .filter((step) => step !== null)
      // The rollback's record is written pending, then updated (still pending) with its plan.
      .filter((step, i, all) => step !== all[i - 1]);
    expect(order).toEqual(["applied", "unhealthy", "rollback pending", "applied", "healthy", "rollback healthy"]);
    expect((await releases(p)).map((r) => [r.kind, r.status])).toEqual([
      ["rollback", "healthy"],
      ["deploy", "rolled_back"],
      ["deploy", "healthy"],
    ]);
  });

  it("a 200 with an HTML page is not healthy when the service expects JSON (the real tofu output read through the contract)", async () => {
    const p = await makeProject({
      environments: {
        staging: {
          fixture: "release",
          vars: { apply_seconds: 0, expect: { json: true } },
          extra: remoteEnvironmentWithPrefix(`t${++keys}`),
        },
      },
      config: { ...FAST, health: { ...FAST.health, deadline: "5m", failureThreshold: 2, grace: "0ms" } },
    });
    projects.push(p);
    const good = await service(200, { text: '{"status":"ok"}', type: "application/json" });
    const html = "<!DOCTYPE html><html><body>Service Unavailable</body></html>";
    const page = await service(200, { text: html, type: "text/html" });
    expect((await deploy(p, good.url)).exitCode).toBe(0);

    const run = await deploy(p, page.url);
    expect(run.exitCode, run.stderr + run.stdout).toBe(7);
    const problem = `answered 200 with a body that is not JSON (text/html, ${html.length} bytes)`;
    expect(
      eventsOf(run, "health.check")
        .filter((c) => !c.ok)
        .map((c) => c.error),
    ).toEqual([problem, problem]);
    expect(String((resultOf(run).error as { message: string }).message)).toContain(problem);
    expect(eventsOf(run, "health.service").map((e) => e.healthy)).toEqual([false, true]);
  });

  it("--no-rollback leaves the failed release in place with the health-failed code", async () => {
    const p = await project();
    const good = await service(200);
    const bad = await service(503);
    expect((await deploy(p, good.url)).exitCode).toBe(0);
    const run = await deploy(p, bad.url, "--no-rollback");
    expect(run.exitCode).toBe(8);
    expect(String((resultOf(run).error as { message: string }).message)).toMatch(/automatic rollback is off/);
    expect((await releases(p)).map((r) => r.status)).toEqual(["failed", "healthy"]);
  });

  it("rollback --to an older release re-applies its inputs, reports the time taken, and touches only what differs", async () => {
    const p = await project();
    const a = await service(200);
    const b = await service(200);
    const c = await service(200);
    expect((await deploy(p, a.url)).exitCode).toBe(0);
    expect((await deploy(p, b.url)).exitCode).toBe(0);
    expect((await deploy(p, c.url)).exitCode).toBe(0);
    const [, , oldest] = await releases(p);
    if (!oldest) throw new Error("expected three releases");

    const run = await p.run(["rollback", "staging", "--json", "--to", oldest.id], { env: s3Credentials(s3) });
    expect(run.exitCode, run.stderr + run.stdout).toBe(0);
    expect(eventOf(run, "plan.summary").summary.changes.map(({ address, action }) => ({ address, action }))).toEqual([
      { address: 'terraform_data.service["api"]', action: "replace" },
    ]);
    const data = eventOf(run, "data").data as { target: string; durationMs: number };
    expect(data.target).toBe(oldest.id);
    expect(data.durationMs).toBeGreaterThan(0);
    expect(String(resultOf(run).summary)).toMatch(new RegExp(`rolled staging back to release ${oldest.id} in \\d`));
    const list = await releases(p);
    expect(list[0]).toMatchObject({ kind: "rollback", status: "healthy", rollbackOf: oldest.id, images: { api: a.url } });
    expect(list[1]).toMatchObject({ status: "rolled_back", images: { api: c.url } });

    // Without --to: back to the previous good state with other inputs (b).
    const again = await p.run(["rollback", "staging", "--json"], { env: s3Credentials(s3) });
    expect(again.exitCode, again.stderr + again.stdout).toBe(0);
    expect((await releases(p))[0]).toMatchObject({ kind: "rollback", images: { api: b.url } });
  });

  it("rollback --to a release that does not exist or was not healthy is a usage error", async () => {
    const p = await project();
    const good = await service(200);
    const bad = await service(500);
    expect((await deploy(p, good.url)).exitCode).toBe(0);
    expect((await deploy(p, bad.url, "--no-rollback")).exitCode).toBe(8);
    const failed = (await releases(p))[0];
    const missing = await p.run(["rollback", "staging", "--to", "nope"], { env: s3Credentials(s3) });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toContain("release nope does not exist");
    const notHealthy = await p.run(["rollback", "staging", "--to", failed?.id ?? ""], { env: s3Credentials(s3) });
    expect(notHealthy.exitCode).toBe(3);
    expect(notHealthy.stderr).toMatch(/is failed: only a healthy release/);
  });
});

describe("cross-machine lock", () => {
  it("two deployers of one environment on different 'machines' never overlap; the second names the first", async () => {
    // Two checkouts (separate local locks, as on two CI runners) share the bucket, prefix and state.
    const a = await project("shared", 1);
    const b = await project("shared", 1);
    const one = await service(200);
    const two = await service(200);
    const first = a.start(["deploy", "staging", "--json", "--image", `api=${one.url}`], {
      env: { ...s3Credentials(s3), EVALAP_ACTOR: "runner-a" },
    });
    await waitForEvent(first, (e) => e.type === "lock.acquired" && e.scope === "remote");
    const second = b.start(["deploy", "staging", "--json", "--image", `api=${two.url}`], {
      env: { ...s3Credentials(s3), EVALAP_ACTOR: "runner-b" },
    });
    const [ra, rb] = await Promise.all([first, second]);
    const runA = toRun(ra.exitCode ?? -1, String(ra.stdout), String(ra.stderr));
    const runB = toRun(rb.exitCode ?? -1, String(rb.stdout), String(rb.stderr));
    expect(runA.exitCode, runA.stderr).toBe(0);
    expect(runB.exitCode, runB.stderr).toBe(0);
    const waiting = eventsOf(runB, "lock.waiting").find((e) => e.scope === "remote");
    expect(waiting?.holder?.user).toBe("runner-a");
    const span = (run: typeof runA) => [
      Date.parse(eventsOf(run, "lock.acquired").find((e) => e.scope === "remote")?.time ?? ""),
      Date.parse(eventsOf(run, "lock.released").find((e) => e.scope === "remote")?.time ?? ""),
    ];
    const [aStart, aEnd] = span(runA);
    const [bStart, bEnd] = span(runB);
    expect(aEnd).toBeLessThanOrEqual(bStart ?? 0);
    expect(aStart).toBeLessThan(aEnd ?? 0);
    expect(bStart).toBeLessThan(bEnd ?? 0);
  });

  it("kill -9 during apply: the lease expires, the next run takes over and reports the pending release; --resume finishes it", async () => {
    const p = await project(undefined, 4);
    const good = await service(200);
    const child = p.start(["deploy", "staging", "--json", "--image", `api=${good.url}`], { env: s3Credentials(s3) });
    await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start");
    child.kill("SIGKILL");
    await child;

    const next = await p.run(["deploy", "staging", "--json", "--image", `api=${good.url}`], { env: s3Credentials(s3) });
    expect(next.exitCode, next.stderr + next.stdout).toBe(11);
    expect(eventsOf(next, "lock.recovered").map((e) => e.scope)).toContain("remote");
    const pending = (await releases(p)).find((r) => r.status === "pending");
    expect(pending?.abandoned).toBe(true);
    expect(String((resultOf(next).error as { message: string }).message)).toContain(`release ${pending?.id}`);
    expect(String((resultOf(next).error as { hint: string }).hint)).toMatch(/--resume.*rollback/);

    const resumed = await p.run(["deploy", "staging", "--json", "--resume", "--var", "apply_seconds=0"], { env: s3Credentials(s3) });
    expect(resumed.exitCode, resumed.stderr + resumed.stdout).toBe(0);
    // The dead run's tofu died with it and left tofu's state lock: older than this run's lease, it was broken.
    expect(eventsOf(resumed, "lock.recovered").find((e) => e.scope === "state")?.reason).toMatch(
      /taken by tofu apply .* which is gone .*and no tofu process runs in/,
    );
    const list = await releases(p);
    expect(list.map((r) => r.status)).toEqual(["healthy", "superseded"]);
    expect(list[0]?.images).toEqual({ api: good.url });
  });

  it("lock status names the holder; lock release needs --force --yes and is audited", async () => {
    const p = await project(undefined, 3);
    const good = await service(200);
    const child = p.start(["deploy", "staging", "--json", "--image", `api=${good.url}`], {
      env: { ...s3Credentials(s3), EVALAP_ACTOR: "alice" },
    });
    await waitForEvent(child, (e) => e.type === "lock.acquired" && e.scope === "remote");
    const status = await p.run(["lock", "status", "staging"], { env: s3Credentials(s3) });
    expect(status.exitCode, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/remote: held by alice@/);
    const refused = await p.run(["lock", "release", "staging"], { env: s3Credentials(s3) });
    expect(refused.exitCode).toBe(3);
    expect(refused.stdout + refused.stderr).toMatch(/alice@/);
    const forced = await p.run(["lock", "release", "staging", "--force", "--yes"], { env: { ...s3Credentials(s3), EVALAP_ACTOR: "bob" } });
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(forced.stdout).toMatch(/released the lock of staging \(held by alice@/);
    const free = await p.run(["lock", "status", "staging", "--json"], { env: s3Credentials(s3) });
    expect((eventOf(free, "data").data as { remote: { state: string } }).remote.state).toBe("released");
    // The deploy that held it learns it lost the lease at its next heartbeat, and finishes.
    const held = toRun((await child).exitCode ?? -1, String((await child).stdout), String((await child).stderr));
    expect(held.exitCode).toBe(0);
    const history = await p.run(["history", "staging", "--json"], { env: s3Credentials(s3) });
    const entries = eventOf(history, "data").data as Array<{ operation: string; actor: string; detail?: string }>;
    expect(entries.find((e) => e.operation === "lock.force-release")).toMatchObject({
      actor: "bob",
      detail: expect.stringContaining("alice@"),
    });
  });
});

describe("backend preflight", () => {
  it("the S3 server stopped: a clear error within 15 s, and nothing written", async () => {
    const own = await startS3Server({ bucket: "evalap-state" });
    try {
      const p = await makeProject({
        environments: { staging: { fixture: "release", extra: remoteEnvironment(own, "staging.tfstate") } },
        config: { ...FAST, remoteTimeout: "5s" },
      });
      projects.push(p);
      const good = await service(200);
      await own.stop({ keepData: true });
      const started = Date.now();
      const run = await p.run(["deploy", "staging", "--json", "--image", `api=${good.url}`], { env: s3Credentials(own) });
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(run.exitCode, run.stderr + run.stdout).toBe(10);
      expect(resultOf(run)).toMatchObject({ ok: false, error: { code: "backend_unavailable" } });
      expect(String((resultOf(run).error as { message: string }).message)).toContain(own.endpoint);
      expect(eventsOf(run, "step.started").map((e) => e.step)).toEqual(["preflight"]);
      // Nothing written: no lock taken, no init run, and the bucket is as it was.
      expect(eventsOf(run, "lock.acquired")).toEqual([]);
      const restarted = await startS3Server({ dataDir: own.dataDir, port: own.port, bucket: null });
      try {
        const { s3Client } = await import("../support/s3-server.js");
        const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
        const listed = await s3Client(restarted).send(new ListObjectsV2Command({ Bucket: "evalap-state" }));
        expect(listed.Contents ?? []).toEqual([]);
      } finally {
        await restarted.stop();
      }
    } finally {
      if (own.running) await own.stop();
    }
  });
});
