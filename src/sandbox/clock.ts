import { randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";

/** Wall-clock milliseconds with a microsecond fraction (Date.now() stops at the millisecond). */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** RFC 3339 with microseconds and `Z`, as the recorded answers: `2026-07-03T15:27:59.863920Z`. */
export function timestamp(ms: number = nowMs()): string {
  // Whole microseconds first: a float's fraction would turn .863920 into .863919.
  const total = Math.round(ms * 1000);
  const whole = Math.floor(total / 1000);
  const micros = total - whole * 1000;
  const iso = new Date(whole).toISOString(); // 2026-07-03T15:27:59.863Z
  return `${iso.slice(0, -1)}${String(micros).padStart(3, "0")}Z`;
}

export const newId = (): string => randomUUID();

export { isUuid } from "../core/ids.js";

/**
 * The status of a resource that is created `pending` and becomes `ready` after `delayMs`, computed
 * from its timestamp rather than a timer, so that it stays right across a restart of the sandbox.
 */
export function statusAfter<T extends string>(sinceIso: string, delayMs: number, pending: T, ready: T, now: number = nowMs()): T {
  return now - Date.parse(sinceIso) >= delayMs ? ready : pending;
}
