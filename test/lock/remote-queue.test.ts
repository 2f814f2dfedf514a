import { randomUUID } from "node:crypto";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/events/index.js";
import { acquireRemoteLock, LockHeldError, type LockHolder, type RemoteLockHandle, type RemoteLockOptions } from "../../src/lock/index.js";
import { s3Client } from "../support/s3-server.js";
import { holder, lockFixture, sleep } from "./fixture.js";

/** Last-Modified orders the line to the second: waiters that join further apart than that are served in order. */
const APART_MS = 1100;

describe.each([
  { versioning: true, name: "versioned" },
  { versioning: false, name: "unversioned" },
])("the line in front of the remote lock ($name bucket)", ({ versioning }) => {
  const fx = lockFixture(versioning);
  type Options = RemoteLockOptions & { events: EventRecorder };
  const options = (key: string, who: LockHolder, extra: Partial<RemoteLockOptions> = {}, events = new EventRecorder()): Options => ({
    ...fx.options(key, who, { timeoutMs: 15_000, pollMs: 40, ...extra }),
    events,
  });
  const queued = async (key: string): Promise<string[]> => fx.store().list(`${key}.queue/`);

  it("waiters get the lock in the order they came, and each is told its place", async () => {
    const key = fx.key();
    const first = await acquireRemoteLock(options(key, holder("alice")));
    const order: string[] = [];
    const take = async (who: string, events: EventRecorder, extra: Partial<RemoteLockOptions> = {}): Promise<void> => {
      const handle: RemoteLockHandle = await acquireRemoteLock(options(key, holder(who), extra, events));
      order.push(who);
      await sleep(100);
      await handle.release();
    };
    const bobEvents = new EventRecorder();
    const carolEvents = new EventRecorder();
    const daveEvents = new EventRecorder();
    // Local clocks decide nothing: bob's is ahead, carol's behind, and they are still served as they came.
    const bob = take("bob", bobEvents, { now: () => Date.now() + 120_000 });
    await sleep(APART_MS);
    const carol = take("carol", carolEvents, { now: () => Date.now() - 120_000 });
    await sleep(APART_MS);
    const dave = take("dave", daveEvents);
    await sleep(APART_MS);
    // Uncontended no more: each waiter has its ticket.
    expect((await queued(key)).filter((k) => k.endsWith(".json"))).toHaveLength(3);
    await first.release();
    await Promise.all([bob, carol, dave]);

    expect(order).toEqual(["bob", "carol", "dave"]);
    expect(bobEvents.ofType("lock.waiting")[0]).toMatchObject({ position: 1, holder: { user: "alice" } });
    expect(carolEvents.ofType("lock.waiting").map((e) => e.position)).toEqual([2, 1]);
    expect(daveEvents.ofType("lock.waiting").map((e) => e.position)).toEqual([3, 2, 1]);
    // Everyone left the line, liveness objects included.
    expect(await queued(key)).toEqual([]);
  });

  it("a waiter whose run died stops holding the line a lease after its last sign of life, and is swept after two", async () => {
    const key = fx.key();
    const store = fx.store();
    // A ticket nobody keeps alive: its waiter is gone.
    const ghost = `${key}.queue/${randomUUID()}.json`;
    await store.createJson(ghost, { holder: holder("ghost") });
    const joined = Date.now();
    await sleep(APART_MS); // so that it is ahead of erin on the bucket's clock
    const erin = options(key, holder("erin"), { leaseMs: 1000 });
    const handle = await acquireRemoteLock(erin);
    // More than a lease after the ghost joined, on the bucket's clock; well before it would be swept.
    expect(Date.now() - joined).toBeGreaterThan(1000);
    expect(Date.now() - joined).toBeLessThan(5000);
    expect(erin.events.ofType("lock.waiting")[0]).toMatchObject({ position: 2 });
    await handle.release();
    expect(await queued(key)).toEqual([ghost]);
    // Dead for two leases: the next waiter that sees it removes it.
    const blocker = await acquireRemoteLock(options(key, holder("henry"), { leaseMs: 1000 }));
    await acquireRemoteLock(options(key, holder("ivan"), { leaseMs: 1000, timeoutMs: 3000 })).catch((e: unknown) =>
      expect(e).toBeInstanceOf(LockHeldError),
    );
    await blocker.release();
    expect(await queued(key)).toEqual([]);
  });

  it("a live waiter keeps its place past a lease: it keeps saying it is alive", async () => {
    const key = fx.key();
    const first = await acquireRemoteLock(options(key, holder("alice"), { leaseMs: 1000 }));
    const bobEvents = new EventRecorder();
    const bob = acquireRemoteLock(options(key, holder("bob"), { leaseMs: 1000 }, bobEvents));
    await sleep(APART_MS);
    const carolEvents = new EventRecorder();
    const carol = acquireRemoteLock(options(key, holder("carol"), { leaseMs: 1000 }, carolEvents));
    await sleep(3000); // three leases: bob's ticket is old, its liveness object is not
    expect((await queued(key)).filter((k) => k.endsWith(".alive"))).toHaveLength(2);
    expect(carolEvents.ofType("lock.waiting").map((e) => e.position)).toEqual([2]);
    await first.release();
    const bobHandle = await bob;
    expect(carolEvents.ofType("lock.acquired")).toHaveLength(0);
    await bobHandle.release();
    await (await carol).release();
    expect(bobEvents.ofType("lock.waiting").map((e) => e.position)).toEqual([1]);
  });

  it("unreadable entries in the line hold no one back, and are swept by age", async () => {
    const key = fx.key();
    const store = fx.store();
    const client = s3Client(fx.s3);
    const junk = [
      `${key}.queue/${randomUUID()}.json`,
      `${key}.queue/${randomUUID()}.json`,
      `${key}.queue/stray.txt`,
      `${key}.queue/${randomUUID()}.alive`,
    ];
    try {
      await client.send(new PutObjectCommand({ Bucket: fx.s3.bucket, Key: junk[0], Body: "{ not json" }));
      await store.putJson(junk[1] ?? "", { holder: "nobody" });
      await client.send(new PutObjectCommand({ Bucket: fx.s3.bucket, Key: junk[2], Body: "stray" }));
      await store.putJson(junk[3] ?? "", { beat: 1 }); // liveness of no ticket
    } finally {
      client.destroy();
    }
    // A newcomer takes the free lock at once: nobody readable is waiting.
    const a = options(key, holder("alice"), { leaseMs: 1000 });
    const first = await acquireRemoteLock(a);
    expect(a.events.ofType("lock.waiting")).toHaveLength(0);
    // A waiter is first in line despite them.
    const b = options(key, holder("bob"), { leaseMs: 1000, pollMs: 100 });
    const second = acquireRemoteLock(b);
    await sleep(500);
    expect(b.events.ofType("lock.waiting").map((e) => e.position)).toEqual([1]);
    await first.release();
    await (await second).release();
    // Older than two leases on the bucket's clock: swept by the next waiter that looks.
    await sleep(3000);
    const blocker = await acquireRemoteLock(options(key, holder("henry"), { leaseMs: 1000 }));
    await acquireRemoteLock(options(key, holder("ivan"), { leaseMs: 1000, timeoutMs: 300 })).catch(() => null);
    await blocker.release();
    expect(await queued(key)).toEqual([]);
  });

  it("a waiter that gives up leaves the line and names the holder", async () => {
    const key = fx.key();
    const held = await acquireRemoteLock(options(key, holder("frank")));
    const err = await acquireRemoteLock(options(key, holder("grace"), { timeoutMs: 300 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder?.user).toBe("frank");
    expect(await queued(key)).toEqual([]);
    await held.release();
  });
});
