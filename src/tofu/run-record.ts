import { mkdir, readdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hasExited, procStat } from "../core/proc.js";

/**
 * What the tool knows about one tofu process it started, kept on disk while the process runs and
 * left behind when it could not be cleaned up (the CLI was killed, tofu was killed, or tofu could
 * not release its state lock). It is the evidence that lets a later run prove that the holder of a
 * state lock is dead, without guessing from times alone.
 */
export interface RunRecord {
  /** tofu's pid. */
  pid: number;
  /** The CLI that started it. */
  cliPid: number;
  host: string;
  user: string;
  /** The root tofu ran in, resolved (symlinks followed), as /proc/<pid>/cwd shows it. */
  cwd: string;
  subcommand: string;
  /** When the CLI spawned it (local time, ISO 8601 with offset): before any lock it took was created. */
  startedAt: string;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22): a reused pid has another one. */
  procStart: number | null;
  /** The -lock-timeout it ran with: how long it may have waited before its lock was created. */
  lockTimeoutMs?: number;
}

/** "user@host", as OpenTofu writes the Who of the state locks it takes (statemgr.NewLockInfo). */
export function lockOwnerHere(): string {
  return `${currentUser()}@${os.hostname()}`;
}

export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    // No passwd entry (some containers): Go's os/user falls back to $USER as well.
    return process.env.USER ?? "";
  }
}

/** Field 22 of /proc/<pid>/stat, or null when the process does not exist (or there is no /proc). */
export async function procStartTime(pid: number): Promise<number | null> {
  const stat = procStat(pid);
  // A zombie or dead process has exited: it holds nothing and writes nothing, even if its parent
  // never reaps it (a container without an init). It counts as gone.
  return stat === null || hasExited(stat) ? null : stat.startTime;
}

/** The local time with its offset, as an operator reads it next to `date`. */
export function localIso(date: Date): string {
  const offset = -date.getTimezoneOffset();
  const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, "0");
  const sign = offset >= 0 ? "+" : "-";
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `.${pad(date.getMilliseconds(), 3)}${sign}${pad(Math.trunc(offset / 60))}:${pad(offset % 60)}`
  );
}

export function runRecordFile(dir: string, pid: number): string {
  return path.join(dir, `${pid}.json`);
}

/** Writes the record of a process just spawned; atomic (a reader never sees half a record). */
export async function writeRunRecord(
  dir: string,
  fields: Omit<RunRecord, "host" | "user" | "procStart" | "cwd"> & { cwd: string },
): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const record: RunRecord = {
    ...fields,
    cwd: await realpath(fields.cwd).catch(() => path.resolve(fields.cwd)),
    host: os.hostname(),
    user: currentUser(),
    procStart: await procStartTime(fields.pid),
  };
  const file = runRecordFile(dir, fields.pid);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(record, null, 2) + "\n", { mode: 0o600 });
  await rename(tmp, file);
  return file;
}

export async function removeRunRecord(file: string): Promise<void> {
  await rm(file, { force: true });
}

/** Every readable record in the directory (unreadable or foreign files are skipped). */
export async function readRunRecords(dir: string): Promise<Array<{ file: string; record: RunRecord }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const out: Array<{ file: string; record: RunRecord }> = [];
  for (const name of names.filter((n) => /^\d+\.json$/.test(n))) {
    const file = path.join(dir, name);
    const record = parseRunRecord(await readFile(file, "utf8").catch(() => ""));
    if (record) out.push({ file, record });
  }
  return out;
}

function parseRunRecord(text: string): RunRecord | null {
  try {
    const v = JSON.parse(text) as Partial<RunRecord>;
    const ok =
      typeof v.pid === "number" &&
      typeof v.cwd === "string" &&
      typeof v.startedAt === "string" &&
      typeof v.host === "string" &&
      typeof v.user === "string";
    return ok ? (v as RunRecord) : null;
  } catch {
    return null;
  }
}
