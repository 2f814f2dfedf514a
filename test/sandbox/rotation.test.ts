import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createClient } from "@scaleway/sdk-client";
import { Rdbv1 } from "@scaleway/sdk-rdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { postgresPidsUnder } from "./postgres-procs.js";

/**
 * What a zero-downtime secret rotation needs of the sandbox (issue 11): the real SDK rotating an RDB
 * user's password on the real PostgreSQL, and a container redeployed with other credentials while a
 * bounded loop of requests, each opening its own database connection in the stand-in, runs through it.
 * The stand-in must be built (`npm run build`: dist/standin/main.js).
 */
const TOKEN = "3e0f7a52-8c4d-4b1e-9f6a-2d7c5b8e1a94";
const PROJECT = "9a4e2c71-5b3d-4f8e-a6c2-7e1d3b5f9c08";
const ADMIN = { name: "rot_admin", password: "Adm1n_p@ssword_R" };
const USER_A = { name: "evalap_a", password: "User_A_p@ss_1" };
const USER_B = { name: "evalap_b", password: "User_B_p@ss_1" };

describe("a secret rotation against the sandbox", () => {
  let sandbox: Sandbox | undefined;
  let dataDir = "";
  let rdb: Rdbv1.API;
  let instanceId = "";
  let pgPort = 0;
  const savedBudget = process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS;

  const call = async (method: string, p: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(`${sandbox?.url}${p}`, {
      method,
      headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const container = (id: string) => call("GET", `/containers/v1/regions/fr-par/containers/${id}`);
  const settled = async (id: string): Promise<Record<string, unknown>> => {
    for (let n = 0; n < 600; n++) {
      const c = await container(id);
      if (c.status === "ready" || c.status === "error") return c;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`container ${id} never settled`);
  };
  const pidOf = async (id: string) => (await call("GET", `/_sandbox/containers/${id}`)).pid as number;
  const gone = async (pid: number): Promise<boolean> => {
    for (let n = 0; n < 100; n++) {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
      if (stat === "" || / Z /.test(stat)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };
  const connect = async (user: { name: string; password: string }): Promise<pg.Client> => {
    const client = new pg.Client({ host: "127.0.0.1", port: pgPort, user: user.name, password: user.password, database: "evalap" });
    client.on("error", () => undefined);
    await client.connect();
    return client;
  };
  const postgresUrl = (user: { name: string; password: string }) =>
    `postgresql+psycopg2://${user.name}:${encodeURIComponent(user.password)}@127.0.0.1:${pgPort}/`;

  beforeAll(async () => {
    process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS = "2000";
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-rotation-"));
    sandbox = await startSandbox({ dataDir, token: TOKEN, account: { organizationId: PROJECT, defaultProjectId: PROJECT } });
    const client = createClient({
      accessKey: "SCWXXXXXXXXXXXXXXXXX",
      secretKey: TOKEN,
      apiURL: sandbox.url,
      defaultOrganizationId: PROJECT,
      defaultProjectId: PROJECT,
      defaultRegion: "fr-par",
    });
    rdb = new Rdbv1.API(client);
    const created = await rdb.createInstance({
      projectId: PROJECT,
      name: "rotation",
      engine: "PostgreSQL-15",
      userName: ADMIN.name,
      password: ADMIN.password,
      nodeType: "db-dev-s",
      isHaCluster: false,
      disableBackup: true,
      volumeType: "sbs_5k",
      volumeSize: 10_000_000_000,
      backupSameRegion: false,
      tags: [],
    });
    instanceId = created.id;
    let instance = created;
    for (let n = 0; n < 300 && instance.status !== "ready"; n++) {
      await new Promise((r) => setTimeout(r, 100));
      instance = await rdb.getInstance({ instanceId });
    }
    expect(instance.status).toBe("ready");
    pgPort = instance.endpoints[0]?.port ?? 0;
    await rdb.createDatabase({ instanceId, name: "evalap" });
    for (const u of [USER_A, USER_B]) {
      await rdb.createUser({ instanceId, name: u.name, password: u.password, isAdmin: false });
      await rdb.setPrivilege({ instanceId, databaseName: "evalap", userName: u.name, permission: "all" });
    }
  }, 120_000);

  afterAll(async () => {
    if (savedBudget === undefined) delete process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS;
    else process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS = savedBudget;
    await sandbox?.stop();
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("updateUser through the SDK: the new password connects, the old one is refused, an open session stays", async () => {
    const user = { name: "evalap_rotated", password: "Old_p@ssw0rd_1" };
    await rdb.createUser({ instanceId, name: user.name, password: user.password, isAdmin: false });
    await rdb.setPrivilege({ instanceId, databaseName: "evalap", userName: user.name, permission: "all" });
    const open = await connect(user);
    try {
      // PATCH .../users/{name} with {"password": ...} answers the user, as recorded (user-password-wo.cassette.yaml).
      const updated = await rdb.updateUser({ instanceId, name: user.name, password: "New_p@ssw0rd_2" });
      expect(updated).toEqual({ name: user.name, isAdmin: false });
      const fresh = await connect({ name: user.name, password: "New_p@ssw0rd_2" });
      expect((await fresh.query<{ u: string }>("select current_user as u")).rows).toEqual([{ u: user.name }]);
      await fresh.end();
      await expect(connect(user)).rejects.toThrow(/password authentication failed/);
      // PostgreSQL checks a password when a session starts: one opened before the change keeps working.
      expect((await open.query<{ u: string }>("select current_user as u")).rows).toEqual([{ u: user.name }]);
    } finally {
      await open.end();
    }
  });

  it("a container redeployed with other database credentials serves every request of a loop running through it", async () => {
    await call("POST", "/registry/v1/regions/fr-par/namespaces", { name: "evalap-rot", project_id: PROJECT });
    for (const tag of ["v1", "v2-neverready"])
      await call("POST", "/_sandbox/registry/images", { image: `rg.fr-par.scw.cloud/evalap-rot/evalap:${tag}` });
    const ns = await call("POST", "/containers/v1/regions/fr-par/namespaces", { name: "evalap-rot", project_id: PROJECT });
    const created = await call("POST", "/containers/v1/regions/fr-par/containers", {
      namespace_id: ns.id,
      name: "api",
      image: "rg.fr-par.scw.cloud/evalap-rot/evalap:v1",
      port: 8000,
      environment_variables: { ENV: "prod", DB_NAME: "evalap" },
      secret_environment_variables: { ADMIN_TOKEN: "t", POSTGRES_URL: postgresUrl(USER_A) },
      startup_probe: { failure_threshold: 3, interval: "10s", timeout: "5s", http: { path: "/openapi.json" } },
    });
    const id = created.id as string;
    expect(await settled(id)).toMatchObject({ status: "ready" });
    const endpoint = created.public_endpoint as string;
    const first = await pidOf(id);

    /**
     * 4 workers hit /_standin/db until told to stop (at most 2000 requests in all). Each answer is kept
     * with the number of answers already received when its request was sent, to check the switch.
     */
    const loop = () => {
      const answers: { user: string; sentAfter: number }[] = [];
      const failures: string[] = [];
      let sent = 0;
      let stop = false;
      const worker = async () => {
        while (!stop && sent < 2000) {
          sent++;
          const sentAfter = answers.length;
          try {
            const res = await fetch(`${endpoint}/_standin/db`);
            const body = (await res.json()) as { user?: string; detail?: string };
            if (res.status === 200 && body.user) answers.push({ user: body.user, sentAfter });
            else failures.push(`${res.status} ${JSON.stringify(body)}`);
          } catch (err) {
            failures.push(err instanceof Error ? `${err.message} ${String(err.cause)}` : String(err));
          }
        }
      };
      const running = Promise.all([worker(), worker(), worker(), worker()]);
      const until = async (done: () => boolean) => {
        while (!done() && sent < 2000) await new Promise((r) => setTimeout(r, 20));
      };
      return {
        answers,
        failures,
        until,
        finish: async () => {
          stop = true;
          await running;
        },
      };
    };

    // The rotation: the new revision gets user B's URL while the loop runs.
    const rotation = loop();
    await rotation.until(() => rotation.answers.length >= 20);
    const patched = await call("PATCH", `/containers/v1/regions/fr-par/containers/${id}`, {
      // An update's map replaces the container's secrets: ADMIN_TOKEN is given again.
      secret_environment_variables: { ADMIN_TOKEN: "t", POSTGRES_URL: postgresUrl(USER_B) },
    });
    expect(patched.status).toBe("updating");
    const rotated = await settled(id);
    expect(rotated, String(rotated.error_message)).toMatchObject({ status: "ready", public_endpoint: endpoint });
    const switched = rotation.answers.length;
    await rotation.until(() => rotation.answers.length >= switched + 20);
    await rotation.finish();

    expect(rotation.failures).toEqual([]);
    const users = rotation.answers.map((a) => a.user);
    expect(users[0]).toBe(USER_A.name);
    expect(users.at(-1)).toBe(USER_B.name);
    expect(new Set(users)).toEqual(new Set([USER_A.name, USER_B.name]));
    // The endpoint switches once: a request sent after B first answered is answered by B.
    const firstB = users.indexOf(USER_B.name);
    expect(rotation.answers.filter((a) => a.sentAfter > firstB && a.user !== USER_B.name)).toEqual([]);
    // The old revision is stopped once its requests are answered.
    const second = await pidOf(id);
    expect(second).not.toBe(first);
    expect(await gone(first)).toBe(true);

    // A redeploy that never becomes ready: the container is in error, the revision before keeps serving.
    const failing = loop();
    await failing.until(() => failing.answers.length >= 20);
    await call("PATCH", `/containers/v1/regions/fr-par/containers/${id}`, { image: "rg.fr-par.scw.cloud/evalap-rot/evalap:v2-neverready" });
    expect(await settled(id)).toMatchObject({
      status: "error",
      error_message: "Container is unable to start OR does not respond to HTTP requests on port 8000 and path /openapi.json",
    });
    const failed = failing.answers.length;
    await failing.until(() => failing.answers.length >= failed + 20);
    await failing.finish();
    expect(failing.failures).toEqual([]);
    expect(new Set(failing.answers.map((a) => a.user))).toEqual(new Set([USER_B.name]));
    expect(await pidOf(id)).toBe(second);

    // A delete stops the endpoint and the process behind it.
    await call("DELETE", `/containers/v1/regions/fr-par/containers/${id}`);
    expect(await gone(second)).toBe(true);
    await expect(fetch(`${endpoint}/_standin/db`)).rejects.toThrow();
  }, 180_000);

  it("/_standin/db answers 503 without the URL or password when the credentials are refused", async () => {
    const ns = await call("POST", "/containers/v1/regions/fr-par/namespaces", { name: "evalap-rot-bad", project_id: PROJECT });
    const c = await call("POST", "/containers/v1/regions/fr-par/containers", {
      namespace_id: ns.id,
      name: "api",
      image: "rg.fr-par.scw.cloud/evalap-rot/evalap:v1",
      port: 8000,
      environment_variables: { ENV: "prod", DB_NAME: "evalap" },
      secret_environment_variables: { ADMIN_TOKEN: "t", POSTGRES_URL: postgresUrl(USER_A) },
    });
    expect(await settled(c.id as string)).toMatchObject({ status: "ready" });
    // The role's password changes under the running revision: its next connection is refused.
    await rdb.updateUser({ instanceId, name: USER_A.name, password: "User_A_p@ss_2" });
    const res = await fetch(`${c.public_endpoint as string}/_standin/db`);
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ detail: `password authentication failed for user "${USER_A.name}"` });
    expect(text).not.toContain(USER_A.password);
    await call("DELETE", `/containers/v1/regions/fr-par/containers/${c.id as string}`);
  }, 60_000);
});
