import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import type { EvalapEvent, EventSink } from "../../src/events/types.js";
import {
  acquireRemoteLock,
  forceReleaseRemoteLock,
  LockHeldError,
  readRemoteLock,
  type LockHolder,
  type RemoteLockOptions,
  type RemoteLockRecord,
} from "../../src/lock/index.js";
import { createObjectStore, type S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";

class Recorder implements EventSink {
  readonly events: EvalapEvent[] = [];
  emit(event: EvalapEvent): void {
    this.events.push(event);
  }
  of<T extends EvalapEvent["type"]>(type: T): Array<Extract<EvalapEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<EvalapEvent, { type: T }> => e.type === type);
  }
}

let counter = 0;
function holder(user: string): LockHolder {
  counter++;
  return { id: `id-${user}-${counter}`, user, host: `host-${user}`, pid: 1000 + counter, command: "deploy staging", startedAt: new Date().toISOString() };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("remote deployment lock (versioned bucket)", () => {
  let s3: S3Server;
  const stores: S3ObjectStore[] = [];
  let keyN = 0;

  const newStore = (): S3ObjectStore => {
    const store = createObjectStore({ bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey, requestTimeoutMs: 5000 });
    stores.push(store);
    return store;
  };
  const freshKey = (): string => `evalap-infra/env${++keyN}/lock.json`;
  const options = (key: string, who: LockHolder, extra: Partial<RemoteLockOptions> = {}): RemoteLockOptions & { events: Recorder } => ({
    store: newStore(),
    key,
    environment: "staging",
    holder: who,
    leaseMs: 3000,
    timeoutMs: 10_000,
    pollMs: 50,
    ...extra,
    events: new Recorder(),
  });

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "state", versioning: true });
  }, 600_000);

  afterAll(async () => {
    for (const s of stores) s.close();
    await stopAllS3Servers();
  });

  it("acquires, releases and acquires again without ever deleting", async () => {
    const key = freshKey();
    const a = options(key, holder("alice"));
    const first = await acquireRemoteLock(a);
    expect(a.events.of("lock.acquired")).toEqual([{ type: "lock.acquired", environment: "staging", scope: "remote" }]);
    expect((await readRemoteLock(a.store, key))?.state).toBe("held");
    await first.release();
    await first.release(); // idempotent
    expect(a.events.of("lock.released")).toHaveLength(1);
    const read = await readRemoteLock(a.store, key);
    expect(read?.state).toBe("released");
    expect(read?.record.released).toMatchObject({ by: a.holder, forced: false });

    const b = options(key, holder("bob"));
    const second = await acquireRemoteLock(b);
    expect(b.events.of("lock.waiting")).toHaveLength(0);
    expect(b.events.of("lock.recovered")).toHaveLength(0); // a clean release is no recovery
    expect((await readRemoteLock(b.store, key))?.record.holder).toEqual(b.holder);
    await second.release();
    // And once more by the first holder: released records never block.
    const third = await acquireRemoteLock(options(key, a.holder));
    await third.release();
  });

  it("makes a second run wait, naming the holder, until the first releases", async () => {
    const key = freshKey();
    const a = options(key, holder("alice"));
    const first = await acquireRemoteLock(a);
    const b = options(key, holder("bob"), { pollMs: 100 });
    const waiting = acquireRemoteLock(b);
    await sleep(400);
    const waits = b.events.of("lock.waiting");
    expect(waits).toHaveLength(1);
    expect(waits[0]).toMatchObject({ scope: "remote", environment: "staging", holder: a.holder, timeoutMs: 10_000 });
    expect(b.events.of("lock.acquired")).toHaveLength(0);
    await first.release();
    const second = await waiting;
    expect(b.events.of("lock.waiting")).toHaveLength(1); // announced once
    expect(b.events.of("lock.acquired")).toHaveLength(1);
    await second.release();
  });

  it("gives up with LockHeldError after timeoutMs", async () => {
    const key = freshKey();
    const first = await acquireRemoteLock(options(key, holder("alice")));
    const b = options(key, holder("bob"), { timeoutMs: 600, pollMs: 100 });
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
    const key = freshKey();
    const first = await acquireRemoteLock(options(key, holder("alice")));
    const ctl = new AbortController();
    const waiting = acquireRemoteLock(options(key, holder("bob"), { signal: ctl.signal }));
    setTimeout(() => ctl.abort(new InterruptedError("SIGINT")), 200);
    await expect(waiting).rejects.toBeInstanceOf(InterruptedError);
    await first.release();
  });

  it("takes over a lease that expired (dead holder) with lock.recovered", async () => {
    const key = freshKey();
    const store = newStore();
    const dead = holder("dead");
    const past = Date.now() - 60_000;
    const record: RemoteLockRecord = {
      holder: dead,
      acquiredAt: new Date(past).toISOString(),
      heartbeatAt: new Date(past).toISOString(),
      expiresAt: new Date(past + 3000).toISOString(),
      leaseMs: 3000,
    };
    await store.createJson(key, record);
    expect((await readRemoteLock(store, key))?.state).toBe("expired");
    const b = options(key, holder("bob"));
    const handle = await acquireRemoteLock(b);
    expect(b.events.of("lock.recovered")).toEqual([
      { type: "lock.recovered", environment: "staging", scope: "remote", previousHolder: dead, reason: `lease expired at ${record.expiresAt}` },
    ]);
    expect(b.events.of("lock.waiting")).toHaveLength(0);
    await handle.release();
  });

  it("a holder whose lease expired finds it lost, and its release leaves the new holder's record alone", async () => {
    const key = freshKey();
    // The first holder's clock is an hour behind: every lease it writes is already expired.
    const a = options(key, holder("alice"), { leaseMs: 300, now: () => Date.now() - 3_600_000 });
    const first = await acquireRemoteLock(a);
    const b = options(key, holder("bob"));
    const second = await acquireRemoteLock(b);
    expect(b.events.of("lock.recovered")).toHaveLength(1);
    await sleep(400); // a heartbeat or two of the first holder
    expect(first.lost).toBe(true);
    expect(a.events.of("log").some((e) => e.level === "warn" && /remote lock of staging was lost/.test(e.message))).toBe(true);
    await first.release();
    const read = await readRemoteLock(b.store, key);
    expect(read?.state).toBe("held");
    expect(read?.record.holder).toEqual(b.holder);
    expect(second.lost).toBe(false);
    await second.release();
  });

  it("heartbeats keep a live lease from being taken over past leaseMs", async () => {
    const key = freshKey();
    // Beats every ~333 ms: a lease of 1 s survives a slow machine, and B waits 2.5 leases.
    const a = options(key, holder("alice"), { leaseMs: 1000 });
    const first = await acquireRemoteLock(a);
    const before = await readRemoteLock(a.store, key);
    const b = options(key, holder("bob"), { timeoutMs: 2500, pollMs: 100 });
    await expect(acquireRemoteLock(b)).rejects.toBeInstanceOf(LockHeldError);
    expect(b.events.of("lock.recovered")).toHaveLength(0);
    const after = await readRemoteLock(a.store, key);
    expect(after?.state).toBe("held");
    expect(Date.parse(after?.record.expiresAt ?? "")).toBeGreaterThan(Date.parse(before?.record.expiresAt ?? ""));
    expect(after?.record.acquiredAt).toBe(before?.record.acquiredAt);
    expect(first.lost).toBe(false);
    await first.release();
    // No heartbeat after release: the released record stays as written.
    const released = await readRemoteLock(a.store, key);
    await sleep(500);
    expect((await readRemoteLock(a.store, key))?.etag).toBe(released?.etag);
  });

  it("never lets concurrent contenders overlap, and every one gets it", async () => {
    const key = freshKey();
    const intervals: Array<{ who: string; enter: number; leave: number }> = [];
    const contenders = Array.from({ length: 6 }, (_, i) => options(key, holder(`c${i}`), { timeoutMs: 60_000, pollMs: 20 + i * 7 }));
    await Promise.all(
      contenders.map(async (o) => {
        const handle = await acquireRemoteLock(o);
        const enter = performance.now();
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
    const key = freshKey();
    const a = options(key, holder("alice"));
    const first = await acquireRemoteLock(a);
    const admin = holder("admin");
    const store = newStore();
    const previous = await forceReleaseRemoteLock(store, key, admin);
    expect(previous?.holder).toEqual(a.holder);
    expect(previous?.released).toBeUndefined();
    const read = await readRemoteLock(store, key);
    expect(read?.state).toBe("released");
    expect(read?.record.released).toMatchObject({ by: admin, forced: true });
    // The next run gets it at once.
    const b = options(key, holder("bob"), { timeoutMs: 1000 });
    const second = await acquireRemoteLock(b);
    // The forced-out holder's heartbeat or release must not clobber the new holder.
    await first.release();
    expect(first.lost).toBe(true);
    expect((await readRemoteLock(store, key))?.record.holder).toEqual(b.holder);
    await second.release();
    expect(await forceReleaseRemoteLock(store, freshKey(), admin)).toBeNull();
  });
});
