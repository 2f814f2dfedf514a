import { alignColumns } from "../report/format.js";
import type { SecretStatus } from "./status.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A coarse age for a table: "<1m", "42m", "5h", "12d". */
export function formatAge(ms: number | null): string {
  if (ms === null) return "-";
  if (ms < MINUTE) return "<1m";
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)}m`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)}h`;
  return `${Math.floor(ms / DAY)}d`;
}

/** A maximum age as configured: whole days when it is, else hours, minutes, seconds or ms. */
export function formatMaxAge(ms: number | null): string {
  if (ms === null) return "-";
  for (const [unit, size] of [
    ["d", DAY],
    ["h", HOUR],
    ["m", MINUTE],
    ["s", 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function inUseCell(s: SecretStatus): string {
  if (s.usedBy === "none") return "-";
  return s.inUse === null ? "?" : String(s.inUse);
}

function currentCell(s: SecretStatus): string {
  if (s.current === null) return s.usedBy === "none" ? "-" : "?";
  return s.current ? "yes" : "NO";
}

/** The human table of `secrets list`: one line per secret, columns padded, never a value. */
export function secretsTable(rows: readonly SecretStatus[]): string[] {
  const header = ["NAME", "LATEST", "AGE", "ENABLED", "DISABLED", "TOTAL", "IN USE", "CURRENT", "MAX AGE", "DUE"];
  const body = rows.map((s) => [
    s.missing ? `${s.name} (missing)` : s.name,
    s.latestEnabled === null ? "-" : String(s.latestEnabled),
    formatAge(s.ageMs),
    String(s.versions.enabled),
    String(s.versions.disabled),
    String(s.versions.total),
    inUseCell(s),
    currentCell(s),
    formatMaxAge(s.maxAgeMs),
    s.due ? "DUE" : "",
  ]);
  return alignColumns([header, ...body]);
}
