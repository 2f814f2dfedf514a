import { randomUUID } from "node:crypto";
import type { LockHolder } from "./holder.js";
import { parseJsonAs, queueTicketSchema } from "./schema.js";
import { PreconditionFailedError } from "../objectstore/errors.js";
import type { ListedObject, ObjectStore } from "../objectstore/types.js";

/**
 * The line of runs waiting for an environment's remote lock, ordered and timed by the bucket's clock.
 *
 * Each waiter writes, under `<lock key>.queue/`:
 * - `<id>.json`, its ticket, created once and never rewritten: its Last-Modified is when it joined,
 *   on the bucket's clock, and it names the waiter (for the others to say who is ahead);
 * - `<id>.alive`, rewritten every third of a lease while it waits: its Last-Modified says it still waits.
 * So one listing per poll gives both the order (ticket Last-Modified, then key) and who is alive (the
 * newer of the two Last-Modified is less than a lease old, see isPastLease). No local time decides
 * anything: a waiter with a skewed clock neither jumps the line nor is passed over.
 *
 * A waiter tries the lock only when it is first among the live, readable tickets, which makes the lock
 * first come, first served (to the second: Last-Modified has no finer resolution; ties go by key). A
 * waiter whose run died stops holding the line a lease after its last sign of life, and is swept after
 * two. Anything unreadable under the prefix (not JSON, not a ticket, a stray key) holds no one back and is
 * swept by age the same way.
 */
export interface QueueView {
  /** 1 when nobody live is ahead. */
  position: number;
  ahead: LockHolder[];
}

export interface WaitQueueOptions {
  store: ObjectStore;
  /** `<lock key>.queue/` */
  prefix: string;
  holder: LockHolder;
  leaseMs: number;
  /** Monotonic milliseconds: when our liveness object is due for a refresh. */
  clock: () => number;
}

/** Last-Modified (objects) and Date (answers) are HTTP dates: whole seconds. */
export const CLOCK_RESOLUTION_MS = 1000;

/**
 * Whether an object is certainly older than `leaseMs`, from one answer of the bucket: `ageMs = serverTime -
 * lastModified`. Both are HTTP dates, whole seconds. Last-Modified is at most 1 s before the write (truncated;
 * a server that rounds it only makes it later) and Date is truncated, so never after the answer. Hence the true
 * age > (Date - LM) - 1 s, and asking for Date - LM >= leaseMs + 1 s guarantees a true age above leaseMs.
 */
export function isPastLease(ageMs: number, leaseMs: number): boolean {
  return ageMs >= leaseMs + CLOCK_RESOLUTION_MS;
}

interface Entry {
  id: string;
  ticket?: ListedObject;
  alive?: ListedObject;
  /** Keys under the prefix that are not a ticket or a liveness object. */
  stray?: ListedObject;
}

/** A live entry with a readable ticket, in line. */
interface Waiter {
  id: string;
  joinedAt: number;
  key: string;
  holder: LockHolder;
}

/** What one listing says about the line. */
interface Line {
  waiters: Waiter[];
  /** Whether our ticket is still there (it is swept if we stalled for two leases). */
  ours: boolean;
}

export class WaitQueue {
  private id: string | null = null;
  /** ETag of our liveness object; null until its first write. */
  private aliveEtag: string | null = null;
  private refreshedAt = 0;
  private beats = 0;
  /** Tickets never change once written: each is read once (null when unreadable). */
  private readonly holders = new Map<string, LockHolder | null>();

  constructor(private readonly opts: WaitQueueOptions) {}

  /** Live waiters other than us, first come first (for a newcomer deciding whether to take a free lock). */
  async others(): Promise<LockHolder[]> {
    const { waiters } = await this.line();
    return waiters.filter((w) => w.id !== this.id).map((w) => w.holder);
  }

  /** Writes our ticket: from now on, its Last-Modified is our place in line. */
  async join(): Promise<void> {
    if (this.id) return;
    const id = randomUUID();
    await this.opts.store.createJson(this.ticketKey(id), { holder: this.opts.holder });
    this.id = id;
    this.aliveEtag = null;
    this.refreshedAt = this.opts.clock();
  }

  /** Our place among the live tickets; says we are alive when a third of a lease has passed. */
  async view(): Promise<QueueView> {
    await this.refresh();
    let line = await this.line();
    if (!line.ours) {
      // Our ticket was swept (this process stalled past two leases): join again, at the back.
      await this.rejoin();
      line = await this.line();
    }
    const index = line.waiters.findIndex((w) => w.id === this.id);
    const ahead = (index < 0 ? line.waiters : line.waiters.slice(0, index)).map((w) => w.holder);
    return { position: ahead.length + 1, ahead };
  }

  /** Removes our objects (best effort: what is left behind dies and is swept on its own). */
  async leave(): Promise<void> {
    if (!this.id) return;
    const id = this.id;
    // Even a write whose answer was lost may have created it.
    const triedAlive = this.beats > 0;
    this.id = null;
    this.beats = 0;
    await this.opts.store.remove(this.ticketKey(id)).catch(() => undefined);
    if (triedAlive) await this.opts.store.remove(this.aliveKey(id)).catch(() => undefined);
  }

  private async rejoin(): Promise<void> {
    await this.leave();
    await this.join();
  }

  private async refresh(): Promise<void> {
    if (!this.id || this.opts.clock() - this.refreshedAt < this.opts.leaseMs / 3) return;
    const key = this.aliveKey(this.id);
    const body = { id: this.opts.holder.id, beat: ++this.beats };
    const at = this.opts.clock();
    try {
      const written =
        this.aliveEtag === null
          ? await this.opts.store.createJson(key, body)
          : await this.opts.store.replaceJson(key, body, this.aliveEtag);
      this.aliveEtag = written.etag;
      this.refreshedAt = at;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      // Swept while we stalled (a deleted key may stay blocked on a versioned bucket): take a new id.
      await this.rejoin();
    }
  }

  /** One listing: who waits, in order, sweeping what has been dead for two leases. */
  private async line(): Promise<Line> {
    const { objects, serverTime } = await this.opts.store.listObjects(this.opts.prefix);
    const ageOf = (o: ListedObject): number => serverTime.getTime() - o.lastModified.getTime();
    const entries = this.group(objects);
    const live: Entry[] = [];
    const dead: Entry[] = [];
    for (const e of entries) {
      const age = Math.min(...[e.ticket, e.alive, e.stray].flatMap((o) => (o ? [ageOf(o)] : [])));
      if (e.id === this.id || (e.ticket && !isPastLease(age, this.opts.leaseMs))) live.push(e);
      else if (isPastLease(age, 2 * this.opts.leaseMs)) dead.push(e);
    }
    await Promise.all(dead.map((e) => this.sweep(e)));
    const waiters = await this.readable(live);
    waiters.sort((a, b) => a.joinedAt - b.joinedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { waiters, ours: entries.some((e) => e.id === this.id && e.ticket !== undefined) };
  }

  private group(objects: ListedObject[]): Entry[] {
    const byId = new Map<string, Entry>();
    for (const o of objects) {
      const name = o.key.slice(this.opts.prefix.length);
      const m = /^([^/]+)\.(json|alive)$/.exec(name);
      const id = m?.[1] ?? `stray:${name}`;
      const entry = byId.get(id) ?? { id };
      if (m?.[2] === "json") entry.ticket = o;
      else if (m?.[2] === "alive") entry.alive = o;
      else entry.stray = o;
      byId.set(id, entry);
    }
    return [...byId.values()];
  }

  /** The live entries whose ticket names a waiter; the others are ignored. */
  private async readable(live: Entry[]): Promise<Waiter[]> {
    const read = await Promise.all(
      live.map(async (e): Promise<Waiter | null> => {
        if (!e.ticket) return null;
        const holder = e.id === this.id ? this.opts.holder : await this.holderOf(e.ticket.key);
        return holder && { id: e.id, joinedAt: e.ticket.lastModified.getTime(), key: e.ticket.key, holder };
      }),
    );
    return read.filter((w): w is Waiter => w !== null);
  }

  private async holderOf(key: string): Promise<LockHolder | null> {
    const known = this.holders.get(key);
    if (known !== undefined) return known;
    const raw = await this.opts.store.read(key);
    if (!raw) return null; // removed meanwhile: its waiter left
    const holder = parseTicket(raw.text);
    this.holders.set(key, holder);
    return holder;
  }

  private async sweep(e: Entry): Promise<void> {
    for (const o of [e.ticket, e.alive, e.stray]) if (o) await this.opts.store.remove(o.key).catch(() => undefined);
    if (e.ticket) this.holders.delete(e.ticket.key);
  }

  private ticketKey(id: string): string {
    return `${this.opts.prefix}${id}.json`;
  }

  private aliveKey(id: string): string {
    return `${this.opts.prefix}${id}.alive`;
  }
}

/** The waiter a ticket names, or null when it is not a ticket (tickets of older versions name one too). */
function parseTicket(text: string): LockHolder | null {
  const parsed = parseJsonAs<{ holder: LockHolder }>(queueTicketSchema, text);
  return "value" in parsed ? parsed.value.holder : null;
}
