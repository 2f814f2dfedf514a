import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { requestTo, startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { ensureS3ServerBinary, s3Client, startS3Server, stopAllS3Servers, type S3Server } from "./s3-server.js";

const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

/** The error of a failed call (the test expects it to fail). */
async function failure(p: Promise<unknown>): Promise<{ status?: number; name: string; code?: string }> {
  try {
    await p;
  } catch (err) {
    const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
    return { status: e.$metadata?.httpStatusCode, name: e.name ?? String(err), code: e.code };
  }
  throw new Error("expected the call to fail, it succeeded");
}

describe("fault proxy in front of the S3 test server", () => {
  let s3: S3Server;
  let proxy: FaultProxy;
  let direct: S3Client;
  let proxied: S3Client;

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "proxied" });
    proxy = await startFaultProxy({ upstream: s3.endpoint });
    direct = s3Client(s3);
    // Signed for the proxy's host: the proxy must pass Host and the signature through untouched.
    proxied = s3Client(s3, { endpoint: proxy.endpoint });
  }, 600_000);

  afterEach(() => proxy.reset());

  afterAll(async () => {
    direct?.destroy();
    proxied?.destroy();
    await proxy?.close();
    await stopAllS3Servers();
  });

  it("passes signed requests through unchanged: bodies, streams, query, headers, conditional answers", async () => {
    const big = randomBytes(3 * 1024 * 1024);
    await proxied.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "p/big.bin", Body: big, Metadata: { origin: "proxy" } }));
    const streamed = randomBytes(256 * 1024);
    // Chunks of 8 KiB or more: S3 (versitygw too) refuses smaller aws-chunked chunks but the last.
    const stream = Readable.from([streamed.subarray(0, 64 * 1024), streamed.subarray(64 * 1024)]);
    await proxied.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "p/stream.bin", Body: stream, ContentLength: streamed.length }));

    const got = await direct.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "p/big.bin" }));
    expect(sha256(await got.Body!.transformToByteArray())).toBe(sha256(big));
    expect(got.Metadata).toEqual({ origin: "proxy" });
    const back = await proxied.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "p/stream.bin" }));
    expect(sha256(await back.Body!.transformToByteArray())).toBe(sha256(streamed));
    expect(back.ETag).toBe((await direct.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "p/stream.bin" }))).ETag);
    expect(back.$metadata.httpStatusCode).toBe(200);

    const list = await proxied.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "p/", MaxKeys: 1 }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(["p/big.bin"]);
    expect(list.IsTruncated).toBe(true);
    expect(
      await failure(proxied.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "p/big.bin", Body: "x", IfNoneMatch: "*" }))),
    ).toMatchObject({
      status: 412,
    });

    const listed = proxy.requests.find((r) => r.method === "GET" && r.query.includes("list-type=2"));
    expect(listed).toMatchObject({ path: `/${s3.bucket}/`, status: 200 });
    expect(listed?.query).toMatch(/max-keys=1/);
    expect(listed?.query).toMatch(/prefix=p%2F/);
    expect(proxy.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 412]);
  });

  it("applies rules in order, only to the requests they match, `times` times", async () => {
    proxy.fail({ match: requestTo("GET", "/r.json"), status: 500, times: 2 });
    proxy.fail({ status: 503 });
    expect(await failure(proxied.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "r.json", Body: "{}" })))).toMatchObject({
      status: 503,
    });
    await proxied.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "r.json", Body: "{}" }));
    expect(await failure(proxied.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "r.json" })))).toMatchObject({
      status: 500,
      name: "InternalError",
    });
    expect(await failure(proxied.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "r.json" })))).toMatchObject({ status: 500 });
    await proxied.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "r.json" }));
    expect(proxy.pendingRules()).toBe(0);
    expect(proxy.requests.map((r) => `${r.method} ${r.status}`)).toEqual(["PUT 503", "PUT 200", "GET 500", "GET 500", "GET 200"]);
  });

  it("drops the answer after upstream applied the write", async () => {
    let during = 0;
    proxy.dropAnswer({ match: requestTo("PUT", "/dropped.json"), during: () => void during++ });
    const err = await failure(proxied.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "dropped.json", Body: '{"kept":true}' })));
    expect(err.code ?? err.name).toMatch(/ECONNRESET|socket hang up/i);
    const got = await direct.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "dropped.json" }));
    expect(await got.Body?.transformToString()).toBe('{"kept":true}');
    expect(during).toBe(1);
    expect(proxy.requests).toMatchObject([{ method: "PUT", status: "dropped", upstreamStatus: 200 }]);
  });

  it("refuses every request while down or during an outage", async () => {
    proxy.down();
    await failure(proxied.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "r.json" })));
    proxy.up();
    await proxied.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "r.json" }));
    proxy.outage(60_000);
    await failure(proxied.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "r.json" })));
    proxy.outage(0);
    await proxied.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "r.json" }));
    expect(proxy.requests.map((r) => r.status)).toEqual(["refused", 200, "refused", 200]);
  });

  it("holds a stalled request until the client gives up", async () => {
    proxy.stall({ match: requestTo("HEAD", "/r.json") });
    const started = Date.now();
    const head = new HeadObjectCommand({ Bucket: s3.bucket, Key: "r.json" });
    expect(await failure(proxied.send(head, { abortSignal: AbortSignal.timeout(1000) }))).toMatchObject({ name: "AbortError" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(proxy.requests).toMatchObject([{ method: "HEAD", status: "stalled" }]);
  });

  it("only forwards to this machine", async () => {
    await expect(startFaultProxy({ upstream: "http://example.com:9000" })).rejects.toThrow(/only forwards to http:\/\/127\.0\.0\.1/);
    await expect(startFaultProxy({ upstream: "https://127.0.0.1:9000" })).rejects.toThrow(/only forwards/);
  });
});
