import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { auditEntrySchema, parseJson, RELEASE_ID_PATTERN, releaseSetSchema } from "./schema.js";
import type { AuditEntry, ReleaseSet } from "./types.js";

/**
 * Outcomes the bucket could not take (it stayed unreachable after an apply), kept on this host
 * until `Ledger.reconcile` writes them: one JSON file per entry, replayed in file-name order.
 */
export type JournalEntry =
  | { kind: "release"; environment: string; releaseId: string; set: ReleaseSet; at: string }
  | { kind: "audit"; environment: string; key: string; entry: AuditEntry; at: string };

/** A journal file: its entry, or why it cannot be replayed (edited by hand, another version). */
export type JournalRecord = { file: string; entry: JournalEntry } | { file: string; unreadable: string };

const journalEntrySchema = z.discriminatedUnion("kind", [
  z.looseObject({
    kind: z.literal("release"),
    environment: z.string(),
    releaseId: z.string().regex(RELEASE_ID_PATTERN),
    set: releaseSetSchema,
    at: z.string(),
  }),
  z.looseObject({ kind: z.literal("audit"), environment: z.string(), key: z.string().min(1), entry: auditEntrySchema, at: z.string() }),
]);

const ENTRY_FILE = /^\d{13}-\d{6}-[0-9a-f]{8}\.json$/;

export class OutcomeJournal {
  /** Orders entries added by this process within one millisecond. */
  private static counter = 0;

  constructor(readonly dir: string) {}

  /** Writes the entry atomically (temp file, fsync, rename), readable by this user only; returns its file. */
  async add(entry: JournalEntry): Promise<string> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const seq = String(OutcomeJournal.counter++ % 1_000_000).padStart(6, "0");
    const name = `${String(Date.now()).padStart(13, "0")}-${seq}-${randomBytes(4).toString("hex")}.json`;
    const file = join(this.dir, name);
    const temp = `${file}.${process.pid}.tmp`;
    const handle = await open(temp, "wx", 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(entry, null, 2)}\n`);
      await handle.chmod(0o600); // whatever the umask
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    return file;
  }

  /** Every entry, oldest first; none when the directory does not exist. */
  async entries(): Promise<JournalRecord[]> {
    const names = await this.names();
    return Promise.all(names.map((name) => this.load(join(this.dir, name))));
  }

  /** Forgets an entry (absent is fine): its outcome is in the bucket now. */
  async remove(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  private async names(): Promise<string[]> {
    try {
      return (await readdir(this.dir)).filter((n) => ENTRY_FILE.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
  }

  private async load(file: string): Promise<JournalRecord> {
    const parsed = parseJson(journalEntrySchema, await readFile(file, "utf8"));
    return parsed.ok ? { file, entry: parsed.value } : { file, unreadable: parsed.reason };
  }
}
