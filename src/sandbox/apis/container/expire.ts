import { nowMs } from "../../clock.js";
import type { SandboxContext } from "../../context.js";

/**
 * A deleted record is answered `deleting` for readyDelayMs, then is gone: it is then removed from the
 * state (so `GET /_sandbox/resources` counts live resources only). Timers are cleared when the sandbox
 * stops; a start removes those whose time has passed (`expireDeleted`).
 */
const timers = new WeakMap<SandboxContext, Set<NodeJS.Timeout>>();

function timersOf(ctx: SandboxContext): Set<NodeJS.Timeout> {
  let set = timers.get(ctx);
  if (!set) {
    const created = new Set<NodeJS.Timeout>();
    ctx.onStop(() => {
      for (const t of created) clearTimeout(t);
      created.clear();
      return Promise.resolve();
    });
    timers.set(ctx, created);
    set = created;
  }
  return set;
}

interface Deletable {
  id: string;
  _deleted_at?: string;
}

/** Removes the record once its `deleting` time is over (now when readyDelayMs is 0). */
export function forgetLater(ctx: SandboxContext, collection: string, id: string, deletedAt: string): void {
  const remove = () => {
    const records = ctx.store.collection<Deletable>(collection);
    if (records.get(id)?._deleted_at !== deletedAt) return;
    records.delete(id);
    void ctx.store.flush().catch(() => undefined);
  };
  const wait = Date.parse(deletedAt) + ctx.readyDelayMs - nowMs();
  if (wait <= 0) return remove();
  const set = timersOf(ctx);
  const t = setTimeout(() => {
    set.delete(t);
    remove();
  }, wait);
  t.unref();
  set.add(t);
}

/** At start: the records deleted long enough ago are removed, the others are given their timer. */
export function expireDeleted(ctx: SandboxContext, collection: string): void {
  for (const r of ctx.store.collection<Deletable>(collection).all()) {
    if (r._deleted_at) forgetLater(ctx, collection, r.id, r._deleted_at);
  }
}
