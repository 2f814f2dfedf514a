import { randomBytes } from "node:crypto";
import { PreconditionFailedError } from "../objectstore/errors.js";
import type { ObjectStore } from "../objectstore/types.js";
import type { AuditEntry, ReleaseRecord } from "./types.js";

/** How many times update() re-reads and re-applies after losing a compare-and-swap. */
/** How many of the newest releases are searched for abandoned ones. */
const PENDING_WINDOW = 50;
const UPDATE_ATTEMPTS = 20;
/** Parallel reads when listing (each release is its own object). */
const READ_CONCURRENCY = 8;

/** Sortable release id: UTC time to the millisecond, then 6 random hex digits. */
export function newReleaseId(now: Date): string {
  return `${now.toISOString().replace(/[-:.]/g, "")}-${randomBytes(3).toString("hex")}`;
}

export interface LedgerOptions {
  now?: () => Date;
  /** Waits between update retries (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
}

export class LedgerUpdateConflictError extends Error {
  constructor(id: string, attempts: number) {
    super(`release ${id} kept changing under us: gave up after ${attempts} attempts`);
    this.name = "LedgerUpdateConflictError";
  }
}

/**
 * The release history of one environment in its state bucket. Each release and each audit entry
 * is its own object, written only conditionally, so concurrent runs never clobber each other.
 */
export class Ledger {
  private readonly now: () => Date;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Last audit key time, so that entries appended in one millisecond keep their order. */
  private lastAuditMs = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    readonly environment: string,
    opts: LedgerOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date());
    this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  private releaseKey(id: string): string {
    return `${this.prefix}/releases/${id}.json`;
  }

  async create(fields: Omit<ReleaseRecord, "id" | "createdAt" | "updatedAt">): Promise<ReleaseRecord> {
    for (;;) {
      const now = this.now();
      const at = now.toISOString();
      const record: ReleaseRecord = { ...fields, id: newReleaseId(now), createdAt: at, updatedAt: at };
      try {
        await this.store.createJson(this.releaseKey(record.id), record);
        return record;
      } catch (err) {
        // Same millisecond and same random suffix: draw another id.
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
  }

  async get(id: string): Promise<ReleaseRecord | null> {
    return (await this.store.getJson<ReleaseRecord>(this.releaseKey(id)))?.value ?? null;
  }

  /**
   * Read-modify-write under If-Match: on a lost race it re-reads and applies `mutate` again to the
   * newer record, so no concurrent update is lost. `mutate` may run several times.
   */
  async update(id: string, mutate: (r: ReleaseRecord) => ReleaseRecord): Promise<ReleaseRecord> {
    const key = this.releaseKey(id);
    for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
      const current = await this.store.getJson<ReleaseRecord>(key);
      if (!current) throw new Error(`release ${id} of ${this.environment} does not exist`);
      const next: ReleaseRecord = { ...mutate(structuredClone(current.value)), id, createdAt: current.value.createdAt, updatedAt: this.now().toISOString() };
      try {
        await this.store.replaceJson(key, next, current.etag);
        return next;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
        await this.sleep(5 + Math.random() * 20 * Math.min(attempt, 5));
      }
    }
    throw new LedgerUpdateConflictError(id, UPDATE_ATTEMPTS);
  }

  /** Every release, newest first. */
  async list(): Promise<ReleaseRecord[]> {
    const records: ReleaseRecord[] = [];
    for await (const r of this.newestFirst()) records.push(r);
    return records;
  }

  /**
   * Releases newest first, read a page at a time: ids sort by time, so the key listing alone
   * gives the order, and a caller that stops early (lastHealthy) reads only the newest records,
   * however long the history.
   */
  async *newestFirst(pageSize = 20): AsyncGenerator<ReleaseRecord> {
    const keys = (await this.store.list(`${this.prefix}/releases/`)).filter((k) => k.endsWith(".json")).reverse();
    for (let i = 0; i < keys.length; i += pageSize) {
      const page = await readAll<ReleaseRecord>(this.store, keys.slice(i, i + pageSize));
      yield* page.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
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

  async appendAudit(entry: AuditEntry): Promise<void> {
    for (;;) {
      const ms = Math.max(this.now().getTime(), this.lastAuditMs + 1);
      this.lastAuditMs = ms;
      try {
        await this.store.createJson(`${this.prefix}/audit/${newReleaseId(new Date(ms))}.json`, entry);
        return;
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    }
  }

  /** Every audit entry, oldest first (keys sort by time). */
  async listAudit(): Promise<AuditEntry[]> {
    const keys = await this.store.list(`${this.prefix}/audit/`);
    return readAll<AuditEntry>(this.store, keys.filter((k) => k.endsWith(".json")));
  }
}

/** Reads the keys in order, a few at a time; a key deleted meanwhile is skipped. */
async function readAll<T>(store: ObjectStore, keys: string[]): Promise<T[]> {
  const out: Array<T | null> = new Array<T | null>(keys.length).fill(null);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < keys.length; i = next++) {
      const key = keys[i];
      if (key !== undefined) out[i] = (await store.getJson<T>(key))?.value ?? null;
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, keys.length) }, worker));
  return out.filter((v): v is T => v !== null);
}
