import { describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import {
  acquireRemoteLock,
  forceReleaseRemoteLock,
  type ForcedRelease,
  LeaseLostError,
  LockHeldError,
  readRemoteLock,
  type RemoteLockRecord,
  type RemoteLockRecordRead,
} from "../../src/lock/index.js";
import { holder, lockFixture, sleep, stalled } from "./fixture.js";

/** The read, which must be a lock record. */
function recordRead(read: ForcedRelease | null | undefined): RemoteLockRecordRead {
  if (!read || read.state === "malformed" || read.state === "unreadable")
    throw new Error(`expected a lock record, got ${read ? read.state : "nothing"}`);
  return read;
}

describe.each([
  { versioning: true, name: "versioned" },
  { versioning: false, name: "unversioned" },
])("remote deployment lock ($name bucket)", ({ versioning }) => {
  const fx = lockFixture(versioning);

  it("acquires, releases and acquires again without ever deleting", async () => {
    const key = fx.key();
    const a = fx.options(key, holder("alice"));
    const first = await acquireRemoteLock(a);
    expect(a.events.ofType("lock.acquired")).toEqual([{ type: "lock.acquired", environment: "staging", scope: "remote" }]);
    const held = recordRead(await readRemoteLock(a.store, key));
    expect(held.state).toBe("held");
    // The bucket's times come with every read: expiry is judged on them.
    expect(held.lastModified).toBeInstanceOf(Date);
    expect(held.ageMs).toBe(held.serverTime.getTime() - held.lastModified.getTime());
    expect(held.ageMs).toBeLessThan(held.record.leaseMs);
    // Uncontended: one create, no queue object.
    expect(await a.store.list(`${key}.queue/`)).toEqual([]);
    await first.assertHeld();
    await first.release();
    await first.release(); // idempotent
    expect(a.events.ofType("lock.released")).toHaveLength(1);
    const read = recordRead(await readRemoteLock(a.store, key));
    expect(read.state).toBe("released");
    expect(read.record.released).toMatchObject({ by: a.holder, forced: false });

    const b = fx.options(key, holder("bob"));
    const second = await acquireRemoteLock(b);
    expect(b.events.ofType("lock.waiting")).toHaveLength(0);
    expect(b.events.ofType("lock.recovered")).toHaveLength(0); // a clean release is no recovery
    expect(recordRead(await readRemoteLock(b.store, key)).record.holder).toEqual(b.holder);
    await second.release();
    // And once more by the first holder: released records never block.
    const third = await acquireRemoteLock(fx.options(key, a.holder));
    await third.release();
  });

  it("makes a second run wait, naming the holder, until the first releases", async () => {
    const key = fx.key();
    const a = fx.options(key, holder("alice"));
    const first = await acquireRemoteLock(a);
    const b = fx.options(key, holder("bob"), { pollMs: 100 });
    const waiting = acquireRemoteLock(b);
    await sleep(400);
    const waits = b.events.ofType("lock.waiting");
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ scope: "remote", environment: "staging", holder: a.holder, timeoutMs: 10_000 });
    expect(b.events.ofType("lock.acquired")).toHaveLength(0);
    await first.release();
    const second = await waiting;
    expect(b.events.ofType("lock.waiting")).toHaveLength(1); // announced once
    expect(b.events.ofType("lock.acquired")).toHaveLength(1);
    await second.release();
  });

  it("gives up with LockHeldError after timeoutMs", async () => {
    const key = fx.key();
    const first = await acquireRemoteLock(fx.options(key, holder("alice")));
    const b = fx.options(key, holder("bob"), { timeoutMs: 600, pollMs: 100 });
    const started = Date.now();
    const err = await acquireRemoteLock(b).then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).holder).toEqual(first.holder);
    expect((err as LockHeldError).exitCode).toBe(4);
    expect((err as Error).message).toMatch(/staging is locked by alice@host-alice/);
    await first.release();
  });

  it("stops waiting when the signal aborts", async () => {
    const key = fx.key();
    const first = await acquireRemoteLock(fx.options(key, holder("alice")));
    const ctl = new AbortController();
    const waiting = acquireRemoteLock(fx.options(key, holder("bob"), { signal: ctl.signal }));
    setTimeout(() => ctl.abort(new InterruptedError("SIGINT")), 200);
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
    await first.release();
  });

  it("takes over a lease that expired on the bucket's clock (dead holder) with lock.recovered", async () => {
    const key = fx.key();
    const store = fx.store();
    const dead = holder("dead");
    // Its own times say it expired a minute ago: they decide nothing, its Last-Modified does.
    const past = Date.now() - 60_000;
    const record: RemoteLockRecord = {
      holder: dead,
      acquiredAt: new Date(past).toISOString(),
      heartbeatAt: new Date(past).toISOString(),
      expiresAt: new Date(past + 1000).toISOString(),
      leaseMs: 1000,
    };
    const written = Date.now();
    await store.createJson(key, record);
    expect((await readRemoteLock(store, key))?.state).toBe("held");
    const b = fx.options(key, holder("bob"), { pollMs: 100 });
    const handle = await acquireRemoteLock(b);
    // Taken over only once more than the lease has passed since the write.
    expect(Date.now() - written).toBeGreaterThan(1000);
    expect(b.events.ofType("lock.recovered")).toEqual([
      {
        type: "lock.recovered",
        environment: "staging",
        scope: "remote",
        previousHolder: dead,
        reason: expect.stringMatching(/^lease of 1s expired: unchanged for \d/),
      },
    ]);
    expect(b.events.ofType("lock.waiting")[0]).toMatchObject({ holder: dead, position: 1 });
    await handle.release();
  });

  it("a holder stalled past its lease finds it lost, and its release leaves the new holder's record alone", async () => {
    const key = fx.key();
    // Its heartbeat never runs, as if the process were stopped (SIGSTOP, a long GC pause) since it acquired.
    const a = fx.options(key, holder("alice"), { leaseMs: 1000, schedule: stalled });
    const first = await acquireRemoteLock(a);
    const b = fx.options(key, holder("bob"), { pollMs: 100 });
    const second = await acquireRemoteLock(b);
    expect(b.events.ofType("lock.recovered")).toHaveLength(1);
    // Nothing told the stalled holder yet; the check before its next tofu step does.
    const err = await first.assertHeld().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LeaseLostError);
    expect(err).toMatchObject({ loss: "lost", code: "lock_lost", exitCode: 13 });
    expect((err as LeaseLostError).message).toMatch(/remote lock of staging was lost: bob@host-bob .* took it over/);
    expect((err as LeaseLostError).hint).toMatch(/no further tofu step was started.*lock status staging.*releases list staging/);
    expect(first.lost).toBe(true);
    await expect(first.assertHeld()).rejects.toBeInstanceOf(LeaseLostError); // lost for good
    expect(a.events.ofType("log").some((e) => e.level === "warn" && /remote lock of staging was lost/.test(e.message))).toBe(true);
    await first.release();
    const read = recordRead(await readRemoteLock(b.store, key));
    expect(read.state).toBe("held");
    expect(read.record.holder).toEqual(b.holder);
    expect(second.lost).toBe(false);
    await second.assertHeld();
    await second.release();
  });

  it("heartbeats keep a live lease from being taken over past leaseMs", async () => {
    const key = fx.key();
    // Beats every ~333 ms: a lease of 1 s survives a slow machine, and B waits 2.5 leases.
    const a = fx.options(key, holder("alice"), { leaseMs: 1000 });
    const first = await acquireRemoteLock(a);
    const before = recordRead(await readRemoteLock(a.store, key));
    const b = fx.options(key, holder("bob"), { timeoutMs: 2500, pollMs: 100 });
    await expect(acquireRemoteLock(b)).rejects.toBeInstanceOf(LockHeldError);
    expect(b.events.ofType("lock.recovered")).toHaveLength(0);
    const after = recordRead(await readRemoteLock(a.store, key));
    expect(after.state).toBe("held");
    expect(after.lastModified.getTime()).toBeGreaterThan(before.lastModified.getTime());
    expect(Date.parse(after.record.expiresAt)).toBeGreaterThan(Date.parse(before.record.expiresAt));
    expect(after.record.acquiredAt).toBe(before.record.acquiredAt);
    expect(first.lost).toBe(false);
    await first.assertHeld();
    await first.release();
    // No heartbeat after release: the released record stays as written.
    const released = await readRemoteLock(a.store, key);
    await sleep(500);
    expect((await readRemoteLock(a.store, key))?.etag).toBe(released?.etag);
  });

  it("never lets concurrent contenders overlap, and every one gets it", async () => {
    const key = fx.key();
    const intervals: Array<{ who: string; enter: number; leave: number }> = [];
    const contenders = Array.from({ length: 6 }, (_, i) => fx.options(key, holder(`c${i}`), { timeoutMs: 60_000, pollMs: 20 + i * 7 }));
    await Promise.all(
      contenders.map(async (o) => {
        const handle = await acquireRemoteLock(o);
        const enter = performance.now();
        await handle.assertHeld();
        await sleep(30 + Math.random() * 70);
        const leave = performance.now();
        intervals.push({ who: o.holder.user, enter, leave });
        expect(handle.lost).toBe(false);
        await handle.release();
      }),
    );
    expect(intervals.map((i) => i.who).sort()).toEqual(["c0", "c1", "c2", "c3", "c4", "c5"]);
    intervals.sort((x, y) => x.enter - y.enter);
    for (let i = 1; i < intervals.length; i++) {
      const prev = intervals[i - 1];
      const cur = intervals[i];
      if (!prev || !cur) throw new Error("unreachable");
      expect(cur.enter, `${cur.who} entered before ${prev.who} left`).toBeGreaterThanOrEqual(prev.leave);
    }
  });

  it("force-release marks the lock released and returns the previous holder", async () => {
    const key = fx.key();
    const a = fx.options(key, holder("alice"));
    const first = await acquireRemoteLock(a);
    const admin = holder("admin");
    const store = fx.store();
    const previous = recordRead(await forceReleaseRemoteLock(store, key, admin));
    expect(previous.record.holder).toEqual(a.holder);
    expect(previous.record.released).toBeUndefined();
    const read = recordRead(await readRemoteLock(store, key));
    expect(read.state).toBe("released");
    expect(read.record.released).toMatchObject({ by: admin, forced: true });
    // The next run gets it at once.
    const b = fx.options(key, holder("bob"), { timeoutMs: 1000 });
    const second = await acquireRemoteLock(b);
    // The forced-out holder's next heartbeat (every second) finds it lost, and it must not clobber the new holder.
    await sleep(1500);
    expect(first.lost).toBe(true);
    await expect(first.assertHeld()).rejects.toMatchObject({ loss: "lost" });
    await first.release();
    expect(recordRead(await readRemoteLock(store, key)).record.holder).toEqual(b.holder);
    await second.release();
    expect(await forceReleaseRemoteLock(store, fx.key(), admin)).toBeNull();
  });
});
