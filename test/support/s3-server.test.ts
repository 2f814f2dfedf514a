import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { ensureS3ServerBinary, s3Client, startS3Server, stopAllS3Servers, type S3Server } from "./s3-server.js";

/** The HTTP status and error name of a failed S3 call. */
async function failure(p: Promise<unknown>): Promise<{ status: number | undefined; name: string; code?: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof S3ServiceException) {
      return { status: err.$metadata.httpStatusCode, name: err.name };
    }
    const e = err as { name?: string; code?: string; cause?: { code?: string } };
    return { status: undefined, name: e.name ?? String(err), code: e.code ?? e.cause?.code };
  }
  throw new Error("expected the call to fail, it succeeded");
}

describe("S3 test server (versitygw)", () => {
  let s3: S3Server;
  let client: S3Client;

  beforeAll(async () => {
    ensureS3ServerBinary(); // builds it once on a fresh machine (about a minute)
    s3 = await startS3Server({ bucket: "evalap-state" });
    client = s3Client(s3);
  }, 600_000);

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    await stopAllS3Servers();
  });

  it("listens on 127.0.0.1 with a fresh data dir and the bucket created", async () => {
    expect(s3.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s3.pid).toBeGreaterThan(0);
    expect(s3.running).toBe(true);
    const v = await client.send(new GetBucketVersioningCommand({ Bucket: s3.bucket }));
    expect(v.Status).toBeUndefined();
  });

  it("puts, gets, heads, lists and deletes objects", async () => {
    const put = await client.send(
      new PutObjectCommand({ Bucket: s3.bucket, Key: "dir/a.json", Body: '{"a":1}', ContentType: "application/json" }),
    );
    expect(put.ETag).toBeTruthy();
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "dir/b.json", Body: '{"b":2}' }));

    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "dir/a.json" }));
    expect(await got.Body?.transformToString()).toBe('{"a":1}');
    expect(got.ETag).toBe(put.ETag);

    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "dir/a.json" }));
    expect(head.ContentLength).toBe(7);
    expect(head.ETag).toBe(put.ETag);

    const list = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "dir/" }));
    expect(list.Contents?.map((o) => o.Key)).toEqual(["dir/a.json", "dir/b.json"]);

    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: "dir/a.json" }));
    expect(await failure(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: "dir/a.json" })))).toMatchObject({
      status: 404,
    });
    expect(await failure(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "dir/a.json" })))).toMatchObject({
      status: 404,
      name: "NoSuchKey",
    });
    const after = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: "dir/" }));
    expect(after.Contents?.map((o) => o.Key)).toEqual(["dir/b.json"]);
  });

  it("If-None-Match: * creates once, then answers 412 PreconditionFailed", async () => {
    const key = "locks/deploy.lock";
    const first = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "owner-1", IfNoneMatch: "*" }));
    expect(first.$metadata.httpStatusCode).toBe(200);
    const second = await failure(client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "owner-2", IfNoneMatch: "*" })));
    expect(second).toEqual({ status: 412, name: "PreconditionFailed" });
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe("owner-1");

    // Deleting the lock frees it again.
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
    const again = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "owner-3", IfNoneMatch: "*" }));
    expect(again.$metadata.httpStatusCode).toBe(200);
  });

  it("If-Match: a stale ETag answers 412, the current one replaces the object (compare-and-swap)", async () => {
    const key = "ledger/releases.json";
    const v1 = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "[1]" }));
    const v2 = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "[1,2]", IfMatch: v1.ETag }));
    expect(v2.$metadata.httpStatusCode).toBe(200);
    expect(v2.ETag).not.toBe(v1.ETag);

    // A writer that read v1 tries to write: rejected, the object keeps v2.
    const stale = await failure(client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "[1,3]", IfMatch: v1.ETag })));
    expect(stale).toEqual({ status: 412, name: "PreconditionFailed" });
    const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await got.Body?.transformToString()).toBe("[1,2]");

    // If-Match on an object that does not exist: 404 NoSuchKey (as AWS S3), not a blind create.
    const missing = await failure(
      client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "ledger/none.json", Body: "x", IfMatch: v1.ETag })),
    );
    expect(missing.status).toBe(404);
  });

  it("of 10 parallel clients creating the same key with If-None-Match: *, exactly one wins", async () => {
    const key = "locks/race.lock";
    const clients = Array.from({ length: 10 }, () => s3Client(s3));
    try {
      const results = await Promise.allSettled(
        clients.map((c, i) => c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: `owner-${i}`, IfNoneMatch: "*" }))),
      );
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      const losers = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(winners).toHaveLength(1);
      for (const l of losers) {
        const e = l.reason as S3ServiceException;
        // 412 PreconditionFailed, or 409 ConditionalRequestConflict as AWS answers a write in flight.
        expect([412, 409]).toContain(e.$metadata.httpStatusCode);
      }
      const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(await got.Body?.transformToString()).toBe(`owner-${winners[0]}`);
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it("of 10 parallel compare-and-swaps on the same ETag, exactly one wins", async () => {
    const key = "ledger/race.json";
    const base = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "base" }));
    const clients = Array.from({ length: 10 }, () => s3Client(s3));
    try {
      const results = await Promise.allSettled(
        clients.map((c, i) => c.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: `next-${i}`, IfMatch: base.ETag }))),
      );
      const winners = results.flatMap((r, i) => (r.status === "fulfilled" ? [i] : []));
      expect(winners).toHaveLength(1);
      const got = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
      expect(await got.Body?.transformToString()).toBe(`next-${winners[0]}`);
    } finally {
      for (const c of clients) c.destroy();
    }
  });
});

describe("S3 test server, versioned bucket", () => {
  let s3: S3Server;
  let client: S3Client;

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "evalap-ledger", versioning: true });
    client = s3Client(s3);
  }, 600_000);

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
  });

  it("has versioning enabled", async () => {
    const v = await client.send(new GetBucketVersioningCommand({ Bucket: s3.bucket }));
    expect(v.Status).toBe("Enabled");
  });

  it("keeps old versions when versioning is enabled", async () => {
    const key = "versioned.txt";
    const v1 = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "one" }));
    const v2 = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "two" }));
    expect(v1.VersionId).toBeTruthy();
    expect(v2.VersionId).toBeTruthy();
    expect(v2.VersionId).not.toBe(v1.VersionId);
    const versions = await client.send(new ListObjectVersionsCommand({ Bucket: s3.bucket, Prefix: key }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual([v1.VersionId, v2.VersionId].sort());
    const old = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key, VersionId: v1.VersionId }));
    expect(await old.Body?.transformToString()).toBe("one");
  });

  it("conditional writes work on a versioned bucket", async () => {
    const key = "ledger/v.json";
    const v1 = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "1", IfNoneMatch: "*" }));
    expect(await failure(client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "x", IfNoneMatch: "*" })))).toEqual({
      status: 412,
      name: "PreconditionFailed",
    });
    const v2 = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "2", IfMatch: v1.ETag }));
    expect(v2.VersionId).not.toBe(v1.VersionId);
    expect(await failure(client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "x", IfMatch: v1.ETag })))).toEqual({
      status: 412,
      name: "PreconditionFailed",
    });
  });

  // KNOWN DEVIATION of versitygw 1.8.0 from AWS S3, pinned here so that an upgrade that fixes it
  // shows up: in a versioned bucket a plain DeleteObject leaves a delete marker that the
  // conditional-write check still takes for the deleted object (its ETag is kept), so
  // `If-None-Match: *` answers 412 and `If-Match: <old etag>` succeeds. AWS treats a delete marker
  // as "no object". Consequences: release a lock in a versioned bucket by deleting its own
  // VersionId (permanent delete, which frees the key here and is the safer release anyway), and run
  // OpenTofu's `use_lockfile` (which deletes without a VersionId) against an unversioned bucket.
  it("versitygw 1.8.0: a delete marker still counts as the object for conditional writes", async () => {
    const key = "locks/versioned.lock";
    const put = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "a", IfNoneMatch: "*" }));
    const del = await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(del.DeleteMarker).toBe(true);
    expect(await failure(client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })))).toMatchObject({ status: 404 });
    // AWS S3 would accept this put; versitygw 1.8.0 refuses it.
    expect(await failure(client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "b", IfNoneMatch: "*" })))).toEqual({
      status: 412,
      name: "PreconditionFailed",
    });
    expect(put.VersionId).toBeTruthy();
  });

  it("deleting a lock by its VersionId frees the key for If-None-Match: *", async () => {
    const key = "locks/by-version.lock";
    const put = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "a", IfNoneMatch: "*" }));
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: key, VersionId: put.VersionId }));
    const again = await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: "b", IfNoneMatch: "*" }));
    expect(again.$metadata.httpStatusCode).toBe(200);
  });
});

describe("S3 test server lifecycle", () => {
  beforeAll(() => {
    ensureS3ServerBinary();
  }, 600_000);

  afterAll(async () => {
    await stopAllS3Servers();
  });

  it("after stop, clients fail fast with connection refused and the data dir is gone", async () => {
    const s3 = await startS3Server();
    const client = s3Client(s3);
    try {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: "k", Body: "v" }));
      await s3.stop();
      expect(s3.running).toBe(false);
      expect(() => process.kill(s3.pid, 0)).toThrow();
      const t0 = Date.now();
      const err = await failure(client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: "k" })));
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(err.status).toBeUndefined();
      expect(err.code).toBe("ECONNREFUSED");
      const { existsSync } = await import("node:fs");
      expect(existsSync(s3.dataDir)).toBe(false);
    } finally {
      client.destroy();
      await s3.stop();
    }
  });

  it("restarts on the same data dir and port, with objects and lock files intact", async () => {
    const first = await startS3Server({ bucket: "restart", versioning: true });
    const c1 = s3Client(first);
    await c1.send(new PutObjectCommand({ Bucket: first.bucket, Key: "state.tfstate.tflock", Body: "held", IfNoneMatch: "*" }));
    c1.destroy();
    await first.stop({ keepData: true });

    const second = await startS3Server({ bucket: first.bucket, versioning: true, dataDir: first.dataDir, port: first.port });
    const c2 = s3Client(second);
    try {
      expect(second.endpoint).toBe(first.endpoint);
      expect(second.pid).not.toBe(first.pid);
      const got = await c2.send(new GetObjectCommand({ Bucket: second.bucket, Key: "state.tfstate.tflock" }));
      expect(await got.Body?.transformToString()).toBe("held");
      const again = await failure(
        c2.send(new PutObjectCommand({ Bucket: second.bucket, Key: "state.tfstate.tflock", Body: "x", IfNoneMatch: "*" })),
      );
      expect(again.status).toBe(412);
    } finally {
      c2.destroy();
      await second.stop();
    }
  });

  it("fails with the server output when the server cannot start", async () => {
    // versitygw refuses to start without root credentials; the error carries its message.
    await expect(startS3Server({ accessKey: "", bucket: null, readyTimeoutMs: 5000 })).rejects.toThrow(
      /exited with 1 before it was ready[\s\S]*root user access and secret key must be provided/,
    );
  });
});
