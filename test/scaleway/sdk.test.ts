import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EvalapError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import { EventRecorder } from "../../src/events/bus.js";
import { RetriesExhaustedError } from "../../src/retry/retry.js";
import type { RetryPolicy } from "../../src/retry/backoff.js";
import { startSandbox, type RequestLogEntry, type Sandbox } from "../../src/sandbox/index.js";
import { scalewayProfile, scalewayClient } from "../../src/scaleway/index.js";
import { rejection } from "../helpers/rejection.js";

/** The adapter through the real SDK against the real sandbox on 127.0.0.1: no mock. */
const TOKEN = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a";
const ACCESS = "SCWABCDEFGHIJ0123456";
const ORG = "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45";
const PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";
/** Small waits: the tests count attempts and events, never wall-clock. */
const FAST: RetryPolicy = { attempts: 5, baseDelayMs: 5, maxDelayMs: 20, budgetMs: 30_000 };

let dir: string;
let sandbox: Sandbox | undefined;
let requests: RequestLogEntry[];

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "evalap-sdk-"));
  requests = [];
});

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<Sandbox> {
  sandbox = await startSandbox({
    dataDir: path.join(dir, "data"),
    token: TOKEN,
    account: { organizationId: ORG, defaultProjectId: PROJECT },
    onRequest: (e) => requests.push(e),
  });
  return sandbox;
}

function env(url: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  return {
    SCW_ACCESS_KEY: ACCESS,
    SCW_SECRET_KEY: TOKEN,
    SCW_API_URL: url,
    SCW_DEFAULT_ORGANIZATION_ID: ORG,
    SCW_DEFAULT_PROJECT_ID: PROJECT,
    SCW_DEFAULT_REGION: "fr-par",
    ...extra,
  };
}

async function injectFaults(s: Sandbox, fault: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${s.url}/_sandbox/faults`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Auth-Token": TOKEN },
    body: JSON.stringify(fault),
  });
  expect(res.status).toBeLessThan(300);
  await res.body?.cancel();
}

describe("the Scaleway SDK adapter on the sandbox", () => {
  it("creates a project and a secret with a version through the SDK, and reads the data back", async () => {
    const s = await start();
    const scw = await scalewayClient(env(`${s.url}/`), { policy: FAST });
    expect(scw.apiURL).toBe(s.url);
    const project = await (await scw.projects()).createProject({ name: "evalap-sdk-test", description: "adapter test" });
    expect(project.organizationId).toBe(ORG);
    const secrets = await scw.secrets();
    const secret = await secrets.createSecret({ name: "db-password", protected: false, projectId: project.id });
    expect(secret.projectId).toBe(project.id);
    await secrets.createSecretVersion({ secretId: secret.id, data: Buffer.from("hunter2").toString("base64") });
    const access = await secrets.accessSecretVersion({ secretId: secret.id, revision: "latest" });
    expect(Buffer.from(access.data, "base64").toString()).toBe("hunter2");
    expect(access.revision).toBe(1);
  });

  it("retries two 429s, honouring Retry-After, and succeeds on the third attempt with two retry events", async () => {
    const s = await start();
    const events = new EventRecorder();
    const scw = await scalewayClient(env(s.url), { policy: FAST, events });
    const secrets = await scw.secrets();
    await injectFaults(s, { status: 429, count: 2, retry_after: 1, path_prefix: "/secret-manager/" });
    const secret = await secrets.createSecret({ name: "after-429", protected: false });
    expect(secret.name).toBe("after-429");
    const posts = requests.filter((r) => r.method === "POST" && r.url.endsWith("/secrets"));
    expect(posts.map((r) => r.status)).toEqual([429, 429, 200]);
    const retries = events.ofType("retry.scheduled");
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    for (const e of retries) {
      expect(e.reason).toBe("rate limited");
      expect(e.maxAttempts).toBe(5);
      // The policy alone would wait at most 20 ms: the 1 s Retry-After is the floor.
      expect(e.delayMs).toBeGreaterThanOrEqual(1_000);
      expect(JSON.stringify(e)).not.toContain(TOKEN);
    }
  });

  it("does not retry a not_found nor an invalid_arguments: one request each, the SDK's typed error", async () => {
    const s = await start();
    const events = new EventRecorder();
    const secrets = await (await scalewayClient(env(s.url), { policy: FAST, events })).secrets();
    const missing = await rejection(secrets.getSecret({ secretId: "5f0c3c1e-9d7b-4c7e-8a55-0b3a1d2e4f60" }));
    expect((missing as Error).name).toBe("ResourceNotFoundError");
    const bad = await rejection(secrets.createSecret({ name: "", protected: false }));
    expect((bad as Error).name).toBe("InvalidArgumentsError");
    expect(requests.map((r) => [r.method, r.status, r.error])).toEqual([
      ["GET", 404, "not_found"],
      ["POST", 400, "invalid_arguments"],
    ]);
    expect(events.events).toEqual([]);
  });

  it("retries a refused connection, then fails with a clear error naming the URL", async () => {
    const s = await start();
    const url = s.url;
    await s.stop();
    sandbox = undefined;
    const events = new EventRecorder();
    const secrets = await (await scalewayClient(env(url), { policy: { ...FAST, attempts: 3 }, events })).secrets();
    const err = await rejection(secrets.listSecrets({ scheduledForDeletion: false }));
    expect(err).toBeInstanceOf(RetriesExhaustedError);
    const e = err as RetriesExhaustedError;
    expect(e.exitCode).toBe(ExitCode.RetriesExhausted);
    expect(e.attempts).toBe(3);
    expect(e.message).toContain(`${url}/secret-manager/v1beta1/regions/fr-par/secrets`);
    expect(e.message).toContain("ECONNREFUSED");
    expect(e.message).not.toContain(TOKEN);
    expect(events.ofType("retry.scheduled").map((r) => r.reason)).toEqual(["connection refused", "connection refused"]);
  });
});

describe("the profile from the environment", () => {
  const base = env("http://127.0.0.1:9");

  function refusal(e: NodeJS.ProcessEnv): EvalapError {
    let caught: unknown;
    try {
      scalewayProfile(e);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(EvalapError);
    const err = caught as EvalapError;
    expect(err.exitCode).toBe(ExitCode.Prerequisite);
    expect(`${err.message} ${err.hint ?? ""}`).not.toContain(TOKEN);
    return err;
  }

  it("names the missing keys, both or the one of a half pair", () => {
    expect(refusal({ ...base, SCW_ACCESS_KEY: undefined, SCW_SECRET_KEY: undefined }).message).toMatch(
      /SCW_ACCESS_KEY and SCW_SECRET_KEY are not set/,
    );
    expect(refusal({ ...base, SCW_ACCESS_KEY: "" }).message).toMatch(/SCW_ACCESS_KEY is not set \(SCW_SECRET_KEY is set\)/);
    expect(refusal({ ...base, SCW_SECRET_KEY: undefined }).message).toMatch(/SCW_SECRET_KEY is not set \(SCW_ACCESS_KEY is set\)/);
  });

  it("names a malformed variable without echoing its value", () => {
    const badSecret = "not-a-uuid-" + TOKEN;
    const err = refusal({ ...base, SCW_SECRET_KEY: badSecret });
    expect(err.message).toMatch(/SCW_SECRET_KEY is malformed/);
    expect(err.message).not.toContain(badSecret);
    expect(refusal({ ...base, SCW_API_URL: "not a url" }).message).toMatch(/SCW_API_URL is malformed/);
    expect(refusal({ ...base, SCW_API_URL: "ftp://example.com" }).message).toMatch(/SCW_API_URL is malformed/);
    expect(refusal({ ...base, SCW_DEFAULT_REGION: "paris" }).message).toMatch(/SCW_DEFAULT_REGION is malformed/);
    expect(refusal({ ...base, SCW_DEFAULT_PROJECT_ID: "p1" }).message).toMatch(/SCW_DEFAULT_PROJECT_ID is malformed/);
    expect(refusal({ ...base, SCW_ACCESS_KEY: "AKIA123" }).message).toMatch(/SCW_ACCESS_KEY is malformed/);
  });

  it("strips a trailing slash from SCW_API_URL and keeps the optional fields it was given", () => {
    const p = scalewayProfile({ ...base, SCW_API_URL: "http://127.0.0.1:9/", SCW_DEFAULT_ZONE: "fr-par-2" });
    expect(p.apiURL).toBe("http://127.0.0.1:9");
    expect(p.defaultZone).toBe("fr-par-2");
    expect(p.defaultRegion).toBe("fr-par");
  });
});

describe("the profile from the scw config file, as Scaleway's tools read it", () => {
  const OTHER_PROJECT = "2c4e6a8b-1d3f-4a5b-9c7d-0e2f4a6b8c0d";
  const FILE = `# written by scw init
access_key: ${ACCESS}
secret_key: ${TOKEN}
default_organization_id: ${ORG}
default_project_id: ${PROJECT}
default_region: fr-par
active_profile: sandbox
profiles:
  sandbox:
    api_url: "http://127.0.0.1:7777/"
    default_project_id: ${OTHER_PROJECT}
  broken:
    secret_key: not-a-uuid
`;
  let home: string;
  beforeEach(async () => {
    home = await mkdtemp(path.join(os.tmpdir(), "evalap-scw-config-"));
    await mkdir(path.join(home, ".config", "scw"), { recursive: true });
    await writeFile(path.join(home, ".config", "scw", "config.yaml"), FILE);
  });
  afterEach(async () => rm(home, { recursive: true, force: true }));

  it("takes the active profile over the file's defaults, with no variable set", () => {
    expect(scalewayProfile({ HOME: home })).toEqual({
      accessKey: ACCESS,
      secretKey: TOKEN,
      apiURL: "http://127.0.0.1:7777",
      defaultOrganizationId: ORG,
      defaultProjectId: OTHER_PROJECT,
      defaultRegion: "fr-par",
    });
  });

  it("SCW_PROFILE chooses the profile, and every SCW_* variable wins over the file", () => {
    expect(scalewayProfile({ HOME: home, SCW_PROFILE: "default" }).apiURL).toBeUndefined();
    const p = scalewayProfile({ HOME: home, SCW_API_URL: "http://127.0.0.1:8888", SCW_DEFAULT_PROJECT_ID: PROJECT });
    expect(p.apiURL).toBe("http://127.0.0.1:8888");
    expect(p.defaultProjectId).toBe(PROJECT);
  });

  it("SCW_CONFIG_PATH points at another file; one that does not exist is an error, a missing default file is not", async () => {
    const elsewhere = path.join(home, "other.yaml");
    await writeFile(elsewhere, `access_key: ${ACCESS}\nsecret_key: ${TOKEN}\n`);
    expect(scalewayProfile({ SCW_CONFIG_PATH: elsewhere }).accessKey).toBe(ACCESS);
    const missing = (await rejection(
      Promise.resolve().then(() => scalewayProfile({ SCW_CONFIG_PATH: path.join(home, "none.yaml") })),
    )) as EvalapError;
    expect(missing.message).toMatch(/none\.yaml cannot be read \(ENOENT\)/);
    expect(() => scalewayProfile({ HOME: path.join(home, "nobody") })).toThrow(/SCW_ACCESS_KEY and SCW_SECRET_KEY are not set/);
  });

  it("names an unknown profile, and a malformed value by its key and profile without echoing it", async () => {
    const unknown = (await rejection(Promise.resolve().then(() => scalewayProfile({ HOME: home, SCW_PROFILE: "prod" })))) as EvalapError;
    expect(unknown.exitCode).toBe(ExitCode.Prerequisite);
    expect(unknown.message).toMatch(/the scw profile "prod" \(SCW_PROFILE\) is not in .*config\.yaml/);
    const broken = (await rejection(Promise.resolve().then(() => scalewayProfile({ HOME: home, SCW_PROFILE: "broken" })))) as EvalapError;
    expect(broken.message).toMatch(/secret_key of profile "broken" in .*config\.yaml is malformed: it should be a UUID/);
    expect(broken.message).not.toContain("not-a-uuid");
  });
});
