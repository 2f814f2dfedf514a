import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SecretsListReport } from "../../src/operations/secrets.js";
import type { SecretStatus } from "../../src/secrets/status.js";
import { sandboxProject, type RunningSandbox } from "../helpers/sandbox.js";

/**
 * `secrets list` on the sandbox daemon with the real provider's deploy behind it: the root's
 * secret_ids and secret_revisions against Secret Manager's versions, through the SDK. Versions are
 * added and disabled through the sandbox's Secret Manager API as the provider and the console do.
 */
describe("secrets list on the sandbox", () => {
  let sb: RunningSandbox;
  /** Every byte every run printed: no secret value may be in it. */
  const printed: string[] = [];
  /** A value written as a new version by the test (besides the descriptor's app secrets). */
  const PLANTED = "planted-admin-token-v2-4f1c9e";

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const run = async (args: string[]) => {
    const r = await sb.run(args);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const list = async (...extra: string[]) => {
    const r = await run(["secrets", "list", "sandbox", "--json", ...extra]);
    expect(r.exitCode, r.output).toBe(0);
    const data = r.events.filter((e) => e.type === "data" && e.kind === "secrets.list");
    expect(data).toHaveLength(1);
    const report = data[0]?.data as SecretsListReport;
    const by = (name: string): SecretStatus => {
      const row = report.secrets.find((s) => s.name === name);
      if (!row) throw new Error(`${name} not listed:\n${r.output}`);
      return row;
    };
    return { report, by };
  };
  const api = (suffix: string, init: { method: string; body?: unknown }) =>
    fetch(`${sb.descriptor.apiUrl}/secret-manager/v1beta1/regions/fr-par/secrets${suffix}`, {
      method: init.method,
      headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey, "Content-Type": "application/json" },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  const uuid = (secretId: string) => secretId.split("/")[1] ?? "";

  const APP = ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "USER_API_KEYS"];
  // DB_APP_CREDENTIALS is read too: the containers' POSTGRES_URL is derived from its latest enabled version.
  const READ_BY_CONTAINERS = [...APP, "POSTGRES_URL", "DB_APP_CREDENTIALS"];
  const ALL = [...READ_BY_CONTAINERS, "DB_ADMIN_PASSWORD"].sort();

  it("a never-deployed environment: exit 9 naming the deploy that creates the secrets", async () => {
    const r = await run(["secrets", "list", "sandbox", "--json"]);
    expect(r.exitCode, r.output).toBe(9);
    expect(r.result.error?.code).toBe("secrets_not_deployed");
    expect(r.result.error?.hint).toContain("evalap-infra deploy sandbox");
    const human = await run(["secrets", "list", "sandbox"]);
    expect(human.exitCode).toBe(9);
    expect(human.stderr).toContain("evalap-infra deploy sandbox");
  }, 300_000);

  it("after a deploy: every secret at revision 1, the containers' ones in use and current", async () => {
    const deployed = await run(["deploy", "sandbox", "--json"]);
    expect(deployed.exitCode, deployed.output).toBe(0);
    const { report, by } = await list();
    expect(report.secrets.map((s) => s.name)).toEqual(ALL);
    expect(report).toMatchObject({
      environment: "sandbox",
      projectId: sb.descriptor.environmentProject.id,
      revisionsKnown: true,
      unmanaged: [],
    });
    for (const name of ALL) {
      expect(by(name), name).toMatchObject({
        latestEnabled: 1,
        versions: { enabled: 1, disabled: 0, total: 1 },
        missing: false,
        path: report.path,
        due: false,
      });
      expect(by(name).ageMs).toBeGreaterThanOrEqual(0);
    }
    for (const name of READ_BY_CONTAINERS) expect(by(name), name).toMatchObject({ usedBy: "containers", inUse: 1, current: true });
    expect(by("DB_ADMIN_PASSWORD")).toMatchObject({ usedBy: "none", inUse: null, current: null });
    // The defaults: 90 days for what `secrets rotate` renews, none for USER_API_KEYS and tofu's admin password.
    expect(by("ADMIN_TOKEN").maxAgeMs).toBe(90 * 86_400_000);
    expect(by("DB_APP_CREDENTIALS").maxAgeMs).toBe(90 * 86_400_000);
    expect(by("DB_ADMIN_PASSWORD").maxAgeMs).toBeNull();
    expect(by("USER_API_KEYS").maxAgeMs).toBeNull();

    const human = await run(["secrets", "list", "sandbox"]);
    expect(human.exitCode, human.output).toBe(0);
    // The listing goes to stdout (it is what the command produces), progress to stderr.
    expect(human.stdout).toMatch(/NAME +LATEST +AGE +ENABLED +DISABLED +TOTAL +IN USE +CURRENT +MAX AGE +DUE/);
    expect(human.stdout).toMatch(/ADMIN_TOKEN +1 +\S+ +1 +0 +1 +1 +yes +90d/);
    expect(human.stdout).toMatch(/DB_ADMIN_PASSWORD +1 +\S+ +1 +0 +1 +- +- +-/);
  }, 600_000);

  it("a version added by hand is the latest, the containers still run revision 1: not current", async () => {
    const before = await list();
    const id = before.by("ADMIN_TOKEN").secretId;
    const added = await api(`/${uuid(id)}/versions`, { method: "POST", body: { data: Buffer.from(PLANTED).toString("base64") } });
    expect(added.status).toBe(200);
    const { by } = await list();
    expect(by("ADMIN_TOKEN")).toMatchObject({
      latestEnabled: 2,
      inUse: 1,
      current: false,
      versions: { enabled: 2, disabled: 0, total: 2 },
    });
    expect(by("EVALAP_FRONTEND_TOKEN")).toMatchObject({ latestEnabled: 1, current: true });
    const human = await run(["secrets", "list", "sandbox"]);
    expect(human.stdout).toMatch(/ADMIN_TOKEN +2 +\S+ +2 +0 +2 +1 +NO/);
    expect(human.stdout + human.stderr).toContain("not current: ADMIN_TOKEN");
  }, 300_000);

  it("disabled versions are counted; with none enabled the secret has no latest and is due", async () => {
    const id = uuid((await list()).by("ADMIN_TOKEN").secretId);
    expect((await api(`/${id}/versions/1/disable`, { method: "POST", body: {} })).status).toBe(200);
    let { by } = await list();
    expect(by("ADMIN_TOKEN")).toMatchObject({
      latestEnabled: 2,
      inUse: 1,
      current: false,
      versions: { enabled: 1, disabled: 1, total: 2 },
    });
    expect((await api(`/${id}/versions/2/disable`, { method: "POST", body: {} })).status).toBe(200);
    ({ by } = await list());
    expect(by("ADMIN_TOKEN")).toMatchObject({
      latestEnabled: null,
      ageMs: null,
      current: false,
      due: true,
      versions: { enabled: 0, disabled: 2, total: 2 },
    });
    // Back to a usable state for the next tests.
    expect((await api(`/${id}/versions/2/enable`, { method: "POST", body: {} })).status).toBe(200);
  }, 300_000);

  it("a tiny secrets.maxAge makes the secrets it names due, external keys included", async () => {
    const config = JSON.parse(await readFile(path.join(sb.projectDir, "evalap-infra.json"), "utf8")) as Record<string, unknown>;
    await writeFile(
      path.join(sb.projectDir, "tiny.json"),
      JSON.stringify({ ...config, secrets: { maxAge: { ADMIN_TOKEN: "1ms", USER_API_KEYS: "1ms", DB_APP_CREDENTIALS: null } } }),
    );
    const { by } = await list("--config", "tiny.json");
    expect(by("ADMIN_TOKEN")).toMatchObject({ maxAgeMs: 1, due: true });
    expect(by("USER_API_KEYS")).toMatchObject({ maxAgeMs: 1, due: true });
    expect(by("EVALAP_FRONTEND_TOKEN")).toMatchObject({ maxAgeMs: 90 * 86_400_000, due: false });
    expect(by("DB_APP_CREDENTIALS")).toMatchObject({ maxAgeMs: null, due: false });
    const human = await run(["secrets", "list", "sandbox", "--config", "tiny.json"]);
    expect(human.stdout).toMatch(/ADMIN_TOKEN +.* 1ms +DUE/);
    expect(human.stdout + human.stderr).toContain("due: ADMIN_TOKEN, USER_API_KEYS");
  }, 300_000);

  it("a secret under the environment's path that the root does not know is listed as unmanaged", async () => {
    const { report } = await list();
    const made = await api("", {
      method: "POST",
      body: { name: "stray-by-hand", project_id: sb.descriptor.environmentProject.id, path: report.path },
    });
    expect(made.status).toBe(200);
    const after = await list();
    expect(after.report.unmanaged).toEqual([expect.objectContaining({ name: "stray-by-hand", path: report.path, versionCount: 0 })]);
    expect(after.report.secrets.map((s) => s.name)).toEqual(ALL);
    const human = await run(["secrets", "list", "sandbox"]);
    expect(human.stderr).toContain(`unmanaged: ${report.path}/stray-by-hand`);
  }, 300_000);

  it("no secret value reached any output", async () => {
    const all = printed.join("\n");
    expect(printed.length).toBeGreaterThan(10);
    // The generated database credentials too, read here (the command itself never calls the access endpoint).
    const { by } = await list();
    const generated = await Promise.all(
      ["POSTGRES_URL", "DB_APP_CREDENTIALS", "DB_ADMIN_PASSWORD"].map(async (name) => {
        const res = await api(`/${uuid(by(name).secretId)}/versions/1/access`, { method: "GET" });
        expect(res.status).toBe(200);
        return Buffer.from(((await res.json()) as { data: string }).data, "base64").toString("utf8");
      }),
    );
    for (const value of [...Object.values(sb.descriptor.appSecrets), ...generated, PLANTED, sb.descriptor.scaleway.secretKey]) {
      expect(value.length).toBeGreaterThan(8);
      expect(all).not.toContain(value);
    }
  });
});
