import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxProject, type RunningSandbox, type SandboxRun } from "../helpers/sandbox.js";

/**
 * The newcomer's path, end to end (issue 9): `sandbox up`, `deploy sandbox` of the real
 * infra/staging → healthy stand-ins that really connected to the sandbox's PostgreSQL with the
 * password tofu generated; a release whose image answers 500 → automatic rollback → healthy.
 */
describe("end to end: deploy sandbox", () => {
  let sb: RunningSandbox;

  beforeAll(async () => {
    sb = await sandboxProject();
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const deploy = (...args: string[]) => sb.run(["deploy", "sandbox", "--json", ...args]);
  type Health = { healthy: boolean; services: { name: string; healthy: boolean }[] };
  const deployData = (events: SandboxRun["events"]) =>
    events.find((e) => e.type === "data" && e.kind === "deploy")?.data as { health: Health | null; release: { status: string } | null };
  const services = (events: SandboxRun["events"]) =>
    (events.find((e) => e.type === "outputs")?.outputs as { services: { value: Record<string, { url: string }> } }).services.value;

  it("deploys infra/staging healthy, with the database and secrets it was given", async () => {
    const first = await deploy();
    expect(first.exitCode, first.output).toBe(0);
    const data = deployData(first.events);
    expect(data.health?.healthy).toBe(true);
    expect(data.health?.services.map((s) => s.name).sort()).toEqual(["evalap", "evalap-ui"]);
    expect(data.release?.status).toBe("healthy");

    // The stand-in connected to the emulated PostgreSQL with the password tofu generated, and got the secrets.
    const adminToken = sb.descriptor.appSecrets.ADMIN_TOKEN ?? "";
    const api = services(first.events).evalap?.url ?? "";
    const proof = (await (await fetch(`${api}/_standin/proof`, { headers: { "x-evalap-admin": adminToken } })).json()) as {
      database: { user: string; name: string; connected: boolean };
      secrets: Record<string, string>;
    };
    expect(proof.database).toMatchObject({ connected: true, name: "evalap" });
    const sha = (v: string) => createHash("sha256").update(v).digest("hex");
    for (const [name, value] of Object.entries(sb.descriptor.appSecrets)) expect(proof.secrets[name]).toBe(sha(value));
    // And no secret value in the CLI's output.
    for (const value of Object.values(sb.descriptor.appSecrets)) expect(first.stdout + first.stderr).not.toContain(value);
  }, 900_000);

  it("a release answering 500 is rolled back automatically, and the previous one answers again", async () => {
    const bad = `${sb.descriptor.images.evalap?.replace(/:[^:/]+$/, "")}:sandbox-2-fail500`;
    const push = await sb.cli(["sandbox", "push", bad, "--data-dir", sb.dataDir]);
    expect(push.exitCode, push.stdout + push.stderr).toBe(0);
    const second = await deploy("--image", `evalap=${bad}`);
    expect(second.exitCode, second.output).toBe(7);
    const health = await fetch(`${services(second.events).evalap?.url ?? ""}/openapi.json`);
    expect(health.status).toBe(200);
  }, 900_000);

  it("survives a restart of the sandbox: the next deploy finds nothing to change and is healthy", async () => {
    expect((await sb.cli(["sandbox", "down", "--data-dir", sb.dataDir])).exitCode).toBe(0);
    const up = await sb.cli(["sandbox", "up", "--data-dir", sb.dataDir]);
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    const again = await deploy();
    expect(again.exitCode, again.output).toBe(0);
    expect(again.events.find((e) => e.type === "plan.summary")).toMatchObject({
      summary: { counts: { create: 0, update: 0, delete: 0, replace: 0 } },
    });
  }, 900_000);

  it("after a reset (new state, new ports), deploys from scratch again: the sandbox's backend is reconfigured, not migrated", async () => {
    const reset = await sb.cli(["sandbox", "reset", "--yes", "--data-dir", sb.dataDir]);
    expect(reset.exitCode, reset.stdout + reset.stderr).toBe(0);
    const up = await sb.cli(["sandbox", "up", "--data-dir", sb.dataDir]);
    expect(up.exitCode, up.stdout + up.stderr).toBe(0);
    const fresh = await deploy();
    expect(fresh.exitCode, fresh.output).toBe(0);
    expect(fresh.events.find((e) => e.type === "plan.summary")).toMatchObject({
      summary: { counts: { update: 0, delete: 0, replace: 0 } },
    });
    expect(deployData(fresh.events).health?.healthy).toBe(true);
  }, 900_000);
});
