// The cassette-replay fidelity harness, tested on its own: the comparator, the id mapping, the skip rules, the
// polling rule, and a replay of the provider's real recordings (secret, account) against stand-in servers that
// answer with the recorded answers (no mismatch allowed) or with a wrong one (it must be reported).
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import { type AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { assertFaithful, formatReport, replayCassettes, replayFidelity, rewriteIds, type FidelityReport } from "./cassette-replay.js";
import { startStandIn, type StandIn } from "./cassette-standin.js";
import {
  CassettesMissingError,
  loadCassettes,
  parseCassette,
  providerServicesDir,
  SERVED_PATHS,
  skipReason,
  type Cassette,
  type Interaction,
} from "./cassettes.js";
import { compareShape, type JsonValue } from "./fidelity-compare.js";

const TOKEN = "f1de11ty-0000-4000-8000-000000000000";
const SERVICES = ["secret", "account"];
const served = SERVICES.flatMap((s) => SERVED_PATHS[s] ?? []);

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function standIn(cassettes: Cassette[], options: Parameters<typeof startStandIn>[1]): Promise<StandIn> {
  const s = await startStandIn(cassettes, options);
  open.push(s);
  return s;
}

const exchange = (method: string, path: string, code: number, response: unknown, body?: unknown): Interaction => ({
  request: { method, url: `https://api.scaleway.com${path}`, body: body === undefined ? "" : JSON.stringify(body), headers: {} },
  response: { code, body: response === undefined ? "" : JSON.stringify(response), headers: {} },
});

describe("compareShape", () => {
  it("compares field names and value types, not values", () => {
    const r = compareShape(
      { id: "a", n: 1, ok: true, tags: ["x"], o: { k: null } },
      { id: "b", n: 7, ok: false, tags: ["y", "z"], o: { k: null } },
    );
    expect(r.mismatches).toEqual([]);
    expect(r.extras).toEqual([]);
    // id, n, ok, tags, tags[0], tags[1], o, o.k
    expect(r.compared).toBe(8);
  });

  it("reports a missing field and a type change, with their paths", () => {
    const r = compareShape({ a: 1, b: "s", c: true }, { a: "1", c: true });
    expect(r.mismatches).toEqual([
      { path: "$.a", kind: "type", expected: "number", actual: "string" },
      { path: "$.b", kind: "missing", expected: "string" },
    ]);
  });

  it("tells null from a string, an object or an array, both ways", () => {
    const r = compareShape({ a: null, b: "x", c: null, d: [] }, { a: "x", b: null, c: {}, d: null });
    expect(r.mismatches.map((m) => `${m.path}:${m.expected}->${m.actual}`)).toEqual([
      "$.a:null->string",
      "$.b:string->null",
      "$.c:null->object",
      "$.d:array->null",
    ]);
  });

  it("walks nested arrays: each element against the recorded element of its index, or the last one", () => {
    const recorded = {
      versions: [
        { revision: 1, tags: [["a"]] },
        { revision: 2, tags: [["b"]] },
      ],
    };
    const ours = {
      versions: [
        { revision: 1, tags: [["a"]] },
        { revision: 2, tags: [[3]] },
        { revision: "3", tags: [] },
      ],
    };
    const r = compareShape(recorded, ours);
    expect(r.mismatches).toEqual([
      { path: "$.versions[1].tags[0][0]", kind: "type", expected: "string", actual: "number" },
      { path: "$.versions[2].revision", kind: "type", expected: "number", actual: "string" },
    ]);
  });

  it("compares no element when either array is empty (the items are values), and reports extras apart", () => {
    expect(compareShape({ l: [] }, { l: [{ any: 1 }] }).mismatches).toEqual([]);
    expect(compareShape({ l: [{ id: "x" }] }, { l: [] }).mismatches).toEqual([]);
    const r = compareShape({ a: { b: 1 } }, { a: { b: 1, c: 2 }, d: 3 });
    expect(r.mismatches).toEqual([]);
    expect(r.extras).toEqual(["$.a.c", "$.d"]);
  });

  it("reports a root of another type", () => {
    expect(compareShape({ a: 1 }, [] as JsonValue).mismatches).toEqual([{ path: "$", kind: "type", expected: "object", actual: "array" }]);
  });
});

describe("cassettes", () => {
  it("parses go-vcr v2 interactions", () => {
    const c = parseCassette(
      "secret",
      "x",
      `---\nversion: 2\ninteractions:\n    - id: 0\n      request:\n        body: '{"a":1}'\n        url: https://api.scaleway.com/p\n` +
        `        method: POST\n      response:\n        body: '{"id":"i"}'\n        status: 200 OK\n        code: 200\n`,
    );
    expect(c.interactions).toEqual([
      {
        request: { method: "POST", url: "https://api.scaleway.com/p", body: '{"a":1}', headers: {} },
        response: { code: 200, body: '{"id":"i"}', headers: {} },
      },
    ]);
  });

  it("skips cassettes that are empty, call another host or API, or read a resource they did not create", () => {
    const secrets = "/secret-manager/v1beta1/regions/fr-par/secrets";
    const id = "98ba1319-16e6-4547-b249-175a9393989d";
    const make = (...interactions: Interaction[]): Cassette => ({ service: "secret", name: "t", interactions });
    expect(skipReason(make(), served)).toBe("no recorded interaction");
    const other = make(exchange("GET", secrets, 200, {}), {
      ...exchange("GET", "/", 200, {}),
      request: { ...exchange("GET", "/", 200, {}).request, url: "https://s3.fr-par.scw.cloud/b" },
    });
    expect(skipReason(other, served)).toMatch(/interaction 1 calls s3\.fr-par\.scw\.cloud/);
    expect(skipReason(make(exchange("GET", "/rdb/v1/regions/fr-par/instances", 200, {})), served)).toMatch(/outside the served APIs/);
    const reads = make(exchange("GET", `${secrets}/${id}`, 200, { id }));
    expect(skipReason(reads, served)).toMatch(new RegExp(`reads ${id}, a resource that existed before the recording`));
    expect(skipReason(reads, served, { [id]: randomUUID() })).toBeUndefined();
    const creates = make(exchange("POST", secrets, 200, { id }, { name: "s" }), exchange("GET", `${secrets}/${id}`, 200, { id }));
    expect(skipReason(creates, served)).toBeUndefined();
  });

  it("fails with the fix when the provider module is not in the Go module cache", () => {
    const empty = mkdtempSync(join(tmpdir(), "gomodcache-"));
    try {
      expect(() => providerServicesDir(empty)).toThrow(CassettesMissingError);
      expect(() => providerServicesDir(empty)).toThrow(/not in the Go module cache[\s\S]*Run `bash scripts\/toolchain\.sh`/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    expect(() => loadCassettes(["secret"], "/nonexistent/internal/services")).toThrow(/no cassettes for service "secret"/);
  });

  it("refuses a service whose API paths it does not know, and a replay of nothing", async () => {
    await expect(replayFidelity({ baseUrl: "http://127.0.0.1:9", token: TOKEN, services: ["lb"] })).rejects.toThrow(
      /no served API paths for lb: add them to SERVED_PATHS/,
    );
    const nothing = await replayCassettes([{ service: "secret", name: "empty", interactions: [] }], {
      baseUrl: "http://127.0.0.1:9",
      token: TOKEN,
    });
    expect(() => assertFaithful(nothing)).toThrow(/no cassette was replayed\n[\s\S]*skipped secret\/empty: no recorded interaction/);
  });

  it("maps recorded ids to ours in paths, queries and bodies", () => {
    const ids = new Map([["aaaa", "1111"]]);
    expect(rewriteIds('/x/aaaa?project_ids=aaaa&b=c {"secret_id":"aaaa"}', ids)).toBe('/x/1111?project_ids=1111&b=c {"secret_id":"1111"}');
  });
});

describe("replay against stand-in servers", () => {
  const secrets = "/secret-manager/v1beta1/regions/fr-par/secrets";
  const recordedId = "98ba1319-16e6-4547-b249-175a9393989d";
  const secret = (status: string): Record<string, JsonValue> => ({ id: recordedId, name: "s", status, version_count: 0, key_id: null });
  const lifecycle: Cassette = {
    service: "secret",
    name: "lifecycle",
    interactions: [
      exchange("POST", secrets, 200, secret("ready"), { name: "s", project_id: "105bdce1-64c0-48ab-899d-868455867ecf" }),
      exchange("GET", `${secrets}/${recordedId}`, 200, secret("ready")),
      exchange("PATCH", `${secrets}/${recordedId}`, 200, secret("ready"), { name: "t" }),
      exchange("GET", `${secrets}/${recordedId}/versions?page=1`, 200, { versions: [], total_count: 0 }),
      exchange("DELETE", `${secrets}/${recordedId}`, 204, undefined),
      exchange("GET", `${secrets}/${recordedId}`, 404, {
        message: "resource is not found",
        resource: "secret",
        resource_id: recordedId,
        type: "not_found",
      }),
    ],
  };

  it("learns the id of each create and sends ours afterwards; the stand-in refuses recorded ids it replaced", async () => {
    const s = await standIn([lifecycle], { token: TOKEN });
    const report = await replayCassettes([lifecycle], { baseUrl: s.url, token: TOKEN });
    expect(report.mismatches).toEqual([]);
    expect(s.answered()).toBe(6);
    expect(report).toMatchObject({ cassettesReplayed: 1, interactions: 6, polls: 0, skipped: [] });
  });

  it("reports a transport mismatch for each request no server answers", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const report = await replayCassettes([lifecycle], { baseUrl: `http://127.0.0.1:${port}`, token: TOKEN });
    expect(report.mismatches.map((m) => m.kind)).toEqual(Array(6).fill("transport"));
    expect(report.mismatches[0]!.detail).toMatch(/^no answer: /);
  });

  it("reports every answer as a status mismatch when the token is not the one the server expects", async () => {
    const s = await standIn([lifecycle], { token: TOKEN });
    const report = await replayCassettes([lifecycle], { baseUrl: s.url, token: "wrong" });
    // Only the status: a body of another kind (an error's) is not compared field by field.
    expect(report.mismatches.map((m) => m.kind)).toEqual(Array(6).fill("status"));
    expect(report.mismatches[0]!.detail).toMatch(/status 401, recorded 200/);
    expect(formatReport(report)).toContain(
      `MISMATCH GET ${secrets}/{id}: status: status 401, recorded 200: {"message":"authentication is denied","type":"denied_authentication"} (1x, first in secret/lifecycle #1)`,
    );
  });

  it("reports a wrong field type, a missing field and a missing body; an extra field is only a warning", async () => {
    const s = await standIn([lifecycle], {
      token: TOKEN,
      mutate: (_c, n, body) => {
        if (n !== 1 || body === null || typeof body !== "object" || Array.isArray(body)) return body;
        const { key_id: _dropped, ...rest } = body;
        return { ...rest, version_count: "0", extra: true };
      },
    });
    const report = await replayCassettes([lifecycle], { baseUrl: s.url, token: TOKEN });
    expect(report.mismatches.map((m) => `${m.interaction} ${m.kind}: ${m.detail}`)).toEqual([
      "1 type: $.version_count is string, recorded number",
      "1 missing: $.key_id (null) is missing",
    ]);
    expect(report.warnings).toEqual([
      { cassette: "secret/lifecycle", interaction: 1, request: `GET ${secrets}/${recordedId}`, extras: ["$.extra"] },
    ]);
    expect(formatReport(report)).toContain(`extra field (warning): GET ${secrets}/{id} $.extra`);
  });

  it("polls a GET while our resource is transient, compares the settled answer, and reports one that never settles", async () => {
    const transientFor = { gets: 2 };
    let gets = 0;
    const ourId = randomUUID();
    const server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        const state = req.method === "GET" && gets++ < transientFor.gets ? "creating" : "ready";
        res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ ...secret(state), id: ourId }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    open.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const polling: Cassette = { service: "secret", name: "polling", interactions: lifecycle.interactions.slice(0, 2) };

    const settles = await replayCassettes([polling], { baseUrl, token: TOKEN, pollIntervalMs: 10 });
    expect(settles.mismatches).toEqual([]);
    expect(settles.polls).toBe(2);

    gets = 0;
    transientFor.gets = Number.POSITIVE_INFINITY;
    const never = await replayCassettes([polling], { baseUrl, token: TOKEN, pollIntervalMs: 10, pollTimeoutMs: 200 });
    expect(never.mismatches).toEqual([
      expect.objectContaining({ interaction: 1, kind: "state", detail: expect.stringMatching(/still creating/) }),
    ]);
  });
});

describe("replay of the provider's recorded Scaleway traffic (secret, account)", () => {
  // The recordings as served: the harness must find no mismatch in them. `foreignIds` maps the recording
  // account's default project/organization, so the cassettes that read it are replayed too.
  const defaultProject = "105bdce1-64c0-48ab-899d-868455867ecf";

  async function replayAgainstRecordings(
    foreignIds: Record<string, string> | undefined,
  ): Promise<{ report: FidelityReport; served: number }> {
    const replayable = loadCassettes(SERVICES).filter((c) => skipReason(c, served, foreignIds) === undefined);
    const s = await standIn(replayable, { token: TOKEN, foreignIds });
    const report = await replayFidelity({ baseUrl: s.url, token: TOKEN, services: SERVICES, foreignIds });
    return { report, served: s.answered() };
  }

  it("replays every served cassette with no mismatch, skips the others with a reason, and prints the coverage", async () => {
    const { report, served: answered } = await replayAgainstRecordings(undefined);
    console.log(formatReport(report));
    expect(report.mismatches).toEqual([]);
    expect(() => assertFaithful(report)).not.toThrow();
    expect(report.warnings).toEqual([]);
    expect(answered).toBe(report.interactions);
    expect(report.cassettesReplayed).toBeGreaterThanOrEqual(28);
    expect(report.interactions).toBeGreaterThan(700);
    expect(report.fieldsCompared).toBeGreaterThan(10_000);
    // list-secret-versions-all-secrets lists the recording account's other secrets, then reads each of them.
    expect(report.skipped).toEqual([
      {
        cassette: "secret/list-secret-versions-all-secrets",
        reason: expect.stringMatching(/^interaction 23 reads 932f9b5d-\S+, a resource that existed/),
      },
      { cassette: "secret/secret-version-data-error", reason: "no recorded interaction" },
      {
        cassette: "account/data-source-project-default",
        reason: expect.stringMatching(`reads ${defaultProject}, a resource that existed`),
      },
      {
        cassette: "account/data-source-project-extract",
        reason: expect.stringMatching(`reads ${defaultProject}, a resource that existed`),
      },
    ]);
  });

  it("replays the cassettes that read the default project once it is mapped to ours", async () => {
    const { report } = await replayAgainstRecordings({ [defaultProject]: randomUUID() });
    expect(report.mismatches).toEqual([]);
    expect(report.skipped.map((s) => s.cassette)).toEqual(["secret/list-secret-versions-all-secrets", "secret/secret-version-data-error"]);
    expect(report.cassettesReplayed).toBe(31);
  });

  it("reports a field of the wrong type in a real recording, one line per kind of request in the printed report", async () => {
    const replayable = loadCassettes(SERVICES).filter((c) => skipReason(c, served) === undefined);
    const s = await standIn(replayable, {
      token: TOKEN,
      mutate: (cassette, _n, body) =>
        cassette === "secret/secret-basic" && body !== null && typeof body === "object" && !Array.isArray(body) && "protected" in body
          ? { ...body, protected: "false" }
          : body,
    });
    const report = await replayFidelity({ baseUrl: s.url, token: TOKEN, services: SERVICES });
    expect(() => assertFaithful(report)).toThrow(/the answers differ from Scaleway's recorded ones\n.*mismatches/);
    expect(report.mismatches[0]).toEqual({
      cassette: "secret/secret-basic",
      interaction: 0,
      request: "POST /secret-manager/v1beta1/regions/fr-par/secrets",
      kind: "type",
      detail: "$.protected is string, recorded boolean",
    });
    expect(report.mismatches.length).toBeGreaterThan(5);
    expect(new Set(report.mismatches.map((m) => `${m.cassette} ${m.kind} ${m.detail}`))).toEqual(
      new Set(["secret/secret-basic type $.protected is string, recorded boolean"]),
    );
    const printed = formatReport(report);
    expect(printed).toContain(
      "MISMATCH POST /secret-manager/v1beta1/regions/fr-par/secrets: type: $.protected is string, recorded boolean (1x, first in secret/secret-basic #0)",
    );
    const gets = report.mismatches.filter((m) => m.request.startsWith("GET")).length;
    expect(printed).toContain(
      `MISMATCH GET /secret-manager/v1beta1/regions/fr-par/secrets/{id}: type: $.protected is string, recorded boolean (${gets}x, first in secret/secret-basic #1)`,
    );
  });
});
