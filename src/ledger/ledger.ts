import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { EvalapError, errorMessage } from "../core/errors.js";
import { sleep } from "../core/sleep.js";
import { BackendUnavailableError, PreconditionFailedError } from "../objectstore/errors.js";
import type { ObjectStore } from "../objectstore/types.js";
import type { JournalEntry, OutcomeJournal } from "./journal.js";
import { auditEntrySchema, parseJson, RELEASE_ID_PATTERN, releaseRecordSchema, releaseSetSchema, validate } from "./schema.js";
import type { AuditEntry, NewAuditEntry, NewRelease, ReleaseRecord, ReleaseSet } from "./types.js";

/** How many of the newest releases are searched for abandoned ones. */
const PENDING_WINDOW = 50;
/** How many times update() re-reads and re-applies after losing a compare-and-swap. */
const UPDATE_ATTEMPTS = 20;
/** How many sequence numbers create() tries before giving up (each loss means another run won one). */
const CREATE_ATTEMPTS = 50;
/** Parallel reads when listing (each release is its own object). */
const READ_CONCURRENCY = 8;
const MAX_SEQ = 99_999_999;

/** The release id of sequence number `seq`: 8 digits, zero-padded, so key order is sequence order. */
export function formatReleaseId(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > MAX_SEQ) throw new RangeError(`release sequence ${seq} is out of range`);
  return String(seq).padStart(8, "0");
}

/** "42" or "00000042" → "00000042" (what `rollback --to` accepts); null when it is not a release number. */
export function resolveReleaseId(input: string): string | null {
  const s = input.trim();
  return /^\d{1,8}$/.test(s) ? s.padStart(8, "0") : null;
}

export interface LedgerOptions {
  /** This host's clock: only for display fields and audit key prefixes, never for order. */
  now?: () => Date;
  /** Waits between update retries (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Told about every object the ledger skips because it cannot use it (not JSON, missing fields,
   * not a release key) and every journal entry it leaves in place, with why. Default: ignored.
   */
  onUnreadable?: (key: string, reason: string) => void;
}

export class LedgerUpdateConflictError extends Error {
  constructor(id: string, attempts: number) {
    super(`release ${id} kept changing under us: gave up after ${attempts} attempts`);
    this.name = "LedgerUpdateConflictError";
  }
}

/** A ledger object exists but cannot be used; the message names the key, the hint the fix. */
export class LedgerUnreadableError extends EvalapError {
  readonly key: string;
  constructor(bucket: string, key: string, what: string, reason: string) {
    super("ledger_unreadable", `${what} at ${key} is unreadable: ${reason}`, {
      hint: `inspect s3://${bucket}/${key} and repair it, or delete it (listings skip it meanwhile)`,
    });
    this.name = "LedgerUnreadableError";
    this.key = key;
  }
}

export class ReleaseNotFoundError extends EvalapError {
  readonly releaseId: string;
  constructor(environment: string, id: string) {
    super("release_not_found", `release ${id} of ${environment} does not exist`, { hint: "`evalap-infra releases` lists the releases" });
    this.name = "ReleaseNotFoundError";
    this.releaseId = id;
  }
}

export type SettleResult =
  /** `closed`: asked to settle only a pending release, it found another run had closed it; nothing was set. */
  | { recorded: true; record: ReleaseRecord; closed?: boolean }
  /** The bucket stayed unreachable: the outcome waits in the journal for `reconcile`. */
  | { recorded: false; journalFile: string; error: BackendUnavailableError };

export type AuditAppendResult = { entry: AuditEntry; key: string } & (
  { recorded: true } | { recorded: false; journalFile: string; error: BackendUnavailableError }
);

/** Audit entries written before entries had ids are still read (their id is their key's name). */
const legacyAuditEntrySchema = auditEntrySchema.extend({ id: auditEntrySchema.shape.id.optional() });

type Read<T> = { kind: "missing" } | { kind: "unreadable"; reason: string } | { kind: "ok"; value: T; etag: string; serverTime: Date };

/**
 * The release history of one environment in its state bucket. Each release and each audit entry
 * is its own object, written only conditionally, so concurrent runs never clobber each other.
 * Order comes from the bucket (key sequence, Last-Modified), never from a host's clock.
 */
export class Ledger {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly onUnreadable: (key: string, reason: string) => void;
  private readonly releasesPrefix: string;
  private readonly auditPrefix: string;

  constructor(
    private readonly store: ObjectStore,
    prefix: string,
    readonly environment: string,
    opts: LedgerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.sleep = opts.sleep ?? sleep;
    this.onUnreadable = opts.onUnreadable ?? (() => undefined);
    this.releasesPrefix = `${prefix}/releases/`;
    this.auditPrefix = `${prefix}/audit/`;
  }

  private releaseKey(id: string): string {
    return `${this.releasesPrefix}${id}.json`;
  }

  /**
   * Records a new release under the next sequence number: the highest key listed + 1, created
   * only if free; a run that loses the number to another re-lists and takes the next one.
   */
  async create(fields: NewRelease): Promise<ReleaseRecord> {
    let lost = 0;
    for (let attempt = 1; attempt <= CREATE_ATTEMPTS; attempt++) {
      const { highest, serverTime } = await this.highestSeq();
      // Never retry a number already lost: a delete marker may keep refusing it on a versioned bucket.
      const seq = Math.max(highest, lost) + 1;
      const at = this.timeOf(serverTime);
      const record: ReleaseRecord = { ...fields, id: formatReleaseId(seq), createdAt: at, updatedAt: at };
      assertValid(releaseRecordSchema, record, `release ${record.id}`);
      try {
        await this.store.createJson(this.releaseKey(record.id), record);
        return record;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        lost = seq;
        await this.sleep(Math.random() * 10 * Math.min(attempt, 5));
      }
    }
    throw new Error(`could not take a release number in ${this.releasesPrefix} after ${CREATE_ATTEMPTS} attempts`);
  }

  /** The release, or null when there is none; LedgerUnreadableError when its object is unusable. */
  async get(id: string): Promise<ReleaseRecord | null> {
    if (!RELEASE_ID_PATTERN.test(id)) return null;
    const read = await this.readRelease(id);
    if (read.kind === "unreadable") throw this.unreadable(id, read.reason);
    return read.kind === "ok" ? read.value : null;
  }

  /**
   * Read-modify-write under If-Match: on a lost race it re-reads and applies `mutate` again to the
   * newer record, so no concurrent update is lost. `mutate` may run several times.
   */
  async update(id: string, mutate: (r: ReleaseRecord) => ReleaseRecord): Promise<ReleaseRecord> {
    if (!RELEASE_ID_PATTERN.test(id)) throw new ReleaseNotFoundError(this.environment, id);
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const current = await this.readRelease(id);
      if (current.kind === "missing") throw new ReleaseNotFoundError(this.environment, id);
      if (current.kind === "unreadable") throw this.unreadable(id, current.reason);
      const changed = mutate(structuredClone(current.value));
      const next: ReleaseRecord = { ...changed, id, createdAt: current.value.createdAt, updatedAt: this.timeOf(current.serverTime) };
      assertValid(releaseRecordSchema, next, `release ${id}`);
      try {
        await this.store.replaceJson(this.releaseKey(id), next, current.etag);
        return next;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        await this.sleep(5 + Math.random() * 20 * Math.min(attempt, 5));
      }
    }
    throw new LedgerUpdateConflictError(id, UPDATE_ATTEMPTS);
  }

  /**
   * Sets a run's outcome on its release. When the bucket stays unreachable and a journal is given,
   * the outcome goes to the journal instead (replayed by `reconcile`), so it is never lost.
   * `whilePending`: only a pending release is set; one another run closed meanwhile is returned as is (`closed`).
   */
  async settle(id: string, set: ReleaseSet, journal?: OutcomeJournal, opts: { whilePending?: boolean } = {}): Promise<SettleResult> {
    assertValid(releaseSetSchema, set, `the outcome of release ${id}`);
    try {
      // whilePending: a run that lost its lease must not overwrite how the new holder closed its release.
      let closed = false;
      const record = await this.update(id, (r) => {
        closed = opts.whilePending === true && r.status !== "pending";
        return closed ? r : { ...r, ...set };
      });
      return closed ? { recorded: true, record, closed } : { recorded: true, record };
    } catch (err) {
      if (!(err instanceof BackendUnavailableError) || !journal) throw err;
      const entry: JournalEntry = { kind: "release", environment: this.environment, releaseId: id, set, at: this.now().toISOString() };
      return { recorded: false, journalFile: await journalOrThrow(journal, entry, err), error: err };
    }
  }

  /** Every readable release, newest first. */
  async list(): Promise<ReleaseRecord[]> {
    const records: ReleaseRecord[] = [];
    for await (const r of this.newestFirst()) records.push(r);
    return records;
  }

  /**
   * Releases newest first, read a page at a time: ids are sequence numbers, so the key listing
   * alone gives the order, and a caller that stops early (lastHealthy) reads only the newest
   * records, however long the history. Unusable objects are reported and skipped.
   */
  async *newestFirst(pageSize = 20): AsyncGenerator<ReleaseRecord> {
    const ids = (await this.releaseIds(true)).reverse();
    for (let i = 0; i < ids.length; i += pageSize) {
      const page = ids.slice(i, i + pageSize);
      const reads = await mapConcurrent(page, (id) => this.readRelease(id));
      for (const [j, read] of reads.entries()) {
        if (read.kind === "ok") yield read.value;
        else if (read.kind === "unreadable") this.onUnreadable(this.releaseKey(page[j] ?? ""), read.reason);
      }
    }
  }

  /** The newest healthy release (the rollback target), optionally skipping one. */
  async lastHealthy(opts: { excluding?: string } = {}): Promise<ReleaseRecord | null> {
    for await (const r of this.newestFirst()) if (r.status === "healthy" && r.id !== opts.excluding) return r;
    return null;
  }

  /**
   * Releases still pending among the newest PENDING_WINDOW, newest first (their run died, or is
   * still running). Every run resolves the pending releases it finds before recording its own,
   * so an abandoned release sits near the top of the history; the window keeps a deploy's cost
   * independent of how long that history is.
   */
  async pending(): Promise<ReleaseRecord[]> {
    const out: ReleaseRecord[] = [];
    let seen = 0;
    for await (const r of this.newestFirst()) {
      if (r.status === "pending") out.push(r);
      if (++seen >= PENDING_WINDOW) break;
    }
    return out;
  }

  /**
   * Appends an audit entry as a create-only object keyed by its id, so a replay (journal, retry)
   * lands on the same key and is recognised as already there. With a journal, an unreachable
   * bucket journals the entry instead of failing.
   */
  async appendAudit(entry: NewAuditEntry, journal?: OutcomeJournal): Promise<AuditAppendResult> {
    const full: AuditEntry = { ...entry, id: entry.id ?? randomUUID() };
    assertValid(auditEntrySchema, full, "the audit entry");
    const key = this.auditKey(full);
    try {
      await this.writeAudit(key, full);
      return { recorded: true, entry: full, key };
    } catch (err) {
      if (!(err instanceof BackendUnavailableError) || !journal) throw err;
      const journaled: JournalEntry = { kind: "audit", environment: this.environment, key, entry: full, at: this.now().toISOString() };
      return { recorded: false, entry: full, key, journalFile: await journalOrThrow(journal, journaled, err), error: err };
    }
  }

  /**
   * Every readable audit entry, oldest first: by the objects' Last-Modified on the bucket's clock,
   * then by key (the writer's time, then the entry id) within one second.
   */
  async listAudit(): Promise<AuditEntry[]> {
    const { objects } = await this.store.listObjects(this.auditPrefix);
    const usable = objects.filter((o) => this.isAuditKey(o.key));
    usable.sort((a, b) => a.lastModified.getTime() - b.lastModified.getTime() || compare(a.key, b.key));
    const reads = await mapConcurrent(usable, (o) => this.readAudit(o.key));
    return reads.filter((e): e is AuditEntry => e !== null);
  }

  /**
   * Writes what the journal holds, oldest first, removing each entry once it is in the bucket, and
   * returns those entries. Release sets are merged onto the current record and audit entries
   * created at their key, so replaying something already written is harmless. An entry that cannot
   * apply (its release is gone or unreadable, another environment, a damaged file) is reported
   * through onUnreadable and left. BackendUnavailableError stops the replay: it propagates and the
   * remaining entries stay.
   */
  async reconcile(journal: OutcomeJournal): Promise<JournalEntry[]> {
    const replayed: JournalEntry[] = [];
    for (const rec of await journal.entries()) {
      const why = "unreadable" in rec ? `not a journal entry: ${rec.unreadable}` : await this.replay(rec.entry);
      if (why === null && "entry" in rec) {
        await journal.remove(rec.file);
        replayed.push(rec.entry);
      } else {
        this.onUnreadable(rec.file, `${why ?? "unknown"}; this outcome stays in the journal: inspect the file, delete it once handled`);
      }
    }
    return replayed;
  }

  /** Writes one journal entry: null once it is in the bucket, else why it cannot be. */
  private async replay(entry: JournalEntry): Promise<string | null> {
    if (entry.environment !== this.environment) return `it belongs to environment ${entry.environment}, not ${this.environment}`;
    if (entry.kind === "audit") {
      if (!this.isAuditKey(entry.key)) return `its key ${entry.key} is not under ${this.auditPrefix}`;
      await this.writeAudit(entry.key, entry.entry);
      return null;
    }
    try {
      await this.update(entry.releaseId, (r) => ({ ...r, ...entry.set }));
      return null;
    } catch (err) {
      if (err instanceof ReleaseNotFoundError) return `release ${entry.releaseId} no longer exists (${this.releaseKey(entry.releaseId)})`;
      if (err instanceof LedgerUnreadableError) return err.message;
      throw err;
    }
  }

  /** Creates the audit object; a refusal means this very entry (same id, same key) is already there. */
  private async writeAudit(key: string, entry: AuditEntry): Promise<void> {
    try {
      await this.store.createJson(key, entry);
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }

  /** `<prefix>/audit/<writer's time, ms>-<entry id>.json`: fixed by the entry, so replays reuse it. */
  private auditKey(entry: AuditEntry): string {
    const ms = Date.parse(entry.at);
    const at = Number.isNaN(ms) ? this.now() : new Date(ms);
    return `${this.auditPrefix}${at.toISOString().replace(/[-:.]/g, "")}-${entry.id}.json`;
  }

  private isAuditKey(key: string): boolean {
    const name = key.slice(this.auditPrefix.length);
    return key.startsWith(this.auditPrefix) && name.endsWith(".json") && !name.includes("/");
  }

  private async readAudit(key: string): Promise<AuditEntry | null> {
    const raw = await this.store.read(key);
    if (!raw) return null; // deleted since the listing
    // Entries written before ids existed take their key's name as id.
    const parsed = parseJson(legacyAuditEntrySchema, raw.text);
    if (!parsed.ok) {
      this.onUnreadable(key, parsed.reason);
      return null;
    }
    const name = key.slice(this.auditPrefix.length, -".json".length);
    return { ...parsed.value, id: parsed.value.id ?? name };
  }

  /** The highest sequence number taken (0 when none), and the bucket's clock. */
  private async highestSeq(): Promise<{ highest: number; serverTime: Date }> {
    const { objects, serverTime } = await this.store.listObjects(this.releasesPrefix);
    const highest = objects.reduce((max, o) => Math.max(max, Number(this.idOfKey(o.key) ?? 0)), 0);
    return { highest, serverTime };
  }

  /** Release ids in sequence order; other keys under releases/ are reported when `report`. */
  private async releaseIds(report: boolean): Promise<string[]> {
    const ids: string[] = [];
    for (const key of await this.store.list(this.releasesPrefix)) {
      const id = this.idOfKey(key);
      if (id !== null) ids.push(id);
      else if (report && key !== this.releasesPrefix)
        this.onUnreadable(key, "not a release key (expected releases/<8 digits>.json, e.g. 00000042.json)");
    }
    return ids.sort(compare);
  }

  private idOfKey(key: string): string | null {
    if (!key.startsWith(this.releasesPrefix)) return null;
    const m = /^(\d{8})\.json$/.exec(key.slice(this.releasesPrefix.length));
    return m?.[1] ?? null;
  }

  private async readRelease(id: string): Promise<Read<ReleaseRecord>> {
    const raw = await this.store.read(this.releaseKey(id));
    if (!raw) return { kind: "missing" };
    const parsed = parseJson(releaseRecordSchema, raw.text);
    if (!parsed.ok) return { kind: "unreadable", reason: parsed.reason };
    if (parsed.value.id !== id) return { kind: "unreadable", reason: `it says it is release ${parsed.value.id}, but its key says ${id}` };
    return { kind: "ok", value: parsed.value, etag: raw.etag, serverTime: raw.serverTime };
  }

  private unreadable(id: string, reason: string): LedgerUnreadableError {
    return new LedgerUnreadableError(this.store.bucket, this.releaseKey(id), `release ${id} of ${this.environment}`, reason);
  }

  /** The bucket's time when the store gave a usable one, else this host's: display only. */
  private timeOf(serverTime: Date | undefined): string {
    return serverTime && !Number.isNaN(serverTime.getTime()) ? serverTime.toISOString() : this.now().toISOString();
  }
}

/** Journals an outcome the bucket would not take; if even that fails, the error says what to record by hand. */
async function journalOrThrow(journal: OutcomeJournal, entry: JournalEntry, unavailable: BackendUnavailableError): Promise<string> {
  try {
    return await journal.add(entry);
  } catch (err) {
    throw new EvalapError(
      "outcome_not_recorded",
      `${unavailable.message}, and the outcome could not be journaled in ${journal.dir} (${errorMessage(err)}): ${JSON.stringify(entry)}`,
      {
        hint: "the bucket has NOT recorded this outcome: once it is reachable, record it by hand (`evalap-infra releases`, audit)",
        cause: err,
      },
    );
  }
}

/** Refuses to write what the ledger could not read back. */
function assertValid(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = validate(schema, value);
  if (!parsed.ok) throw new Error(`refusing to write ${what}: ${parsed.reason}`);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Maps in order, a few at a time (each ledger object is its own request). */
async function mapConcurrent<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, items.length) }, worker));
  return out;
}
