import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/events/index.js";
import { acquireRemoteLock, LockHeldError, type LockHolder, type RemoteLockHandle, type RemoteLockOptions } from "../../src/lock/index.js";
import { createObjectStore, type S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, startS3Server, type S3Server } from "../support/s3-server.js";

let n = 0;
const holder = (user: string): LockHolder => ({ id: `id-${user}-${++n}`, user, host: `host-${user}`, pid: 2000 + n, command: "deploy staging", startedAt: new Date().toISOString() });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("the line in front of the remote lock (versioned bucket)", () => {
  let s3: S3Server;
  let store: S3ObjectStore;
  let keyN = 0;
  const options = (key: string, who: LockHolder, events = new EventRecorder()): RemoteLockOptions & { events: EventRecorder } => ({
    store,
    key,
    environment: "staging",
    holder: who,
    leaseMs: 3000,
    timeoutMs: 15_000,
    pollMs: 40,
    events,
  });

  beforeAll(async () => {
    await ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "state", versioning: true });
    store = createObjectStore({ bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey });
  });
  afterAll(async () => {
    store?.close();
    await s3?.stop();
  });

  it("waiters get the lock in the order they came, and each is told its place", async () => {
    const key = `q${++keyN}/lock.json`;
    const first = await acquireRemoteLock(options(key, holder("alice")));
    const order: string[] = [];
    const take = async (who: string, events: EventRecorder): Promise<void> => {
      const handle: RemoteLockHandle = await acquireRemoteLock(options(key, holder(who), events));
      order.push(who);
      await sleep(100);
      await handle.release();
    };
    const bobEvents = new EventRecorder();
    const carolEvents = new EventRecorder();
    const daveEvents = new EventRecorder();
    const bob = take("bob", bobEvents);
    await sleep(300);
    const carol = take("carol", carolEvents);
    await sleep(300);
    const dave = take("dave", daveEvents);
    await sleep(300);
    await first.release();
    await Promise.all([bob, carol, dave]);

    expect(order).toEqual(["bob", "carol", "dave"]);
    expect(bobEvents.ofType("lock.waiting")[0]).toMatchObject({ position: 1, holder: { user: "alice" } });
    expect(carolEvents.ofType("lock.waiting").map((e) => e.position)).toEqual([2, 1]);
    expect(daveEvents.ofType("lock.waiting").map((e) => e.position)).toEqual([3, 2, 1]);
    // Everyone left the line.
    expect(await store.list(`${key}.queue/`)).toEqual([]);
  });

  it("a waiter whose run died stops holding the line once its ticket expires", async () => {
    const key = `q${++keyN}/lock.json`;
    // A ticket nobody refreshes: its waiter is gone.
    await store.createJson(`${key}.queue/20000101T000000000Z-dead.json`, { holder: holder("ghost"), joinedAt: new Date().toISOString(), expiresAt: new Date(Date.now() + 500).toISOString() });
    const started = Date.now();
    const handle = await acquireRemoteLock(options(key, holder("erin")));
    expect(Date.now() - started).toBeLessThan(5000);
    await handle.release();
    // Long dead tickets are swept by the next waiter that sees them.
    await store.createJson(`${key}.queue/20000101T000000001Z-older.json`, { holder: holder("ghost"), joinedAt: "2000-01-01T00:00:00.000Z", expiresAt: "2000-01-01T00:00:03.000Z" });
    const blocker = await acquireRemoteLock(options(key, holder("henry")));
    const waiter = acquireRemoteLock({ ...options(key, holder("ivan")), timeoutMs: 300 }).catch(() => null);
    await waiter;
    await blocker.release();
    expect((await store.list(`${key}.queue/`)).filter((k) => k.includes("older"))).toEqual([]);
  });

  it("a waiter that gives up leaves the line and names the holder", async () => {
    const key = `q${++keyN}/lock.json`;
    const held = await acquireRemoteLock(options(key, holder("frank")));
    const err = await acquireRemoteLock({ ...options(key, holder("grace")), timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder?.user).toBe("frank");
    expect(await store.list(`${key}.queue/`)).toEqual([]);
    await held.release();
  });
});
