import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Ledger, newReleaseId, type AuditEntry, type ReleaseRecord } from "../../src/ledger/index.js";
import { createObjectStore, type S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";

type NewRelease = Omit<ReleaseRecord, "id" | "createdAt" | "updatedAt">;

function fields(overrides: Partial<NewRelease> = {}): NewRelease {
  return {
    environment: "staging",
    kind: "deploy",
    actor: "alice",
    host: "laptop",
    runId: "run-1",
    gitRevision: "abc123",
    configHash: "sha256:0",
    inputs: { vars: { images: { evalap: "rg/ns/evalap:1" } } },
    images: { evalap: "rg/ns/evalap:1" },
    status: "pending",
    ...overrides,
  };
}

describe("newReleaseId", () => {
  it("is the UTC time to the millisecond then 6 hex digits, sortable", () => {
    const id = newReleaseId(new Date("2026-11-25T23:38:00.123Z"));
    expect(id).toMatch(/^20261125T233800123Z-[0-9a-f]{6}$/);
    expect(newReleaseId(new Date("2026-11-25T23:38:00.124Z")) > id).toBe(true);
  });
});

describe("release ledger", () => {
  let s3: S3Server;
  const stores: S3ObjectStore[] = [];
  let n = 0;

  const newStore = (): S3ObjectStore => {
    const store = createObjectStore({ bucket: s3.bucket, endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey, requestTimeoutMs: 5000 });
    stores.push(store);
    return store;
  };
  /** A ledger on a prefix of its own, so tests do not see each other's releases. */
  const newLedger = (prefix = `evalap-infra/env${++n}`): Ledger => new Ledger(newStore(), prefix, "staging");

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "state", versioning: true });
  }, 600_000);

  afterAll(async () => {
    for (const s of stores) s.close();
    await stopAllS3Servers();
  });

  it("creates, gets, and lists newest first", async () => {
    const store = newStore();
    const ledger = new Ledger(store, "evalap-infra/staging", "staging");
    const a = await ledger.create(fields({ runId: "a" }));
    await new Promise((r) => setTimeout(r, 5));
    const b = await ledger.create(fields({ runId: "b" }));
    expect(a.id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    expect(a.createdAt).toBe(a.updatedAt);
    expect(await ledger.get(a.id)).toEqual(a);
    expect(await ledger.get("20000101T000000000Z-000000")).toBeNull();
    expect((await ledger.list()).map((r) => r.runId)).toEqual(["b", "a"]);
    expect(b.id > a.id).toBe(true);
    // Each release is its own object under <prefix>/releases/.
    expect(await store.list("evalap-infra/staging/")).toEqual([`evalap-infra/staging/releases/${a.id}.json`, `evalap-infra/staging/releases/${b.id}.json`]);
  });

  it("updates the status, keeping id and createdAt", async () => {
    const ledger = newLedger();
    const r = await ledger.create(fields());
    await new Promise((res) => setTimeout(res, 5));
    const updated = await ledger.update(r.id, (cur) => ({ ...cur, status: "healthy", statusReason: "all services healthy", id: "tampered", createdAt: "x" }));
    expect(updated).toMatchObject({ id: r.id, createdAt: r.createdAt, status: "healthy", statusReason: "all services healthy" });
    expect(updated.updatedAt > r.updatedAt).toBe(true);
    expect(await ledger.get(r.id)).toEqual(updated);
    await expect(ledger.update("20000101T000000000Z-000000", (x) => x)).rejects.toThrow(/does not exist/);
  });

  it("loses no update with 10 concurrent writers, each creating and updating its release", async () => {
    const prefix = `evalap-infra/env${++n}`;
    const writers = Array.from({ length: 10 }, (_, w) => ({ w, ledger: new Ledger(newStore(), prefix, "staging") }));
    const ids = await Promise.all(
      writers.map(async ({ w, ledger }) => {
        const r = await ledger.create(fields({ runId: `w${w}` }));
        for (let step = 1; step <= 4; step++) {
          await ledger.update(r.id, (cur) => ({ ...cur, statusReason: `${cur.statusReason ?? ""}[${step}]`, notes: [...(cur.notes ?? []), `w${w}-${step}`] }));
        }
        await ledger.update(r.id, (cur) => ({ ...cur, status: w % 2 ? "healthy" : "failed" }));
        return r.id;
      }),
    );
    const all = await new Ledger(newStore(), prefix, "staging").list();
    expect(all).toHaveLength(10);
    for (const [w, id] of ids.entries()) {
      const r = all.find((x) => x.id === id);
      expect(r?.statusReason).toBe("[1][2][3][4]");
      expect(r?.notes).toEqual([1, 2, 3, 4].map((s) => `w${w}-${s}`));
      expect(r?.status).toBe(w % 2 ? "healthy" : "failed");
    }
  });

  it("keeps every one of 10 concurrent updates to the same release", async () => {
    const prefix = `evalap-infra/env${++n}`;
    const ledger = new Ledger(newStore(), prefix, "staging");
    const r = await ledger.create(fields());
    let calls = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        // Each writer has its own store (own connections), as separate processes would.
        new Ledger(newStore(), prefix, "staging").update(r.id, (cur) => {
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
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 3));
    const h1 = await ledger.create(fields({ status: "healthy", runId: "h1" }));
    await tick();
    const f = await ledger.create(fields({ status: "failed", runId: "f" }));
    await tick();
    const h2 = await ledger.create(fields({ status: "healthy", runId: "h2" }));
    await tick();
    const p1 = await ledger.create(fields({ status: "pending", runId: "p1" }));
    await tick();
    const p2 = await ledger.create(fields({ status: "pending", runId: "p2" }));
    expect((await ledger.lastHealthy())?.id).toBe(h2.id);
    expect((await ledger.lastHealthy({ excluding: h2.id }))?.id).toBe(h1.id);
    expect((await ledger.pending()).map((r) => r.id)).toEqual([p2.id, p1.id]);
    await ledger.update(p1.id, (r) => ({ ...r, status: "superseded" }));
    expect((await ledger.pending()).map((r) => r.id)).toEqual([p2.id]);
    expect(f.status).toBe("failed");
  });

  it("appends audit entries as create-only objects, listed oldest first", async () => {
    const store = newStore();
    const ledger = new Ledger(store, "evalap-infra/audited", "staging");
    const entry = (i: number): AuditEntry => ({
      at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
      environment: "staging",
      actor: "alice",
      host: "laptop",
      command: "evalap-infra deploy staging",
      operation: "deploy",
      outcome: i % 2 ? "ok" : "failed",
      detail: `entry ${i}`,
    });
    // Appended back to back, several within one millisecond: order must hold anyway.
    for (let i = 0; i < 12; i++) await ledger.appendAudit(entry(i));
    expect((await ledger.listAudit()).map((e) => e.detail)).toEqual(Array.from({ length: 12 }, (_, i) => `entry ${i}`));
    const keys = await store.list("evalap-infra/audited/audit/");
    expect(keys).toHaveLength(12);
    for (const k of keys) expect(k).toMatch(/^evalap-infra\/audited\/audit\/\d{8}T\d{9}Z-[0-9a-f]{6}\.json$/);
    expect(await ledger.list()).toEqual([]);
  });
});
