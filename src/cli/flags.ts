import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";

export function parseLockTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--lock-timeout "${text}" is not a duration`, 'use a number with a unit: "500ms", "30s", "10m" or "1h"');
  return ms;
}

/** `--var name=value` pairs; a value that parses as JSON (numbers, lists, maps) is passed as such. */
export function parseVars(pairs: string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var "${pair}" is not name=value`, 'write it as --var name=value, e.g. --var images=\'{"evalap":"rg.fr-par.scw.cloud/ns/evalap:1.2.3"}\'');
    const name = pair.slice(0, eq);
    const raw = pair.slice(eq + 1);
    vars[name] = /^[[{]/.test(raw.trim()) ? parseJsonOr(raw) : raw;
  }
  return vars;
}

function parseJsonOr(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}
