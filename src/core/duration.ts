// Days (24 h) for long spans such as a secret's maximum age ("90d").
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
/** The same, with days: for spans counted in days (a secret's maximum age). */
export const LONG_DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** Parses "500ms", "30s", "5m", "1h", "90d" into milliseconds; returns null when malformed. */
export function parseDuration(text: string): number | null {
  const m = LONG_DURATION_PATTERN.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return null;
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
}
