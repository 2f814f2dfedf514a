import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EvalapError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import {
  formatReleaseId,
  Ledger,
  LedgerUnreadableError,
  ReleaseNotFoundError,
  releaseRecordSchema,
  resolveReleaseId,
  type LedgerOptions,
  type NewAuditEntry,
} from "../../src/ledger/index.js";
import type { S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, s3Client, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";
import { fields, rejection, storeFor } from "./helpers.js";

const YEAR_MS = 365 * 24 * 3600 * 1000;

describe("release ids", () => {
  it("are 8-digit zero-padded sequence numbers", () => {
    expect(formatReleaseId(42)).toBe("00000042");
    expect(formatReleaseId(99_999_999)).toBe("99999999");
    expect(() => formatReleaseId(100_000_000)).toThrow(RangeError);
  });

  it("resolve from what a user types (rollback --to)", () => {
    expect(resolveReleaseId("42")).toBe("00000042");
    expect(resolveReleaseId("00000042")).toBe("00000042");
    expect(resolveReleaseId(" 7 ")).toBe("00000007");
    for (const bad of ["", "abc", "4.2", "-1", "0x10", "123456789", "20261125T233800123Z-1a2b3c"]) expect(resolveReleaseId(bad)).toBeNull();
  });
});

describe("release ledger", () => {
  let s3: S3Server;
  const stores: S3ObjectStore[] = [];
  let n = 0;

  const newStore = (): S3ObjectStore => {
    const store = storeFor(s3);
    stores.push(store);
    return store;
  };
  const nextPrefix = (): string => `evalap-infra/env${++n}`;
  /** A ledger on a prefix of its own, so tests do not see each other's releases. */
  const newLedger = (prefix = nextPrefix(), opts: LedgerOptions = {}): Ledger => new Ledger(newStore(), prefix, "staging", opts);
  /** Collects what the ledger reports as unreadable. */
  const reports = (): { opts: LedgerOptions; seen: Array<{ key: string; reason: string }> } => {
    const seen: Array<{ key: string; reason: string }> = [];
    return { seen, opts: { onUnreadable: (key, reason) => seen.push({ key, reason }) } };
  };
  const putRaw = async (key: string, body: string): Promise<void> => {
    const client = s3Client(s3);
    try {
      await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: body }));
    } finally {
      client.destroy();
    }
  };

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "state", versioning: true });
  }, 600_000);

  afterAll(async () => {
    for (const s of stores) s.close();
    await stopAllS3Servers();
  });

  it("creates, gets, and lists newest first, under sequential ids", async () => {
    const store = newStore();
    const ledger = new Ledger(store, "evalap-infra/staging", "staging");
    const a = await ledger.create(fields({ runId: "a" }));
    const b = await ledger.create(fields({ runId: "b" }));
    expect([a.id, b.id]).toEqual(["00000001", "00000002"]);
    expect(a.createdAt).toBe(a.updatedAt);
    expect(await ledger.get(a.id)).toEqual(a);
    expect(await ledger.get("00000099")).toBeNull();
    expect(await ledger.get("20000101T000000000Z-000000")).toBeNull();
    expect((await ledger.list()).map((r) => r.runId)).toEqual(["b", "a"]);
    // Each release is its own object under <prefix>/releases/, and what create wrote parses.
    expect(await store.list("evalap-infra/staging/")).toEqual([
      "evalap-infra/staging/releases/00000001.json",
      "evalap-infra/staging/releases/00000002.json",
    ]);
    const raw = await store.read("evalap-infra/staging/releases/00000001.json");
    expect(releaseRecordSchema.parse(JSON.parse(raw?.text ?? "null"))).toEqual(a);
  });

  it("orders by sequence whatever the host clocks say", async () => {
    const prefix = nextPrefix();
    const ahead = newLedger(prefix, { now: () => new Date(Date.now() + YEAR_MS) });
    const behind = newLedger(prefix, { now: () => new Date(Date.now() - YEAR_MS) });
    const first = await ahead.create(fields({ runId: "clock-ahead", status: "healthy" }));
    const second = await newLedger(prefix).create(fields({ runId: "real-clock", status: "healthy" }));
    const third = await behind.create(fields({ runId: "clock-behind", status: "healthy" }));
    expect([first.id, second.id, third.id]).toEqual(["00000001", "00000002", "00000003"]);
    expect((await ahead.list()).map((r) => r.runId)).toEqual(["clock-behind", "real-clock", "clock-ahead"]);
    expect((await ahead.lastHealthy())?.runId).toBe("clock-behind");
    // The display times come from the bucket's clock, not the skewed host's.
    for (const r of [first, third]) expect(Math.abs(Date.parse(r.createdAt) - Date.now())).toBeLessThan(60_000);
  });

  it("gives 10 concurrent creates distinct consecutive ids", async () => {
    const prefix = nextPrefix();
    const created = await Promise.all(Array.from({ length: 10 }, (_, w) => newLedger(prefix).create(fields({ runId: `w${w}` }))));
    expect(created.map((r) => r.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => formatReleaseId(i + 1)));
    const listed = await newLedger(prefix).list();
    expect(listed.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => formatReleaseId(10 - i)));
    expect(new Set(listed.map((r) => r.runId)).size).toBe(10);
  });

  it("updates the status, keeping id and createdAt, and fields a newer CLI added", async () => {
    const store = newStore();
    const prefix = nextPrefix();
    const ledger = new Ledger(store, prefix, "staging");
    const r = await ledger.create(fields());
    // A newer CLI wrote a field this one does not know: it must survive our rewrite.
    const stored = await store.getJson<Record<string, unknown>>(`${prefix}/releases/${r.id}.json`);
    await store.replaceJson(`${prefix}/releases/${r.id}.json`, { ...stored?.value, futureField: { x: 1 } }, stored?.etag ?? "");
    const updated = await ledger.update(r.id, (cur) => ({
      ...cur,
      status: "unpersisted",
      statusReason: "state kept locally",
      id: "tampered",
      createdAt: "x",
    }));
    expect(updated).toMatchObject({ id: r.id, createdAt: r.createdAt, status: "unpersisted", statusReason: "state kept locally" });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThanOrEqual(Date.parse(r.updatedAt));
    expect(await ledger.get(r.id)).toEqual(updated);
    expect((await store.getJson<Record<string, unknown>>(`${prefix}/releases/${r.id}.json`))?.value.futureField).toEqual({ x: 1 });
    expect(await rejection(ledger.update("00000099", (x) => x))).toBeInstanceOf(ReleaseNotFoundError);
    await expect(ledger.update("20000101T000000000Z-000000", (x) => x)).rejects.toThrow(/does not exist/);
    // Nothing the ledger could not read back is written.
    await expect(ledger.update(r.id, (cur) => ({ ...cur, status: "bogus" as never }))).rejects.toThrow(/refusing to write/);
  });

  it("settles only a pending release when asked (whilePending): a release another run closed keeps its status", async () => {
    const ledger = newLedger();
    const open = await ledger.create(fields());
    const plan = { counts: { create: 1, update: 0, delete: 0, replace: 0 }, changes: [] };
    const settled = await ledger.settle(open.id, { plan }, undefined, { whilePending: true });
    expect(settled).toMatchObject({ recorded: true, record: { status: "pending", plan: { counts: { create: 1 } } } });
    expect(settled.recorded && settled.closed).toBeFalsy();
    // The run that took the lease over closed it; the stalled run that wakes up must not overwrite that.
    const closed = await ledger.create(fields());
    await ledger.update(closed.id, (cur) => ({ ...cur, status: "superseded", statusReason: "resumed by 00000009" }));
    const late = await ledger.settle(closed.id, { status: "healthy" }, undefined, { whilePending: true });
    expect(late).toMatchObject({ recorded: true, closed: true, record: { status: "superseded", statusReason: "resumed by 00000009" } });
    expect(await ledger.get(closed.id)).toMatchObject({ status: "superseded", statusReason: "resumed by 00000009" });
    // Without the option, settle sets what it is given (rolled_back over healthy, for instance).
    expect(await ledger.settle(closed.id, { status: "rolled_back" })).toMatchObject({ recorded: true, record: { status: "rolled_back" } });
  });

  it("loses no update with 10 concurrent writers, each creating and updating its release", async () => {
    const prefix = nextPrefix();
    const ids = await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        const ledger = newLedger(prefix);
        const r = await ledger.create(fields({ runId: `w${w}` }));
        for (let step = 1; step <= 4; step++) {
          await ledger.update(r.id, (cur) => ({
            ...cur,
            statusReason: `${cur.statusReason ?? ""}[${step}]`,
            notes: [...(cur.notes ?? []), `w${w}-${step}`],
          }));
        }
        await ledger.update(r.id, (cur) => ({ ...cur, status: w % 2 ? "healthy" : "failed" }));
        return r.id;
      }),
    );
    const all = await newLedger(prefix).list();
    expect(all).toHaveLength(10);
    for (const [w, id] of ids.entries()) {
      const r = all.find((x) => x.id === id);
      expect(r?.statusReason).toBe("[1][2][3][4]");
      expect(r?.notes).toEqual([1, 2, 3, 4].map((s) => `w${w}-${s}`));
      expect(r?.status).toBe(w % 2 ? "healthy" : "failed");
    }
  });

  it("keeps every one of 10 concurrent updates to the same release", async () => {
    const prefix = nextPrefix();
    const ledger = newLedger(prefix);
    const r = await ledger.create(fields());
    let calls = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        // Each writer has its own store (own connections), as separate processes would.
        newLedger(prefix).update(r.id, (cur) => {
          calls++;
          return { ...cur, notes: [...(cur.notes ?? []), `marker-${i}`] };
        }),
      ),
    );
    const final = await ledger.get(r.id);
    expect([...(final?.notes ?? [])].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `marker-${i}`).sort());
    expect(calls).toBeGreaterThan(10); // some lost the CAS and re-applied their change
  });

  it("finds the last healthy release (optionally excluding one) and the pending ones", async () => {
    const ledger = newLedger();
    expect(await ledger.lastHealthy()).toBeNull();
    const h1 = await ledger.create(fields({ status: "healthy", runId: "h1" }));
    await ledger.create(fields({ status: "failed", runId: "f" }));
    const h2 = await ledger.create(fields({ status: "healthy", runId: "h2" }));
    const p1 = await ledger.create(fields({ status: "pending", runId: "p1" }));
    const p2 = await ledger.create(fields({ status: "pending", runId: "p2" }));
    await ledger.create(fields({ status: "unpersisted", runId: "u" }));
    expect((await ledger.lastHealthy())?.id).toBe(h2.id);
    expect((await ledger.lastHealthy({ excluding: h2.id }))?.id).toBe(h1.id);
    expect((await ledger.pending()).map((r) => r.id)).toEqual([p2.id, p1.id]);
    await ledger.update(p1.id, (r) => ({ ...r, status: "superseded" }));
    expect((await ledger.pending()).map((r) => r.id)).toEqual([p2.id]);
  });

  it("skips unreadable objects under releases/, reporting each key, and gives a clear error for get/update", async () => {
    const prefix = nextPrefix();
    const { seen, opts } = reports();
    const ledger = newLedger(prefix, opts);
    const h1 = await ledger.create(fields({ status: "healthy", runId: "h1" }));
    const notJson = `${prefix}/releases/00000002.json`;
    const partial = `${prefix}/releases/00000003.json`;
    const oldFormat = `${prefix}/releases/20261125T233800123Z-1a2b3c.json`;
    await putRaw(notJson, "{ this is not json");
    await putRaw(partial, JSON.stringify({ id: "00000003", status: "healthy" }));
    await putRaw(
      oldFormat,
      JSON.stringify({ ...fields({ status: "pending" }), id: "20261125T233800123Z-1a2b3c", createdAt: "x", updatedAt: "x" }),
    );
    // The next number is taken from the keys: the damaged objects do not block a create.
    const p = await ledger.create(fields({ status: "pending", runId: "p" }));
    expect(p.id).toBe("00000004");

    expect((await ledger.list()).map((r) => r.id)).toEqual([p.id, h1.id]);
    expect(seen.map((s) => s.key).sort()).toEqual([notJson, partial, oldFormat].sort());
    expect(seen.find((s) => s.key === notJson)?.reason).toMatch(/not JSON/);
    expect(seen.find((s) => s.key === partial)?.reason).toMatch(/not a valid record \(environment: /);
    expect(seen.find((s) => s.key === oldFormat)?.reason).toMatch(/not a release key/);

    seen.length = 0;
    expect((await ledger.lastHealthy())?.id).toBe(h1.id);
    expect(seen.map((s) => s.key)).toContain(partial); // read on the way down to h1
    expect((await ledger.pending()).map((r) => r.id)).toEqual([p.id]);

    for (const [id, key] of [
      ["00000002", notJson],
      ["00000003", partial],
    ] as const) {
      // Thunks: a promise started before the loop awaits it would reject unhandled meanwhile.
      for (const attempt of [() => ledger.get(id), () => ledger.update(id, (r) => ({ ...r, status: "failed" }))]) {
        const err = await rejection(attempt());
        expect(err).toBeInstanceOf(LedgerUnreadableError);
        expect(err).toBeInstanceOf(EvalapError);
        expect((err as EvalapError).exitCode).toBe(ExitCode.Failure);
        expect((err as EvalapError).message).toContain(key);
        expect((err as EvalapError).hint).toMatch(/inspect .*delete it/);
      }
    }
  });

  it("appends audit entries as create-only objects, listed oldest first", async () => {
    const store = newStore();
    const ledger = new Ledger(store, "evalap-infra/audited", "staging");
    const entry = (i: number): NewAuditEntry => ({
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      environment: "staging",
      actor: "alice",
      host: "laptop",
      command: "evalap-infra deploy staging",
      operation: "deploy",
      outcome: i % 2 ? "ok" : "failed",
      detail: `entry ${i}`,
    });
    const appended = [];
    for (let i = 0; i < 12; i++) appended.push(await ledger.appendAudit(entry(i)));
    const listed = await ledger.listAudit();
    expect(listed.map((e) => e.detail)).toEqual(Array.from({ length: 12 }, (_, i) => `entry ${i}`));
    expect(listed.map((e) => e.id)).toEqual(appended.map((a) => a.entry.id));
    const keys = await store.list("evalap-infra/audited/audit/");
    expect(keys).toHaveLength(12);
    for (const k of keys) expect(k).toMatch(/^evalap-infra\/audited\/audit\/\d{8}T\d{9}Z-[0-9a-f-]{36}\.json$/);
    expect(await ledger.list()).toEqual([]);
  });

  it("appends a replayed audit entry (same id) only once", async () => {
    const store = newStore();
    const ledger = new Ledger(store, "evalap-infra/replayed", "staging");
    const entry: NewAuditEntry = {
      id: "3f0c1d7e-0000-4000-8000-000000000001",
      at: new Date().toISOString(),
      environment: "staging",
      actor: "a",
      host: "h",
      command: "c",
      operation: "deploy",
      outcome: "ok",
    };
    const first = await ledger.appendAudit(entry);
    const again = await ledger.appendAudit(entry);
    expect(again).toMatchObject({ recorded: true, key: first.key });
    expect(await store.list("evalap-infra/replayed/audit/")).toEqual([first.key]);
  });

  it("orders audit entries by the bucket's Last-Modified, not the writers' clocks", async () => {
    const { seen, opts } = reports();
    const prefix = nextPrefix();
    const ledger = newLedger(prefix, opts);
    const base = { environment: "staging", actor: "a", host: "h", command: "c", operation: "deploy", outcome: "ok" } as const;
    // Written first by a host whose clock is a year ahead: its key sorts last, its object is older.
    await ledger.appendAudit({ ...base, at: new Date(Date.now() + YEAR_MS).toISOString(), detail: "first" });
    await new Promise((r) => setTimeout(r, 1_100)); // Last-Modified has 1 s resolution
    await ledger.appendAudit({ ...base, at: new Date(Date.now() - YEAR_MS).toISOString(), detail: "second" });
    // An entry written before entries had ids is still listed; a damaged one is skipped and reported.
    await new Promise((r) => setTimeout(r, 1_100));
    await putRaw(
      `${prefix}/audit/20260101T000000000Z-1a2b3c.json`,
      JSON.stringify({ ...base, at: "2026-01-01T00:00:00.000Z", detail: "legacy" }),
    );
    await putRaw(`${prefix}/audit/20260101T000000001Z-4d5e6f.json`, "not json");
    const listed = await ledger.listAudit();
    expect(listed.map((e) => e.detail)).toEqual(["first", "second", "legacy"]);
    expect(listed[2]?.id).toBe("20260101T000000000Z-1a2b3c");
    expect(seen).toEqual([{ key: `${prefix}/audit/20260101T000000001Z-4d5e6f.json`, reason: expect.stringMatching(/not JSON/) }]);
  });
});
