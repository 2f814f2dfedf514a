// Prometheus' duration syntax (model.Duration): units from the largest to the smallest, each at most once
// ("1h30m", "90s", "500ms"), and "0". Read by the alert rules (validation, comparing with what the ruler
// stores) and by the sandbox's ruler, which stores durations as Prometheus prints them.

const UNITS: readonly (readonly [string, number])[] = [
  ["y", 365 * 86_400_000],
  ["w", 7 * 86_400_000],
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1000],
  ["ms", 1],
];
const PROM_DURATION = /^((\d+)y)?((\d+)w)?((\d+)d)?((\d+)h)?((\d+)m)?((\d+)s)?((\d+)ms)?$/;

/** Milliseconds of a Prometheus duration ("0" and "0s" are 0); null when malformed. */
export function promDurationMs(text: string): number | null {
  if (text === "0") return 0;
  const m = PROM_DURATION.exec(text);
  if (!m || text === "") return null;
  return UNITS.reduce((total, [, size], i) => {
    const n = m[2 + i * 2];
    return n === undefined ? total : total + Number(n) * size;
  }, 0);
}

/** A duration in milliseconds as Prometheus prints it: "0s", "1m", "1h30m". */
export function formatPromDuration(ms: number): string {
  if (ms === 0) return "0s";
  let left = ms;
  let out = "";
  for (const [unit, size] of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}
