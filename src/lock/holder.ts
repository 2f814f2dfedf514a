import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { LockHolder } from "../core/types.js";

export type { LockHolder };

export function currentHolder(command: string): LockHolder {
  let user = process.env.EVALAP_ACTOR ?? process.env.GITHUB_ACTOR ?? "";
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = process.env.USER ?? "unknown";
    }
  }
  return { id: randomUUID(), user, host: os.hostname(), pid: process.pid, command, startedAt: new Date().toISOString() };
}

/**
 * True when the process is gone (only meaningful for a holder on this host). A zombie (killed, not
 * yet reaped by its parent: slow in a container without an init) still answers signal 0 but runs
 * nothing and holds nothing: it is gone too.
 */
export function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return false; // no /proc: signal 0 is all we know
  }
  // The command name (field 2) may hold spaces and parentheses: the state follows its last ")".
  const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  return state === "Z" || state === "X";
}
