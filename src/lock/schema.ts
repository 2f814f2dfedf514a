import { z } from "zod";

/**
 * What the locks read back: holder files, lease records and queue tickets, written by other runs
 * (perhaps another version of this CLI) or by hand. Objects are loose: a field a newer CLI added is
 * kept when the record is rewritten. Whatever fails these schemas is handled as unreadable by the
 * caller (a lease that is not a record, a ticket that names nobody), never trusted.
 */

export const lockHolderSchema = z.looseObject({
  // A holder written by hand may lack the id: it then matches no run (ids are UUIDs).
  id: z.string().default(""),
  user: z.string(),
  host: z.string(),
  pid: z.number(),
  command: z.string(),
  startedAt: z.string(),
});

export const remoteLockRecordSchema = z.looseObject({
  holder: lockHolderSchema,
  acquiredAt: z.string(),
  heartbeatAt: z.string(),
  expiresAt: z.string(),
  leaseMs: z.number().min(0),
  released: z.looseObject({ at: z.string(), by: lockHolderSchema, forced: z.boolean() }).optional(),
});

/** A queue ticket: the waiter it names (tickets of older versions name one too). */
export const queueTicketSchema = z.looseObject({ holder: lockHolderSchema });

/** JSON text parsed and checked against the schema, or which of the two it failed. */
export function parseJsonAs<T>(schema: z.ZodType<T>, text: string): { value: T } | { problem: "not JSON" | "schema" } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: "not JSON" };
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? { value: parsed.data } : { problem: "schema" };
}
