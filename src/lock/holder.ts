import { randomUUID } from "node:crypto";
import os from "node:os";
import { hasExited, procStat } from "../core/proc.js";
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
  const stat = procStat(pid);
  // No /proc: signal 0 is all we know.
  return stat !== null && hasExited(stat);
}
