import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Ledger, OutcomeJournal, type JournalEntry, type LedgerOptions, type NewAuditEntry } from "../../src/ledger/index.js";
import { BackendUnavailableError, type S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, s3Client, startS3Server, stopAllS3Servers, type S3Server } from "../support/s3-server.js";
import { fields, ONE_ATTEMPT, rejection, storeFor, unusedPort } from "./helpers.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "evalap-journal-"));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const auditEntry = (detail: string): NewAuditEntry => ({
  at: new Date().toISOString(),
  environment: "staging",
  actor: "alice",
  host: "laptop",
  command: "evalap-infra deploy staging",
  operation: "deploy",
  outcome: "ok",
  detail,
});

describe("OutcomeJournal", () => {
  it("keeps one private file per entry, in the order added, until removed", async () => {
    const dir = join(await tempDir(), "journal", "staging"); // created on first add
    const journal = new OutcomeJournal(dir);
    expect(await journal.entries()).toEqual([]);
    const entries: JournalEntry[] = Array.from({ length: 5 }, (_, i) => ({
      kind: "release",
      environment: "staging",
      releaseId: `0000000${i + 1}`,
      set: { status: "healthy", statusReason: `n${i}` },
      at: new Date().toISOString(),
    }));
    const files: string[] = [];
    for (const e of entries) files.push(await journal.add(e));
    for (const f of files) expect((await stat(f)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir)).toHaveLength(5); // no temp file left behind
    const listed = await journal.entries();
    expect(listed.map((r) => r.file)).toEqual(files);
    expect(listed.map((r) => ("entry" in r ? r.entry : null))).toEqual(entries);
    await journal.remove(files[1] ?? "");
    await journal.remove(files[1] ?? ""); // already gone: fine
    expect((await journal.entries()).map((r) => r.file)).toEqual([files[0], ...files.slice(2)]);
  });

  it("reports a damaged file instead of failing", async () => {
    const dir = await tempDir();
    const journal = new OutcomeJournal(dir);
    const good = await journal.add({
      kind: "audit",
      environment: "staging",
      key: "p/audit/x.json",
      entry: { ...auditEntry("x"), id: "x" },
      at: "t",
    });
    const bad = join(dir, `${basename(good).slice(0, 13)}-999999-deadbeef.json`);
    await writeFile(bad, "{ half");
    await writeFile(join(dir, "notes.txt"), "ignored: not an entry file");
    const listed = await journal.entries();
    expect(listed).toHaveLength(2);
    expect(listed.find((r) => r.file === bad)).toMatchObject({ unreadable: expect.stringMatching(/not JSON/) });
  });
});

describe("ledger outcomes while the bucket is unreachable", () => {
  let s3: S3Server;
  const stores: S3ObjectStore[] = [];
  let n = 0;
  const store = (opts: Parameters<typeof storeFor>[1] = {}): S3ObjectStore => {
    const s = storeFor(s3, opts);
    stores.push(s);
    return s;
  };
  /** A store whose endpoint has no server: every call fails at once. */
  const downStore = async (): Promise<S3ObjectStore> => store({ endpoint: `http://127.0.0.1:${await unusedPort()}`, retry: ONE_ATTEMPT });
  const reports = (): { opts: LedgerOptions; seen: Array<{ key: string; reason: string }> } => {
    const seen: Array<{ key: string; reason: string }> = [];
    return { seen, opts: { onUnreadable: (key, reason) => seen.push({ key, reason }) } };
  };

  beforeAll(async () => {
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "state", versioning: true });
  }, 600_000);

  afterAll(async () => {
    for (const s of stores) s.close();
    await stopAllS3Servers();
  });

  it("journals settle and audit when the bucket stops answering, and records them once it is back", async () => {
    const bucket = await startS3Server({ bucket: "state", versioning: true });
    const journal = new OutcomeJournal(join(await tempDir(), "journal", "staging"));
    const at = (server: S3Server, retry = ONE_ATTEMPT): S3ObjectStore => {
      const s = storeFor(server, { retry });
      stores.push(s);
      return s;
    };
    const ledger = new Ledger(at(bucket), "evalap-infra/staging", "staging");
    const release = await ledger.create(fields());
    await bucket.stop({ keepData: true });

    const settled = await ledger.settle(release.id, { status: "healthy", finishedAt: new Date().toISOString() }, journal);
    expect(settled.recorded).toBe(false);
    if (settled.recorded) return;
    expect(settled.error).toBeInstanceOf(BackendUnavailableError);
    expect((await stat(settled.journalFile)).mode & 0o777).toBe(0o600);
    const audited = await ledger.appendAudit(auditEntry("deployed while the bucket was down"), journal);
    expect(audited.recorded).toBe(false);
    expect((await journal.entries()).map((r) => ("entry" in r ? r.entry.kind : r.unreadable))).toEqual(["release", "audit"]);
    // Without a journal, the failure is the caller's to handle.
    expect(await rejection(ledger.settle(release.id, { status: "failed" }))).toBeInstanceOf(BackendUnavailableError);
    // Still down: reconcile stops and keeps everything.
    expect(await rejection(ledger.reconcile(journal))).toBeInstanceOf(BackendUnavailableError);
    expect(await journal.entries()).toHaveLength(2);

    const back = await startS3Server({ dataDir: bucket.dataDir, port: bucket.port, bucket: "state", versioning: true });
    const next = new Ledger(at(back), "evalap-infra/staging", "staging"); // the next run
    const replayed = await next.reconcile(journal);
    expect(replayed.map((e) => e.kind)).toEqual(["release", "audit"]);
    expect(await journal.entries()).toEqual([]);
    expect(await next.get(release.id)).toMatchObject({ status: "healthy", runId: release.runId });
    expect((await next.listAudit()).map((e) => e.id)).toEqual([audited.entry.id]);
    // Twice is harmless.
    expect(await next.reconcile(journal)).toEqual([]);
    await back.stop();
  });

  it("replays an entry already in the bucket without duplicating it", async () => {
    const prefix = `evalap-infra/env${++n}`;
    const ledger = new Ledger(store(), prefix, "staging");
    const journal = new OutcomeJournal(await tempDir());
    const release = await ledger.create(fields());
    const settled = await ledger.settle(release.id, { status: "healthy", notes: ["done"] }, journal);
    const audited = await ledger.appendAudit(auditEntry("once"), journal);
    expect(settled.recorded && audited.recorded).toBe(true);
    // As if a run wrote both, then died before it could forget its journal entries.
    await journal.add({
      kind: "release",
      environment: "staging",
      releaseId: release.id,
      set: { status: "healthy", notes: ["done"] },
      at: "t",
    });
    await journal.add({ kind: "audit", environment: "staging", key: audited.key, entry: audited.entry, at: "t" });
    expect(await ledger.reconcile(journal)).toHaveLength(2);
    expect(await journal.entries()).toEqual([]);
    expect(await ledger.get(release.id)).toMatchObject({ status: "healthy", notes: ["done"] });
    expect(await ledger.listAudit()).toEqual([audited.entry]);
  });

  it("leaves and reports entries it cannot apply, and replays the others", async () => {
    const prefix = `evalap-infra/env${++n}`;
    const { seen, opts } = reports();
    const ledger = new Ledger(store(), prefix, "staging", opts);
    const journal = new OutcomeJournal(await tempDir());
    const release = await ledger.create(fields());
    const client = s3Client(s3);
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `${prefix}/releases/00000002.json`, Body: "garbage" }));
    client.destroy();
    const gone = await journal.add({ kind: "release", environment: "staging", releaseId: "00000042", set: { status: "healthy" }, at: "t" });
    const unreadable = await journal.add({
      kind: "release",
      environment: "staging",
      releaseId: "00000002",
      set: { status: "healthy" },
      at: "t",
    });
    const elsewhere = await journal.add({
      kind: "release",
      environment: "production",
      releaseId: release.id,
      set: { status: "healthy" },
      at: "t",
    });
    await journal.add({
      kind: "release",
      environment: "staging",
      releaseId: release.id,
      set: { status: "failed", statusReason: "health" },
      at: "t",
    });

    const replayed = await ledger.reconcile(journal);
    expect(replayed.map((e) => (e.kind === "release" ? e.releaseId : e.key))).toEqual([release.id]);
    expect((await ledger.get(release.id))?.status).toBe("failed");
    expect((await journal.entries()).map((r) => r.file)).toEqual([gone, unreadable, elsewhere]);
    expect(seen.map((s) => s.key)).toEqual([gone, unreadable, elsewhere]);
    expect(seen[0]?.reason).toMatch(/00000042 no longer exists/);
    expect(seen[1]?.reason).toMatch(new RegExp(`${prefix}/releases/00000002.json is unreadable`));
    expect(seen[2]?.reason).toMatch(/belongs to environment production/);
  });

  it("an unreachable bucket never turns an outcome into 'nothing was written' when journaled", async () => {
    const ledger = new Ledger(await downStore(), "evalap-infra/down", "staging");
    const journal = new OutcomeJournal(await tempDir());
    const result = await ledger.settle("00000007", { status: "unpersisted", statusReason: "state kept in .evalap-infra/state" }, journal);
    expect(result).toMatchObject({ recorded: false });
    const [rec] = await journal.entries();
    expect(rec && "entry" in rec ? rec.entry : null).toMatchObject({
      kind: "release",
      releaseId: "00000007",
      set: { status: "unpersisted" },
    });
    expect(JSON.parse(await readFile(rec?.file ?? "", "utf8"))).toMatchObject({ environment: "staging" });
  });
});
