import { readFileSync } from "node:fs";
import { processIsGone } from "../../lock/holder.js";
import { sleep } from "../../core/sleep.js";

/**
 * Whether `pid` runs and is what we expect (its command line contains every word of `marks`): a pid
 * left in a file by a process that died can have been given to another program since. Where
 * /proc cannot be read, a living pid is trusted.
 */
export function processMatches(pid: number, marks: readonly string[]): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || processIsGone(pid)) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return true;
  }
  // processIsGone already counts a zombie as gone; an empty command line (a kernel thread) runs none of ours.
  return cmdline !== "" && marks.every((m) => cmdline.includes(m));
}

/** Waits until `pid` is gone (or no longer matches `marks`); false when still there after `ms`. */
export async function waitGone(pid: number, marks: readonly string[], ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (processMatches(pid, marks)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
