import { readFileSync } from "node:fs";

/** What /proc/<pid>/stat says of a process: its state letter and its start time (field 22, in clock ticks). */
export interface ProcStat {
  state: string;
  startTime: number | null;
}

/** /proc/<pid>/stat read and split; null when the process does not exist (or there is no /proc). */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const start = Number(fields[22 - 3]);
  return { state: fields[0] ?? "", startTime: Number.isFinite(start) ? start : null };
}

/** A zombie (Z) or dead (X) process has exited: it holds nothing and writes nothing, even if its parent never reaps it. */
export const hasExited = (s: ProcStat): boolean => s.state === "Z" || s.state === "X";
