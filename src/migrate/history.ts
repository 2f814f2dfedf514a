/**
 * `alembic history --indicate-current` read back: one line per revision, newest first, as Alembic
 * prints them (`<down> -> <rev> (head) (current), <message>`; `<base>` for the first). The database's
 * revision carries `(current)`; none does on an empty database.
 */
export interface Revision {
  revision: string;
  down: string | null;
  message: string;
  head: boolean;
  current: boolean;
}

export interface MigrationStatus {
  /** The database's revision, null when Alembic never ran there. */
  current: string | null;
  /** The image's head. */
  head: string | null;
  /** Revisions the image has that the database lacks, oldest first. */
  pending: Array<{ revision: string; message: string }>;
}

const LINE = /^(\S+(?:,\s*\S+)*)\s+->\s+(\w+)((?:\s+\([a-z ]+\))*),\s*(.*)$/;

export function parseHistory(lines: readonly string[]): Revision[] {
  const out: Revision[] = [];
  for (const line of lines) {
    const m = LINE.exec(line.trim());
    if (!m) continue;
    const marks = m[3] ?? "";
    out.push({
      revision: m[2] ?? "",
      down: m[1] === "<base>" ? null : (m[1] ?? null),
      message: m[4] ?? "",
      head: /\((?:effective )?head\)/.test(marks),
      current: /\(current\)/.test(marks),
    });
  }
  return out;
}

/** Newest first in; the pending revisions are those above the current one, given oldest first. */
export function statusOf(revisions: readonly Revision[]): MigrationStatus {
  const head = revisions.find((r) => r.head)?.revision ?? revisions[0]?.revision ?? null;
  const currentIndex = revisions.findIndex((r) => r.current);
  const above = currentIndex < 0 ? revisions : revisions.slice(0, currentIndex);
  return {
    current: currentIndex < 0 ? null : (revisions[currentIndex]?.revision ?? null),
    head,
    pending: [...above].reverse().map((r) => ({ revision: r.revision, message: r.message })),
  };
}
