import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";

/** The emulator's core over real HTTP: auth, Scaleway's error bodies, pagination, persistence. */
const TOKEN = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a";
const ORG = "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45";
const PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const SECRETS = "/secret-manager/v1beta1/regions/fr-par/secrets";

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

let dir: string;
let sandbox: Sandbox | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-"));
});

afterEach(async () => {
  await sandbox?.stop();
  sandbox = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function start(opts: { token?: string } = { token: TOKEN }): Promise<Sandbox> {
  sandbox = await startSandbox({ dataDir: path.join(dir, "data"), ...opts });
  return sandbox;
}

async function call(method: string, url: string, body?: unknown, token: string | null = TOKEN): Promise<Answer> {
  if (!sandbox) throw new Error("no sandbox");
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token !== null) headers["X-Auth-Token"] = token;
  const res = await fetch(sandbox.url + url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

const createSecret = async (name: string, extra: Record<string, unknown> = {}) => {
  const r = await call("POST", SECRETS, { project_id: PROJECT, name, type: "opaque", protected: false, tags: [], ...extra });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { id: string } & Record<string, unknown>;
};
const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("authentication (X-Auth-Token)", () => {
  it("answers 401 without a token and 403 with a wrong one, in Scaleway's denied_authentication shape", async () => {
    await start();
    const missing = await call("GET", SECRETS, undefined, null);
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({
      message: "authentication is denied",
      method: "api_key",
      reason: "not_found",
      type: "denied_authentication",
    });
    const wrong = await call("GET", SECRETS, undefined, "11111111-2222-4333-8444-555555555555");
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({
      message: "authentication is denied",
      method: "api_key",
      reason: "invalid_argument",
      type: "denied_authentication",
    });
    expect((await call("GET", SECRETS)).status).toBe(200);
  });

  it("without a configured token, accepts any secret key shaped as Scaleway's (a UUID) and no other", async () => {
    await start({});
    expect((await call("GET", SECRETS, undefined, "11111111-2222-4333-8444-555555555555")).status).toBe(200);
    expect((await call("GET", SECRETS, undefined, "not-a-key")).status).toBe(403);
  });
});

describe("errors", () => {
  it("answers an unknown route with a Scaleway-shaped 404", async () => {
    await start();
    const r = await call("GET", "/instance/v1/zones/fr-par-1/servers");
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ type: "not_found", message: expect.stringContaining("resource is not found") });
    expect(r.headers.get("content-type")).toBe("application/json");
  });

  it("answers a missing resource with not_found naming it", async () => {
    await start();
    const id = "5a1e4c2b-9d8f-4e7a-b6c5-d4e3f2a1b0c9";
    const r = await call("GET", `${SECRETS}/${id}`);
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: "resource is not found", resource: "secret", resource_id: id, type: "not_found" });
    const p = await call("GET", `/account/v3/projects/${id}`);
    expect(p.body).toEqual({ message: "resource is not found", resource: "project_id", resource_id: id, type: "not_found" });
  });

  it("answers bad arguments with invalid_arguments listing each one", async () => {
    await start();
    const r = await call("POST", SECRETS, { project_id: "nope", path: "relative", tags: "x" });
    expect(r.status).toBe(400);
    expect(r.body.type).toBe("invalid_arguments");
    expect(r.body.message).toBe("invalid argument(s)");
    const details = r.body.details as Array<{ argument_name: string; reason: string; help_message: string }>;
    expect(details.map((d) => [d.argument_name, d.reason])).toEqual([
      ["project_id", "format"],
      ["name", "required"],
      ["path", "format"],
      ["tags", "format"],
    ]);
    expect(details.every((d) => d.help_message.length > 0)).toBe(true);
    const badJson = await call("POST", SECRETS, "[1]");
    expect(badJson.status).toBe(400);
    expect(await call("GET", "/secret-manager/v1beta1/regions/mars-1/secrets")).toMatchObject({
      status: 400,
      body: { type: "invalid_arguments", details: [expect.objectContaining({ argument_name: "region" })] },
    });
  });

  it("refuses a second secret of the same name and path with 409 already_exists", async () => {
    await start();
    const first = await createSecret("dup", { path: "/a" });
    const again = await call("POST", SECRETS, { project_id: PROJECT, name: "dup", path: "/a" });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({
      type: "already_exists",
      message: "resource already exists",
      resource: "secret",
      resource_id: first.id,
    });
    await createSecret("dup", { path: "/b" });
  });

  it("refuses to delete a protected secret (412 precondition_failed) until it is unprotected", async () => {
    await start();
    const s = await createSecret("locked", { protected: true });
    const del = await call("DELETE", `${SECRETS}/${s.id}`);
    expect(del.status).toBe(412);
    expect(del.body).toEqual({
      help_message: "cannot delete a protected secret",
      message: "precondition is not respected",
      precondition: "protected_resource",
      type: "precondition_failed",
    });
    expect((await call("POST", `${SECRETS}/${s.id}/unprotect`, {})).body.protected).toBe(false);
    expect((await call("DELETE", `${SECRETS}/${s.id}`)).status).toBe(204);
    // As recorded: deletion is scheduled; the secret still reads, and lists show it only when asked.
    const after = await call("GET", `${SECRETS}/${s.id}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id: s.id, deletion_requested_at: expect.any(String) });
    expect((await call("GET", `${SECRETS}?name=locked`)).body).toMatchObject({ total_count: 0 });
    expect((await call("GET", `${SECRETS}?name=locked&scheduled_for_deletion=true`)).body).toMatchObject({ total_count: 1 });
  });

  it("injects 429 with Retry-After on request (test hook), then answers normally", async () => {
    await start();
    const hook = await call("POST", "/_sandbox/faults", { status: 429, count: 2, retry_after: 3, path_prefix: "/secret-manager/" });
    expect(hook.status).toBe(204);
    for (let i = 0; i < 2; i++) {
      const r = await call("GET", SECRETS);
      expect(r.status).toBe(429);
      expect(r.headers.get("retry-after")).toBe("3");
    }
    expect((await call("GET", SECRETS)).status).toBe(200);
    expect((await call("POST", "/_sandbox/faults", { status: 500 })).status).toBe(400);
  });
});

describe("Account v3 projects", () => {
  it("creates, reads, updates and deletes a project with the recorded fields", async () => {
    await start();
    const created = await call("POST", "/account/v3/projects", { name: "p1", organization_id: ORG, description: "d" });
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual([
      "id",
      "name",
      "organization_id",
      "created_at",
      "updated_at",
      "description",
      "qualification",
    ]);
    expect(created.body).toMatchObject({ name: "p1", organization_id: ORG, description: "d", qualification: null });
    expect(created.body.id).toMatch(UUID);
    expect(created.body.created_at).toMatch(MICROS);
    const id = created.body.id as string;
    const got = await call("GET", `/account/v3/projects/${id}`);
    expect(got.body.qualification).toEqual({ architecture_type: "unknown_architecture_type" });
    const patched = await call("PATCH", `/account/v3/projects/${id}`, { description: "new" });
    expect(patched.body).toMatchObject({ name: "p1", description: "new" });
    expect(patched.body.updated_at).not.toBe(created.body.updated_at);
    expect((await call("POST", "/account/v3/projects", { name: "p1", organization_id: ORG })).status).toBe(409);
    expect((await call("DELETE", `/account/v3/projects/${id}`)).status).toBe(204);
    expect((await call("GET", `/account/v3/projects/${id}`)).status).toBe(404);
  });

  it("paginates with page, page_size and order_by, counting every match in total_count", async () => {
    await start();
    for (const name of ["c", "a", "e", "b", "d"]) {
      expect((await call("POST", "/account/v3/projects", { name, organization_id: ORG })).status).toBe(200);
    }
    const names = (r: Answer) => (r.body.projects as Array<{ name: string }>).map((p) => p.name);
    const first = await call("GET", `/account/v3/projects?organization_id=${ORG}&page_size=2&order_by=name_asc`);
    expect(first.body.total_count).toBe(5);
    expect(names(first)).toEqual(["a", "b"]);
    const last = await call("GET", `/account/v3/projects?organization_id=${ORG}&page=3&page_size=2&order_by=name_asc`);
    expect(names(last)).toEqual(["e"]);
    expect(names(await call("GET", "/account/v3/projects?order_by=name_desc&page_size=1"))).toEqual(["e"]);
    // created_at_asc is the default order: the order of creation.
    expect(names(await call("GET", "/account/v3/projects"))).toEqual(["c", "a", "e", "b", "d"]);
    const filtered = await call("GET", "/account/v3/projects?name=b");
    expect(names(filtered)).toEqual(["b"]);
    expect(filtered.body.total_count).toBe(1);
    const bad = await call("GET", "/account/v3/projects?page=0&page_size=101&order_by=size");
    expect(bad.status).toBe(400);
    expect((bad.body.details as Array<{ argument_name: string }>).map((d) => d.argument_name)).toEqual(["page", "page_size"]);
    expect((await call("GET", "/account/v3/projects?order_by=size")).body).toMatchObject({
      type: "invalid_arguments",
      details: [{ argument_name: "order_by", reason: "constraint" }],
    });
  });
});

describe("Secret Manager v1beta1", () => {
  it("answers a secret with the recorded fields and types", async () => {
    await start();
    const s = await createSecret("db", { description: "x", path: "/app", tags: ["t"] });
    expect(Object.keys(s).sort()).toEqual(
      [
        "id",
        "project_id",
        "name",
        "status",
        "created_at",
        "updated_at",
        "tags",
        "version_count",
        "description",
        "managed",
        "type",
        "protected",
        "path",
        "ephemeral_policy",
        "used_by",
        "deletion_requested_at",
        "key_id",
        "region",
      ].sort(),
    );
    expect(s).toMatchObject({ status: "ready", version_count: 0, managed: false, type: "opaque", path: "/app", region: "fr-par" });
    expect(s).toMatchObject({ ephemeral_policy: null, used_by: [], deletion_requested_at: null, key_id: null });
    const list = await call(
      "GET",
      `${SECRETS}?name=db&project_id=${PROJECT}&order_by=name_asc&scheduled_for_deletion=false&type=unknown_type`,
    );
    expect(list.body).toEqual({ secrets: [s], total_count: 1 });
    expect((await call("GET", `${SECRETS}?path=/other`)).body.total_count).toBe(0);
    expect((await call("GET", `${SECRETS}?tags=t&tags=u`)).body.total_count).toBe(0);
    expect((await call("GET", `/secret-manager/v1beta1/regions/nl-ams/secrets`)).body.total_count).toBe(0);
  });

  it("versions: create from base64, latest and latest_enabled, access, disable, enable, delete", async () => {
    await start();
    const s = await createSecret("api-key");
    const v = `${SECRETS}/${s.id}/versions`;
    const v1 = await call("POST", v, { data: b64("one"), description: "v1" });
    expect(v1.body).toMatchObject({ revision: 1, secret_id: s.id, status: "enabled", latest: true, description: "v1", region: "fr-par" });
    expect(v1.body).toMatchObject({ deleted_at: null, ephemeral_properties: null, deletion_requested_at: null });
    expect(Object.keys(v1.body)).toEqual([
      "revision",
      "secret_id",
      "status",
      "created_at",
      "updated_at",
      "deleted_at",
      "description",
      "latest",
      "ephemeral_properties",
      "deletion_requested_at",
      "region",
    ]);
    const v2 = await call("POST", v, { data: b64("two"), disable_previous: true });
    expect(v2.body).toMatchObject({ revision: 2, latest: true, description: "" });
    expect((await call("GET", `${v}/1`)).body).toMatchObject({ status: "disabled", latest: false });
    expect((await call("GET", `${SECRETS}/${s.id}`)).body.version_count).toBe(2);

    const access = await call("GET", `${v}/latest/access`);
    expect(access.body).toEqual({ secret_id: s.id, revision: 2, data: b64("two"), data_crc32: null, type: "opaque" });
    expect((await call("GET", `${v}/1/access`)).status).toBe(412);
    expect((await call("POST", `${v}/2/disable`, {})).body.status).toBe("disabled");
    expect((await call("POST", `${v}/1/enable`, {})).body.status).toBe("enabled");
    expect((await call("GET", `${v}/latest_enabled`)).body.revision).toBe(1);
    expect((await call("GET", `${v}/latest_enabled/access`)).body.data).toBe(b64("one"));

    const enabled = await call("GET", `${v}?status=enabled`);
    expect(enabled.body.total_count).toBe(1);
    expect((await call("GET", `${v}?page=1&page_size=1`)).body).toMatchObject({ total_count: 2, versions: [{ revision: 1 }] });

    expect((await call("PATCH", `${v}/1`, { description: "renamed" })).body.description).toBe("renamed");
    expect((await call("DELETE", `${v}/2`)).status).toBe(204);
    expect((await call("GET", `${v}/2`)).status).toBe(404);
    // A revision number is never given twice, even after a delete.
    expect((await call("POST", v, { data: b64("three") })).body.revision).toBe(3);
    expect((await call("GET", `${v}/two`)).body).toMatchObject({ type: "invalid_arguments", details: [{ argument_name: "revision" }] });
    expect((await call("POST", v, { data: "not base64!" })).body).toMatchObject({ details: [{ argument_name: "data", reason: "format" }] });
  });
});

describe("account seed, request log, ephemeral policy", () => {
  it("creates the account's default project once, and logs each answered request", async () => {
    const entries: Array<{ method: string; url: string; status: number; error?: string }> = [];
    const account = { organizationId: ORG, defaultProjectId: PROJECT };
    sandbox = await startSandbox({ dataDir: path.join(dir, "data"), token: TOKEN, account, onRequest: (e) => entries.push(e) });
    const first = await call("GET", `/account/v3/projects/${PROJECT}`);
    expect(first.body).toMatchObject({ id: PROJECT, name: "default", organization_id: ORG });
    await call("PATCH", `/account/v3/projects/${PROJECT}`, { description: "mine" });
    await call("GET", "/nowhere?x=1");
    await sandbox.stop();
    sandbox = await startSandbox({ dataDir: path.join(dir, "data"), token: TOKEN, account });
    expect((await call("GET", `/account/v3/projects/${PROJECT}`)).body.description).toBe("mine");
    expect(entries).toEqual([
      { method: "GET", url: `/account/v3/projects/${PROJECT}`, status: 200, error: undefined },
      { method: "PATCH", url: `/account/v3/projects/${PROJECT}`, status: 200, error: undefined },
      { method: "GET", url: "/nowhere?x=1", status: 404, error: "route" },
    ]);
  });

  it("stores an ephemeral policy's duration in its short form, as the API answers it", async () => {
    await start();
    const policy = { time_to_live: "1800.000000000s", expires_once_accessed: false, action: "disable" };
    const s = await createSecret("short-lived", { ephemeral_policy: policy });
    expect(s.ephemeral_policy).toEqual({ time_to_live: "1800s", expires_once_accessed: false, action: "disable" });
    expect((await call("GET", `${SECRETS}?ephemeral=true`)).body.total_count).toBe(1);
    expect((await call("GET", `${SECRETS}?ephemeral=false`)).body.total_count).toBe(0);
  });
});

describe("persistence", () => {
  it("keeps its state across a restart on the same folder, written atomically and readable by its owner only", async () => {
    await start();
    const project = await call("POST", "/account/v3/projects", { name: "kept", organization_id: ORG });
    const secrets = await Promise.all(Array.from({ length: 10 }, (_, i) => createSecret(`s${i}`)));
    await call("POST", `${SECRETS}/${secrets[0]?.id}/versions`, { data: b64("kept value") });
    await sandbox?.stop();
    await sandbox?.stop(); // a second stop is harmless
    sandbox = undefined;

    const files = await readdir(path.join(dir, "data"));
    expect(files).toEqual(["state.json"]);
    expect((await stat(path.join(dir, "data", "state.json"))).mode & 0o777).toBe(0o600);

    await start();
    expect((await call("GET", `/account/v3/projects/${project.body.id as string}`)).body.name).toBe("kept");
    expect((await call("GET", SECRETS)).body.total_count).toBe(10);
    expect((await call("GET", `${SECRETS}/${secrets[0]?.id}/versions/1/access`)).body.data).toBe(b64("kept value"));
    expect((await call("POST", `${SECRETS}/${secrets[0]?.id}/versions`, { data: b64("next") })).body.revision).toBe(2);
  });

  it("refuses a second sandbox on the same data folder or port, and frees the folder on stop", async () => {
    const first = await start();
    await expect(startSandbox({ dataDir: path.join(dir, "data") })).rejects.toThrow(/data folder .* is in use by process \d+/);
    const port = Number(new URL(first.url).port);
    await expect(startSandbox({ dataDir: path.join(dir, "other"), port })).rejects.toThrow(/EADDRINUSE/);
    // The failed start released its folder, and a stopped sandbox releases its own.
    const other = await startSandbox({ dataDir: path.join(dir, "other") });
    await other.stop();
    await first.stop();
    sandbox = await startSandbox({ dataDir: path.join(dir, "data"), token: TOKEN });
    expect((await call("GET", SECRETS)).status).toBe(200);
  });

  it("refuses a negative readyDelayMs before touching the folder", async () => {
    await expect(startSandbox({ dataDir: path.join(dir, "data"), readyDelayMs: -1 })).rejects.toThrow(/readyDelayMs must be .* ≥ 0/);
    await expect(stat(path.join(dir, "data"))).rejects.toThrow(/ENOENT/);
  });

  it("takes over a data folder left locked by a process that is gone", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(path.join(dir, "data"));
    // Pid 2^22 + 1 is above Linux's pid_max ceiling: no process has it.
    await writeFile(path.join(dir, "data", "sandbox.pid"), String(4_194_305));
    await start();
    expect((await call("GET", SECRETS)).status).toBe(200);
  });

  it("refuses a data folder whose state.json is not a sandbox's, naming the file", async () => {
    const { writeFile, mkdir } = await import("node:fs/promises");
    await mkdir(path.join(dir, "data"));
    await writeFile(path.join(dir, "data", "state.json"), JSON.stringify({ hello: 1 }));
    await expect(startSandbox({ dataDir: path.join(dir, "data") })).rejects.toThrow(/state\.json is not a sandbox state file/);
  });
});
