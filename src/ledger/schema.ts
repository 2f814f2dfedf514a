import { z } from "zod";
import type { AuditEntry, ReleaseRecord, ReleaseSet } from "./types.js";

/**
 * What the ledger reads back from the bucket is validated here: objects may have been written by
 * another CLI version or edited by hand. Objects are loose: a field a newer CLI added is accepted
 * and kept when the record is rewritten, so an older CLI never drops it.
 */

/** A release id: the 8-digit, zero-padded sequence number. */
export const RELEASE_ID_PATTERN = /^\d{8}$/;

export const releaseStatusSchema = z.enum(["pending", "healthy", "failed", "rolled_back", "superseded", "unpersisted"]);

const planSchema = z.looseObject({
  counts: z.looseObject({ create: z.number(), update: z.number(), delete: z.number(), replace: z.number() }),
  changes: z.array(z.looseObject({ address: z.string(), action: z.string() })),
});

const healthSchema = z.looseObject({
  healthy: z.boolean(),
  services: z.array(
    z.looseObject({
      name: z.string(),
      healthy: z.boolean(),
      attempts: z.number(),
      lastStatus: z.number().optional(),
      lastError: z.string().optional(),
    }),
  ),
});

export const releaseRecordSchema = z.looseObject({
  id: z.string().regex(RELEASE_ID_PATTERN, { message: "expected an 8-digit release id" }),
  environment: z.string(),
  kind: z.enum(["deploy", "rollback"]),
  rollbackOf: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().optional(),
  actor: z.string(),
  host: z.string(),
  runId: z.string(),
  gitRevision: z.string().nullable(),
  configHash: z.string(),
  inputs: z.looseObject({ vars: z.record(z.string(), z.unknown()) }),
  images: z.record(z.string(), z.string()),
  plan: planSchema.optional(),
  status: releaseStatusSchema,
  statusReason: z.string().optional(),
  health: healthSchema.optional(),
  rolledBackTo: z.string().optional(),
  notes: z.array(z.string()).optional(),
});

/** The fields a settle (or its journal entry) may set: never the id or the times. */
export const releaseSetSchema = releaseRecordSchema.omit({ id: true, createdAt: true, updatedAt: true }).partial();

export const auditEntrySchema = z.looseObject({
  id: z.string().min(1),
  at: z.string(),
  environment: z.string(),
  actor: z.string(),
  host: z.string(),
  command: z.string(),
  operation: z.string(),
  outcome: z.enum(["ok", "failed", "rolled_back", "interrupted", "refused"]),
  releaseId: z.string().optional(),
  detail: z.string().optional(),
});

// Compile-time checks that types.ts and the schemas describe the same fields: a parsed value is
// usable as the type, every field of the type is validated, and every value of the type parses.
type Fits<A, B> = [A] extends [B] ? true : false;
type Unvalidated<T, S extends { shape: object }> = Exclude<keyof T, keyof S["shape"]>;
/** A loose object's input without its index signature (an interface never fits one). */
type Known<T> = { [K in keyof T as string extends K ? never : K]: T[K] };
const inSync: [
  Fits<z.output<typeof releaseRecordSchema>, ReleaseRecord>,
  Fits<ReleaseRecord, Known<z.input<typeof releaseRecordSchema>>>,
  Fits<Unvalidated<ReleaseRecord, typeof releaseRecordSchema>, never>,
  Fits<z.output<typeof releaseSetSchema>, ReleaseSet>,
  Fits<z.output<typeof auditEntrySchema>, AuditEntry>,
  Fits<AuditEntry, Known<z.input<typeof auditEntrySchema>>>,
  Fits<Unvalidated<AuditEntry, typeof auditEntrySchema>, never>,
] = [true, true, true, true, true, true, true];
void inSync;

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Parses JSON text against a schema; a failure is a short reason fit for a warning, not a dump. */
export function parseJson<S extends z.ZodType>(schema: S, text: string): Parsed<z.output<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: `not JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  return validate(schema, raw);
}

export function validate<S extends z.ZodType>(schema: S, raw: unknown): Parsed<z.output<S>> {
  const result = schema.safeParse(raw);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: describeIssues(result.error) };
}

/** The first few issues, one line: "status: Invalid option...; runId: Invalid input...". */
export function describeIssues(error: z.ZodError): string {
  const shown = error.issues.slice(0, 3).map((i) => `${i.path.length ? i.path.join(".") : "(root)"}: ${i.message}`);
  const more = error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : "";
  return `not a valid record (${shown.join("; ")}${more})`;
}
