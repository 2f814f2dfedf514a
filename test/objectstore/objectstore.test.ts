import { createServer, type Server, type Socket } from "node:net";
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BackendUnavailableError,
  createObjectStore,
  PreconditionFailedError,
  UnreadableObjectError,
  type S3ObjectStore,
} from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, s3Client, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";
import { near, rejection, storeFor } from "./helpers.js";

describe("S3 object store", () => {
  let s3: S3Server;
  let store: S3ObjectStore;

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "objects", versioning: true });
    store = storeFor(s3);
  }, 600_000);

  afterAll(async () => {
    store?.close();
    await stopAllS3Servers();
  });

  it("creates, reads, replaces and lists JSON objects", async () => {
    const { etag } = await store.createJson("a/one.json", { n: 1 });
    expect(etag).toBeTruthy();
    expect(await store.getJson<{ n: number }>("a/one.json")).toMatchObject({ value: { n: 1 }, etag });
    const next = await store.replaceJson("a/one.json", { n: 2 }, etag);
    expect(next.etag).not.toBe(etag);
    expect(await store.getJson("a/one.json")).toMatchObject({ value: { n: 2 }, etag: next.etag });
    await store.createJson("a/two.json", { n: 3 });
    await store.createJson("b/three.json", { n: 4 });
    expect(await store.list("a/")).toEqual(["a/one.json", "a/two.json"]);
    expect(await store.getJson("a/missing.json")).toBeNull();
  });

  it("lists every page", async () => {
    const keys = Array.from({ length: 1005 }, (_, i) => `many/${String(i).padStart(5, "0")}.json`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.createJson(k, {})));
    expect(await store.list("many/")).toEqual(keys);
  });

  it("writes pretty JSON as application/json", async () => {
    await store.createJson("pretty.json", { a: [1] });
    const res = await fetchRaw(s3, "pretty.json");
    expect(res).toBe(JSON.stringify({ a: [1] }, null, 2));
  });

  it("refuses a second create of the same key", async () => {
    await store.createJson("twice.json", { first: true });
    const err = await rejection(store.createJson("twice.json", { first: false }));
    expect(err).toBeInstanceOf(PreconditionFailedError);
    expect((err as PreconditionFailedError).key).toBe("twice.json");
    expect((await store.getJson("twice.json"))?.value).toEqual({ first: true });
  });

  it("refuses a replace with a stale ETag, and an If-Match on a missing key", async () => {
    const v1 = await store.createJson("cas.json", { v: 1 });
    await store.replaceJson("cas.json", { v: 2 }, v1.etag);
    expect(await rejection(store.replaceJson("cas.json", { v: 3 }, v1.etag))).toBeInstanceOf(PreconditionFailedError);
    expect((await store.getJson("cas.json"))?.value).toEqual({ v: 2 });
    expect(await rejection(store.replaceJson("never-written.json", { v: 1 }, v1.etag))).toBeInstanceOf(PreconditionFailedError);
  });

  it("checks the bucket", async () => {
    await expect(store.checkBucket(5000)).resolves.toBeUndefined();
  });

  it("reports a missing bucket clearly", async () => {
    const other = storeFor(s3, { bucket: "no-such-bucket" });
    try {
      const err = await rejection(other.checkBucket(5000));
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as Error).message).toMatch(/no-such-bucket.*does not exist/);
      // A read is no "missing key": the bucket itself is missing.
      const read = await rejection(other.read("x.json"));
      expect(read).toBeInstanceOf(BackendUnavailableError);
      expect((read as Error).message).toMatch(/does not exist \(HTTP 404 NoSuchBucket\)/);
    } finally {
      other.close();
    }
  });

  it("reports refused credentials clearly", async () => {
    const wrong = storeFor(s3, { secretAccessKey: "not-the-secret" });
    try {
      const err = await rejection(wrong.checkBucket(5000));
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as BackendUnavailableError).message).toMatch(
        /"objects" at http:\/\/127\.0\.0\.1:\d+ .*access denied \(HTTP 403.*credentials/,
      );
      expect((err as BackendUnavailableError).hint).toMatch(/credentials/);
      // Other operations say the same, not a bare SDK error.
      const put = await rejection(wrong.createJson("denied.json", {}));
      expect(put).toBeInstanceOf(BackendUnavailableError);
      expect((put as Error).message).toMatch(/access denied \(HTTP 403 (InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied)/);
    } finally {
      wrong.close();
    }
  });

  it("reads an object's raw text; getJson of one that is not JSON names the key", async () => {
    await putRaw(s3, "raw/notes.txt", "not { json");
    const raw = await store.read("raw/notes.txt");
    expect(raw).toMatchObject({ text: "not { json", etag: expect.any(String) as string });
    const err = await rejection(store.getJson("raw/notes.txt"));
    expect(err).toBeInstanceOf(UnreadableObjectError);
    expect((err as UnreadableObjectError).key).toBe("raw/notes.txt");
    expect((err as Error).message).toMatch(/raw\/notes\.txt is unreadable: not JSON/);
    expect(await store.read("raw/missing.txt")).toBeNull();
  });

  it("gives the bucket's times: serverTime from the HTTP Date, lastModified of the object", async () => {
    const before = Date.now();
    const written = await store.createJson("times.json", { t: 1 });
    const read = await store.read("times.json");
    if (read === null) throw new Error("times.json is missing");
    // HTTP dates have whole seconds: a time made on this host would not, but for one call in a thousand.
    expect(written.serverTime.getMilliseconds()).toBe(0);
    expect(read.serverTime.getMilliseconds()).toBe(0);
    expect(near(read.lastModified, read.serverTime)).toBe(true);
    expect(near(written.serverTime, read.lastModified)).toBe(true);
    expect(near(read.serverTime, before)).toBe(true);
    // No strict order between the two: versitygw's Date lags by up to a second, so it may read a
    // second earlier than the Last-Modified of the object written just before.
    const json = await store.getJson("times.json");
    expect(json).toMatchObject({ value: { t: 1 }, etag: read.etag, lastModified: read.lastModified });
  });

  it("lists objects with their Last-Modified and the bucket's clock", async () => {
    await store.createJson("listed/b.json", {});
    await store.createJson("listed/a.json", {});
    const listing = await store.listObjects("listed/");
    expect(listing.objects.map((o) => o.key)).toEqual(["listed/a.json", "listed/b.json"]);
    for (const o of listing.objects) {
      expect(o.lastModified).toBeInstanceOf(Date);
      expect(near(o.lastModified, listing.serverTime)).toBe(true);
    }
    expect(near(listing.serverTime, Date.now())).toBe(true);
    expect(listing.serverTime.getMilliseconds()).toBe(0);
    expect(await store.listObjects("listed/none/")).toMatchObject({ objects: [] });
  });

  it("overwrites with putJson whatever is there", async () => {
    const first = await store.putJson("forced.json", { v: 1 });
    const second = await store.putJson("forced.json", { v: 2 });
    expect(second.etag).not.toBe(first.etag);
    expect(await store.getJson("forced.json")).toMatchObject({ value: { v: 2 }, etag: second.etag });
  });

  it("removes objects; an absent key is fine, a removed one reads as none (delete marker)", async () => {
    await store.createJson("gone.json", {});
    await store.remove("gone.json");
    await store.remove("gone.json");
    await store.remove("never-there.json");
    expect(await store.read("gone.json")).toBeNull();
    expect(await store.getJson("gone.json")).toBeNull();
    expect(await store.list("gone")).toEqual([]);
  });
});

describe("S3 object store, backend unavailable", () => {
  beforeAll(() => {
    ensureS3ServerBinary();
  }, 600_000);

  afterAll(async () => {
    await stopAllS3Servers();
  });

  it("fails checkBucket with BackendUnavailableError when the server is stopped", async () => {
    const s3 = await startS3Server({ bucket: "gone" });
    const store = storeFor(s3);
    try {
      await store.checkBucket(5000);
      await s3.stop();
      const timeoutMs = 2000;
      const started = Date.now();
      const err = await rejection(store.checkBucket(timeoutMs));
      expect(Date.now() - started).toBeLessThan(timeoutMs + 1000);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      const e = err as BackendUnavailableError;
      expect(e.code).toBe("backend_unavailable");
      expect(e.exitCode).toBe(10);
      expect(e.message).toContain(`"gone" at ${s3.endpoint}`);
      expect(e.message).toMatch(/connection refused|network error/);
      expect(e.hint).toMatch(/endpoint.*credentials.*network/);
      // A read fails the same way (the retry layer classifies it as transient).
      expect(await rejection(store.getJson("x.json"))).toBeInstanceOf(BackendUnavailableError);
    } finally {
      store.close();
    }
  });

  it("fails checkBucket within its timeout when the server accepts but never answers", async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    // A long request timeout: checkBucket's own deadline must win.
    const store = createObjectStore({
      bucket: "b",
      endpoint: `http://127.0.0.1:${port}`,
      region: "fr-par",
      accessKeyId: "k",
      secretAccessKey: "s",
      requestTimeoutMs: 60_000,
    });
    try {
      const timeoutMs = 1500;
      const started = Date.now();
      const err = await rejection(store.checkBucket(timeoutMs));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(timeoutMs - 50);
      expect(elapsed).toBeLessThan(timeoutMs + 1000);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as Error).message).toMatch(/no answer within 1500 ms/);
      expect(sockets.size).toBeGreaterThan(0);
    } finally {
      store.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("times out ordinary requests after requestTimeoutMs", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const address = silent.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const retry = { attempts: 2, baseDelayMs: 10, maxDelayMs: 10, budgetMs: 10_000 };
    const endpoint = `http://127.0.0.1:${port}`;
    const store = createObjectStore({
      bucket: "b",
      endpoint,
      region: "fr-par",
      accessKeyId: "k",
      secretAccessKey: "s",
      requestTimeoutMs: 800,
      retry,
    });
    try {
      const started = Date.now();
      const err = await rejection(store.getJson("k.json"));
      // Two attempts of 800 ms each: a timeout is transient, hence retried.
      expect(Date.now() - started).toBeLessThan(2 * 800 + 1000);
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as Error).message).toMatch(/no answer within 800 ms, still failing after 2 attempts/);
    } finally {
      store.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

/** The stored bytes, read with a plain presign-free client (the test server's own SDK client). */
async function fetchRaw(s3: S3Server, key: string): Promise<string> {
  const client = s3Client(s3);
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(res.ContentType).toBe("application/json");
    return (await res.Body?.transformToString()) ?? "";
  } finally {
    client.destroy();
  }
}

async function putRaw(s3: S3Server, key: string, body: string): Promise<void> {
  const client = s3Client(s3);
  try {
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body, ContentType: "text/plain" }));
  } finally {
    client.destroy();
  }
}
