import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BackendUnavailableError, createObjectStore, PreconditionFailedError, type S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";

function storeFor(s3: S3Server, extra: { accessKeyId?: string; secretAccessKey?: string; requestTimeoutMs?: number } = {}): S3ObjectStore {
  return createObjectStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    region: s3.region,
    accessKeyId: extra.accessKeyId ?? s3.accessKey,
    secretAccessKey: extra.secretAccessKey ?? s3.secretKey,
    requestTimeoutMs: extra.requestTimeoutMs ?? 5000,
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

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
    expect(await store.getJson<{ n: number }>("a/one.json")).toEqual({ value: { n: 1 }, etag });
    const next = await store.replaceJson("a/one.json", { n: 2 }, etag);
    expect(next.etag).not.toBe(etag);
    expect(await store.getJson("a/one.json")).toEqual({ value: { n: 2 }, etag: next.etag });
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
    const other = createObjectStore({ bucket: "no-such-bucket", endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey });
    try {
      const err = await rejection(other.checkBucket(5000));
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as Error).message).toMatch(/no-such-bucket.*does not exist/);
    } finally {
      other.close();
    }
  });

  it("reports refused credentials clearly", async () => {
    const wrong = storeFor(s3, { secretAccessKey: "not-the-secret" });
    try {
      const err = await rejection(wrong.checkBucket(5000));
      expect(err).toBeInstanceOf(BackendUnavailableError);
      expect((err as BackendUnavailableError).message).toMatch(/"objects" at http:\/\/127\.0\.0\.1:\d+ .*access denied \(HTTP 403.*credentials/);
      expect((err as BackendUnavailableError).hint).toMatch(/credentials/);
      // Other operations say the same, not a bare SDK error.
      const put = await rejection(wrong.createJson("denied.json", {}));
      expect(put).toBeInstanceOf(BackendUnavailableError);
      expect((put as Error).message).toMatch(/access denied \(HTTP 403 (InvalidAccessKeyId|SignatureDoesNotMatch|AccessDenied)/);
    } finally {
      wrong.close();
    }
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
    const store = createObjectStore({ bucket: "b", endpoint: `http://127.0.0.1:${port}`, region: "fr-par", accessKeyId: "k", secretAccessKey: "s", requestTimeoutMs: 60_000 });
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
    const store = createObjectStore({ bucket: "b", endpoint: `http://127.0.0.1:${port}`, region: "fr-par", accessKeyId: "k", secretAccessKey: "s", requestTimeoutMs: 800 });
    try {
      const started = Date.now();
      const err = await rejection(store.getJson("k.json"));
      expect(Date.now() - started).toBeLessThan(800 + 1000);
      expect(err).toBeInstanceOf(BackendUnavailableError);
    } finally {
      store.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

/** The stored bytes, read with a plain presign-free client (the test server's own SDK client). */
async function fetchRaw(s3: S3Server, key: string): Promise<string> {
  const { GetObjectCommand } = await import("@aws-sdk/client-s3");
  const { s3Client } = await import("../support/s3-server.js");
  const client = s3Client(s3);
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(res.ContentType).toBe("application/json");
    return (await res.Body?.transformToString()) ?? "";
  } finally {
    client.destroy();
  }
}
