import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentHolder } from "../../src/lock/holder.js";
import { acquireRemoteLock } from "../../src/lock/remote.js";
import { createObjectStore } from "../../src/objectstore/s3.js";
import type { ObjectStore } from "../../src/objectstore/types.js";
import type { DriftReport } from "../../src/operations/drift.js";
import type { StatusReport } from "../../src/operations/status.js";
import { EventBus } from "../../src/events/bus.js";
import { sandboxCall, settledContainer } from "../helpers/sandbox-api.js";
import { sandboxProject, type RunningSandbox, type SandboxRun } from "../helpers/sandbox.js";

/**
 * `status` and `drift` (issue 13) on a deployed sandbox: the real infra/staging applied by the real
 * provider, the state in the sandbox's S3 bucket, the stand-ins behind the containers. Drift is made
 * behind tofu's back through the containers API, as someone in the console would.
 */
describe("status and drift on a deployed sandbox", () => {
  let sb: RunningSandbox;
  let store: ObjectStore;
  /** The containers' ids (`fr-par/<uuid>`), from the deploy's services output. */
  let containerIds: Record<string, string> = {};
  const printed: string[] = [];

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
    const deployed = await sb.run(["deploy", "sandbox", "--json"]);
    expect(deployed.exitCode, deployed.output).toBe(0);
    const outputs = deployed.events.find((e) => e.type === "outputs")?.outputs as { services: { value: Record<string, { id: string }> } };
    containerIds = Object.fromEntries(Object.entries(outputs.services.value).map(([name, s]) => [name, s.id.split("/")[1] ?? ""]));
    const d = sb.descriptor;
    store = createObjectStore({
      bucket: d.s3.stateBucket,
      endpoint: d.s3.endpoint,
      region: d.s3.region,
      accessKeyId: d.s3.accessKey,
      secretAccessKey: d.s3.secretKey,
    });
  }, 900_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const run = async (args: string[]): Promise<SandboxRun> => {
    const r = await sb.run([...args, "--json"]);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const dataOf = <T>(r: SandboxRun, kind: string): T => r.events.find((e) => e.type === "data" && e.kind === kind)?.data as T;
  const api = () => sandboxCall(() => sb.descriptor.apiUrl, sb.descriptor.scaleway.secretKey);
  const STATE_KEY = "staging/terraform.tfstate";
  const ADDED_SECRET = "added-by-hand-5f0c2e9a7d41";

  it("status: the release, each service healthy now, no lease, nothing pending or unfinished, backups per tier and secret ages (exit 0)", async () => {
    const r = await run(["status", "sandbox"]);
    expect(r.exitCode, r.output).toBe(0);
    const s = dataOf<StatusReport>(r, "status");
    expect(s.release).toMatchObject({ state: "ok", latest: { id: "00000001", kind: "deploy", status: "healthy" } });
    if (s.release.state !== "ok") throw new Error("unreachable");
    expect(s.release.latest?.images.evalap).toBe(sb.descriptor.images.evalap);
    expect(s.release.lastHealthy?.id).toBe("00000001");
    expect(s.services.state).toBe("ok");
    if (s.services.state !== "ok") throw new Error("unreachable");
    expect(s.services.services.map((x) => [x.name, x.healthy, x.httpStatus])).toEqual([
      ["evalap", true, 200],
      ["evalap-ui", true, 200],
    ]);
    expect(s.lock).toMatchObject({ state: "ok", local: null, remote: null });
    expect(s.pending).toEqual({ state: "ok", releases: [] });
    expect(s.rotation).toEqual({ state: "ok", unfinished: null });
    expect(s.backups.state).toBe("ok");
    if (s.backups.state !== "ok") throw new Error("unreachable");
    expect(s.backups.tiers.map((t) => t.tier)).toEqual(["daily", "weekly", "monthly"]);
    expect(s.secrets.state).toBe("ok");
    if (s.secrets.state !== "ok") throw new Error("unreachable");
    expect(s.secrets.secrets.map((x) => x.name)).toContain("ADMIN_TOKEN");
    const admin = s.secrets.secrets.find((x) => x.name === "ADMIN_TOKEN");
    expect(admin?.ageMs).not.toBeNull();
    expect(admin?.latestEnabled).toBe(1);
    expect(r.result.summary).toMatch(/release 00000001 healthy, 2 of 2 service\(s\) healthy/);
  }, 300_000);

  it("status with the lease held by another run names its holder", async () => {
    const holder = { ...currentHolder("evalap-infra deploy sandbox"), user: "someone-else", host: "ci-runner-7" };
    const lease = await acquireRemoteLock({
      store,
      key: "evalap-infra/sandbox/lock.json",
      environment: "sandbox",
      holder,
      leaseMs: 60_000,
      timeoutMs: 5_000,
      pollMs: 200,
      events: new EventBus(),
    });
    try {
      const r = await run(["status", "sandbox"]);
      expect(r.exitCode, r.output).toBe(0);
      const s = dataOf<StatusReport>(r, "status");
      expect(s.lock).toMatchObject({ state: "ok", remote: { state: "held", holder: { user: "someone-else", host: "ci-runner-7" } } });
      const human = await sb.cli(["status", "sandbox"]);
      printed.push(human.stdout, human.stderr);
      expect(human.exitCode).toBe(0);
      expect(human.stdout + human.stderr).toMatch(/lock: +remote lease held by someone-else@ci-runner-7/);
    } finally {
      await lease.release();
    }
  }, 300_000);

  it("drift: clean right after the deploy (exit 0), audited as drift.checked", async () => {
    const r = await run(["drift", "sandbox"]);
    expect(r.exitCode, r.output).toBe(0);
    expect(dataOf<DriftReport>(r, "drift")).toMatchObject({ drifted: false, resources: [], outputChanges: [] });
    const history = await run(["history", "sandbox"]);
    const entries = dataOf<Array<{ operation: string; outcome: string; detail?: string }>>(history, "history");
    expect(entries.at(-1)).toMatchObject({ operation: "drift.checked", outcome: "ok" });
    expect(entries.at(-1)?.detail).toMatch(/^no drift/);
  }, 300_000);

  it("drift: a container changed behind tofu's back is exit 2 naming it and its attributes, sensitive ones redacted; the state is not written; status then sees the service unhealthy", async () => {
    const call = api();
    const first = await run(["status", "sandbox"]);
    const s0 = dataOf<StatusReport>(first, "status");
    if (s0.release.state !== "ok") throw new Error(first.output);
    const container = (await call("GET", `/containers/v1/regions/fr-par/containers/${containerIds.evalap ?? ""}`)) as unknown as {
      id: string;
      image: string;
      namespace_id: string;
    };
    const broken = `${container.image.replace(/:[^:/]+$/, "")}:sandbox-1-fail500`;
    const push = await sb.cli(["sandbox", "push", broken, "--data-dir", sb.dataDir]);
    expect(push.exitCode, push.stdout + push.stderr).toBe(0);
    const before = await store.read(STATE_KEY);
    expect(before).not.toBeNull();

    await call("PATCH", `/containers/v1/regions/fr-par/containers/${container.id}`, { min_scale: 2, image: broken });
    // A secret added to the namespace in the console: the provider marks the whole map sensitive.
    await call("PATCH", `/containers/v1/regions/fr-par/namespaces/${container.namespace_id}`, {
      secret_environment_variables: { ADDED_BY_HAND: ADDED_SECRET },
    });
    expect((await settledContainer(call, container.id)).status).toBe("ready");

    const r = await run(["drift", "sandbox"]);
    expect(r.exitCode, r.output).toBe(2);
    const drift = dataOf<DriftReport>(r, "drift");
    const address = 'module.platform.module.containers.scaleway_container.this["evalap"]';
    const changed = drift.resources.find((d) => d.address === address);
    expect(changed, JSON.stringify(drift.resources.map((d) => d.address))).toBeDefined();
    expect(changed?.action).toBe("update");
    expect(changed?.attributes).toEqual(
      expect.arrayContaining([
        { path: "min_scale", before: "0", after: "2" },
        { path: "image", before: JSON.stringify(container.image), after: JSON.stringify(broken) },
      ]),
    );
    const namespace = drift.resources.find((d) => d.address === "module.platform.module.containers.scaleway_container_namespace.this");
    expect(namespace?.attributes).toEqual([{ path: "secret_environment_variables", after: "(sensitive)" }]);
    expect(r.stdout + r.stderr).not.toContain(ADDED_SECRET);
    // Only what was changed by hand: values the provider computes (a database's size, a secret's
    // version count) and unset values read back as zero are not drift.
    expect(drift.resources.map((d) => d.address).sort()).toEqual([address, namespace?.address].sort());
    expect(r.result.summary).toBe(
      "drift in sandbox: 2 resource(s) changed outside tofu (nothing was changed; `evalap-infra deploy sandbox` puts the configuration back)",
    );
    const human = await sb.cli(["drift", "sandbox"]);
    printed.push(human.stdout, human.stderr);
    expect(human.exitCode).toBe(2);
    expect(human.stdout + human.stderr).toContain(`~ ${address} (changed outside tofu)`);
    expect(human.stdout + human.stderr).toContain("    min_scale: 0 → 2");
    expect(human.stdout + human.stderr).toContain("    secret_environment_variables: (none) → (sensitive)");
    // The state object is exactly as it was: a refresh-only plan writes nothing.
    const after = await store.read(STATE_KEY);
    expect(after?.etag).toBe(before?.etag);
    expect(after?.text).toBe(before?.text);

    const history = await run(["history", "sandbox"]);
    const entries = dataOf<Array<{ operation: string; detail?: string }>>(history, "history");
    expect(entries.at(-1)?.operation).toBe("drift.checked");
    expect(entries.at(-1)?.detail).toContain(address);
    expect(entries.at(-1)?.detail).not.toContain("fail500");

    const status = await run(["status", "sandbox"]);
    expect(status.exitCode, status.output).toBe(0);
    const s = dataOf<StatusReport>(status, "status");
    if (s.services.state !== "ok") throw new Error(status.output);
    expect(s.services.services.find((x) => x.name === "evalap")).toMatchObject({
      healthy: false,
      httpStatus: 500,
      problem: "answered 500",
    });
    expect(s.services.services.find((x) => x.name === "evalap-ui")).toMatchObject({ healthy: true, httpStatus: 200 });
    expect(status.result.summary).toMatch(/1 of 2 service\(s\) healthy/);
  }, 600_000);

  it("no secret of the sandbox in anything printed", () => {
    const all = printed.join("\n");
    const secrets = [
      ...Object.values(sb.descriptor.appSecrets),
      sb.descriptor.scaleway.secretKey,
      sb.descriptor.statePassphrase,
      ADDED_SECRET,
    ];
    for (const v of secrets) expect(all).not.toContain(v);
  });
});
