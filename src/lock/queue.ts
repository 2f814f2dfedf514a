import { randomUUID } from "node:crypto";
import { isLockHolder, type LockHolder } from "./holder.js";
import { PreconditionFailedError } from "../objectstore/errors.js";
import type { ObjectStore } from "../objectstore/types.js";

/**
 * The line of runs waiting for an environment's remote lock: one ticket object per waiter under
 * `<lock key>.queue/`, named by the time it joined, so a key listing gives the order. A waiter
 * tries the lock only when it is first among the live tickets, which makes the lock first come,
 * first served and lets each waiter say its place. A ticket whose waiter stopped refreshing it
 * (its run died) expires after a lease and no longer holds anyone back.
 */
export interface Ticket {
  holder: LockHolder;
  joinedAt: string;
  expiresAt: string;
}

export interface QueueView {
  /** 1 when nobody live is ahead. */
  position: number;
  ahead: LockHolder[];
}

export class WaitQueue {
  private key: string | null = null;
  private etag: string | null = null;
  private joinedAt = 0;
  private refreshedAt = 0;

  constructor(
    private readonly store: ObjectStore,
    private readonly prefix: string,
    private readonly holder: LockHolder,
    private readonly leaseMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Live tickets of others, oldest first (for a newcomer deciding whether to take a free lock). */
  async others(): Promise<Ticket[]> {
    const tickets = await this.liveTickets();
    return tickets.filter(([key]) => key !== this.key).map(([, t]) => t);
  }

  async join(): Promise<void> {
    if (this.key) return;
    const joined = this.now();
    // Sortable by time; the uuid keeps two waiters of the same millisecond apart.
    const key = `${this.prefix}${new Date(joined).toISOString().replace(/[-:.]/g, "")}-${randomUUID()}.json`;
    const { etag } = await this.store.createJson(key, this.ticket(joined));
    this.key = key;
    this.etag = etag;
    this.joinedAt = joined;
    this.refreshedAt = joined;
  }

  /** Our place among the live tickets; refreshes our ticket when a third of its lease has passed. */
  async view(): Promise<QueueView> {
    await this.refresh();
    const tickets = await this.liveTickets();
    const index = tickets.findIndex(([key]) => key === this.key);
    const ahead = (index < 0 ? tickets : tickets.slice(0, index)).map(([, t]) => t.holder);
    return { position: ahead.length + 1, ahead };
  }

  async leave(): Promise<void> {
    if (!this.key) return;
    const key = this.key;
    this.key = null;
    // Best effort: a ticket left behind expires on its own.
    await this.store.remove(key).catch(() => undefined);
  }

  private async refresh(): Promise<void> {
    if (!this.key || !this.etag || this.now() - this.refreshedAt < this.leaseMs / 3) return;
    const at = this.now();
    try {
      this.etag = (await this.store.replaceJson(this.key, this.ticket(this.joinedAt, at), this.etag)).etag;
      this.refreshedAt = at;
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      // Our ticket expired and was swept (this process stalled past a lease): join again, at the back.
      this.key = null;
      await this.join();
    }
  }

  private ticket(joinedMs: number, refreshedMs = joinedMs): Ticket {
    return { holder: this.holder, joinedAt: new Date(joinedMs).toISOString(), expiresAt: new Date(refreshedMs + this.leaseMs).toISOString() };
  }

  private async liveTickets(): Promise<Array<[string, Ticket]>> {
    const keys = (await this.store.list(this.prefix)).filter((k) => k.endsWith(".json"));
    const read = await Promise.all(keys.map(async (k) => [k, (await this.store.getJson<unknown>(k))?.value] as const));
    const nowMs = this.now();
    // Tickets dead for two leases are swept by whoever sees them, so the line does not grow forever.
    for (const [k, t] of read) {
      if (k !== this.key && (!isTicket(t) || Date.parse(t.expiresAt) + 2 * this.leaseMs < nowMs)) await this.store.remove(k).catch(() => undefined);
    }
    return read.filter((e): e is readonly [string, Ticket] => isTicket(e[1]) && Date.parse(e[1].expiresAt) > nowMs).map(([k, t]) => [k, t]);
  }
}

function isTicket(value: unknown): value is Ticket {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return isLockHolder(v.holder) && typeof v.joinedAt === "string" && typeof v.expiresAt === "string";
}
