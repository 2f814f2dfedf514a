/**
 * The object store against a real S3 server behind the fault proxy: transient failures are retried,
 * a conditional write whose answer was lost recognises its own success, permanent failures are not
 * retried, an outage longer than the retry budget is BackendUnavailableError.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import { EventRecorder } from "../../src/events/index.js";
import { BackendUnavailableError, PreconditionFailedError, type S3ObjectStore } from "../../src/objectstore/index.js";
import { requestTo, startFaultProxy, type FaultProxy, type RequestOutcome } from "../support/fault-proxy.js";
import { ensureS3ServerBinary, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";
import { rejection, storeFor, type StoreOptions } from "./helpers.js";

describe("S3 object store, faults", () => {
  let s3: S3Server;
  let proxy: FaultProxy;
  const opened: S3ObjectStore[] = [];

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "faults", versioning: true });
    proxy = await startFaultProxy({ upstream: s3.endpoint });
  }, 600_000);

  afterEach(() => {
    for (const store of opened.splice(0)) store.close();
    proxy.reset();
  });

  afterAll(async () => {
    await proxy?.close();
    await stopAllS3Servers();
  });

  /** A store whose requests go through the proxy. */
  function through(o: StoreOptions = {}): S3ObjectStore {
    const store = storeFor(s3, { endpoint: proxy.endpoint, ...o });
    opened.push(store);
    return store;
  }

  /** A store that talks to the server directly: "someone else". */
  function direct(): S3ObjectStore {
    const store = storeFor(s3);
    opened.push(store);
    return store;
  }

  const put = (key: string) => requestTo("PUT", `/${s3.bucket}/${key}`);
  const statuses = (method: string, key: string): RequestOutcome[] =>
    proxy.requests.filter((r) => r.method === method && decodeURIComponent(r.path) === `/${s3.bucket}/${key}`).map((r) => r.status);

  it("retries a 503 on createJson and writes the object once", async () => {
    const events = new EventRecorder();
    const store = through({ events });
    proxy.fail({ match: put("retry/one.json"), status: 503, times: 2 });
    const written = await store.createJson("retry/one.json", { n: 1 });
    expect(await store.getJson("retry/one.json")).toMatchObject({ value: { n: 1 }, etag: written.etag });
    expect(await store.list("retry/")).toEqual(["retry/one.json"]);
    expect(statuses("PUT", "retry/one.json")).toEqual([503, 503, 200]);
    const retries = events.ofType("retry.scheduled");
    expect(retries.map((e) => e.attempt)).toEqual([1, 2]);
    for (const e of retries) {
      expect(e).toMatchObject({ step: "state bucket", maxAttempts: 5 });
      expect(e.reason).toMatch(/server error \(HTTP 503 ServiceUnavailable\)/);
    }
  });

  it("retries every call: read, list, putJson, replaceJson, remove; SlowDown too", async () => {
    const events = new EventRecorder();
    const store = through({ events });
    const { etag } = await store.createJson("every/a.json", { v: 1 });
    proxy.fail({ status: 500 });
    expect(await store.read("every/a.json")).toMatchObject({ etag });
    proxy.fail({ status: 503, code: "SlowDown" });
    expect(await store.list("every/")).toEqual(["every/a.json"]);
    proxy.fail({ status: 429 });
    const forced = await store.putJson("every/a.json", { v: 2 });
    proxy.fail({ status: 502 });
    await store.replaceJson("every/a.json", { v: 3 }, forced.etag);
    proxy.fail({ status: 504 });
    await store.remove("every/a.json");
    expect(await store.read("every/a.json")).toBeNull();
    expect(proxy.pendingRules()).toBe(0);
    expect(events.ofType("retry.scheduled").map((e) => e.reason)).toEqual([
      expect.stringMatching(/HTTP 500/),
      expect.stringMatching(/rate limited \(HTTP 503 SlowDown\)/),
      expect.stringMatching(/rate limited \(HTTP 429/),
      expect.stringMatching(/HTTP 502/),
      expect.stringMatching(/HTTP 504/),
    ]);
  });

  it("recognises its own createJson when the answer was lost after the write", async () => {
    const events = new EventRecorder();
    const store = through({ events });
    proxy.dropAnswer({ match: put("lost/create.json") });
    const written = await store.createJson("lost/create.json", { mine: true });
    const stored = await direct().getJson("lost/create.json");
    expect(stored).toMatchObject({ value: { mine: true }, etag: written.etag });
    const [dropped, refused] = statuses("PUT", "lost/create.json");
    expect(dropped).toBe("dropped");
    expect([409, 412]).toContain(refused);
    expect(statuses("GET", "lost/create.json")).toEqual([200]);
    expect(events.ofType("retry.scheduled")).toHaveLength(1);
  });

  it("recognises its own replaceJson when the answer was lost after the write", async () => {
    const store = through();
    const first = await store.createJson("lost/replace.json", { v: 1 });
    proxy.dropAnswer({ match: put("lost/replace.json") });
    const written = await store.replaceJson("lost/replace.json", { v: 2 }, first.etag);
    expect(written.etag).not.toBe(first.etag);
    expect(await direct().getJson("lost/replace.json")).toMatchObject({ value: { v: 2 }, etag: written.etag });
    expect(statuses("PUT", "lost/replace.json").slice(1)).toEqual(["dropped", expect.any(Number)]);
  });

  it("still refuses a createJson when someone else created the key between two attempts", async () => {
    const other = direct();
    const store = through();
    proxy.fail({ match: put("race/create.json"), status: 503, during: () => other.createJson("race/create.json", { theirs: true }) });
    const err = await rejection(store.createJson("race/create.json", { mine: true }));
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect((err as PreconditionFailedError).key).toBe("race/create.json");
    expect((await other.getJson("race/create.json"))?.value).toEqual({ theirs: true });
  });

  it("still refuses a replaceJson when someone else replaced the object between two attempts", async () => {
    const other = direct();
    const store = through();
    const first = await store.createJson("race/replace.json", { v: 1 });
    proxy.fail({
      match: put("race/replace.json"),
      status: 503,
      during: () => other.replaceJson("race/replace.json", { theirs: true }, first.etag),
    });
    expect(await rejection(store.replaceJson("race/replace.json", { mine: true }, first.etag))).toBeInstanceOf(PreconditionFailedError);
    expect((await other.getJson("race/replace.json"))?.value).toEqual({ theirs: true });
  });

  it("refuses at once, without reading back, when the first attempt is refused", async () => {
    const store = through();
    await store.createJson("race/first.json", { v: 1 });
    proxy.reset();
    // Even the same bytes: without a lost answer before, the object is someone else's.
    expect(await rejection(store.createJson("race/first.json", { v: 1 }))).toBeInstanceOf(PreconditionFailedError);
    expect(proxy.requests.map((r) => r.method)).toEqual(["PUT"]);
  });

  it("does not retry permanent failures: refused credentials (403), a bad request (400), 501", async () => {
    const events = new EventRecorder();
    const wrong = through({ secretAccessKey: "not-the-secret", events });
    const err = await rejection(wrong.createJson("denied.json", {}));
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/access denied \(HTTP 403/);
    expect(proxy.requests).toHaveLength(1);

    const store = through({ events });
    proxy.fail({ status: 400, code: "InvalidRequest" });
    const bad = await rejection(store.read("any.json"));
    expect(bad).toBeInstanceOf(BackendUnavailableError);
    expect((bad as Error).message).toMatch(/unexpected answer \(HTTP 400 InvalidRequest\)/);
    expect(proxy.requests).toHaveLength(2);
    proxy.fail({ status: 501, code: "NotImplemented" });
    expect(await rejection(store.createJson("any.json", {}))).toBeInstanceOf(BackendUnavailableError);
    expect(proxy.requests).toHaveLength(3);
    expect(events.ofType("retry.scheduled")).toEqual([]);
  });

  it("gives up with BackendUnavailableError when an outage outlasts the retry budget", async () => {
    const events = new EventRecorder();
    const budgetMs = 600;
    const store = through({ events, retry: { attempts: 100, baseDelayMs: 20, maxDelayMs: 100, budgetMs } });
    proxy.down();
    const started = Date.now();
    const err = await rejection(store.createJson("outage/long.json", {}));
    expect(Date.now() - started).toBeLessThan(budgetMs + 5000);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    const e = err as BackendUnavailableError;
    expect(e.message).toMatch(/network error \((ECONNRESET|socket hang up)\), still failing after \d+ attempts/);
    expect(e.hint).toMatch(/endpoint and region.*AWS_ACCESS_KEY_ID.*SCW_ACCESS_KEY.*network/);
    expect(e.hint).not.toMatch(/nothing was written/);
    expect(events.ofType("retry.scheduled").length).toBeGreaterThan(0);
    expect(new Set(proxy.requests.map((r) => r.status))).toEqual(new Set(["refused"]));
    proxy.up();
    expect(await direct().read("outage/long.json")).toBeNull();
  });

  it("rides out an outage shorter than the retry budget", async () => {
    const store = through({ retry: { attempts: 100, baseDelayMs: 20, maxDelayMs: 100, budgetMs: 20_000 } });
    proxy.outage(300);
    const written = await store.createJson("outage/short.json", { ok: true });
    expect(await direct().getJson("outage/short.json")).toMatchObject({ value: { ok: true }, etag: written.etag });
    const seen = proxy.requests.map((r) => r.status);
    expect(seen[0]).toBe("refused");
    expect(seen.at(-1)).toBe(200);
  });

  it("retries a request that got no answer within requestTimeoutMs", async () => {
    const events = new EventRecorder();
    const store = through({ events, requestTimeoutMs: 500 });
    await store.createJson("slow.json", { v: 1 });
    proxy.stall({ match: requestTo("GET", "/slow.json") });
    expect(await store.getJson("slow.json")).toMatchObject({ value: { v: 1 } });
    expect(statuses("GET", "slow.json")).toEqual(["stalled", 200]);
    expect(events.ofType("retry.scheduled")[0]?.reason).toMatch(/no answer within 500 ms/);
  });

  it("stops retrying when the run is interrupted", async () => {
    const ctl = new AbortController();
    const interrupt = { emit: () => ctl.abort(new InterruptedError("SIGINT")) };
    const store = through({
      events: interrupt,
      signal: ctl.signal,
      retry: { attempts: 100, baseDelayMs: 5000, maxDelayMs: 5000, budgetMs: 600_000 },
    });
    proxy.down();
    const started = Date.now();
    const err = await rejection(store.read("interrupted.json"));
    expect(err).toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(proxy.requests).toHaveLength(1);
  });
});
