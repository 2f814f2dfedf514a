import { InvalidArgumentError, Option } from "commander";
import { parseDuration } from "../core/duration.js";
import { UsageError } from "../core/errors.js";

export const DURATION_HINT = 'use a number with a unit: "500ms", "30s", "10m" or "1h"';
const VAR_HINT = 'write it as --var name=value, e.g. --var images=\'{"evalap":"rg.fr-par.scw.cloud/ns/evalap:1.2.3"}\'';
const IMAGE_HINT = "write it as --image evalap=rg.fr-par.scw.cloud/<namespace>/evalap:<tag>";

export function parseLockTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--lock-timeout "${text}" is not a duration`, DURATION_HINT);
  return ms;
}

/** `--var name=value` pairs; a value that parses as JSON (numbers, lists, maps) is passed as such. */
export function parseVars(pairs: string[]): Record<string, unknown> {
  const vars: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--var "${pair}" is not name=value`, VAR_HINT);
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

/** `--image service=reference` pairs (commander checked their shape). */
export function parseImages(pairs: string[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0 || eq === pair.length - 1) throw new UsageError(`--image "${pair}" is not service=reference`, IMAGE_HINT);
    images[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return images;
}

// Options shared by several commands, checked by commander while it parses: a malformed value is a
// usage error (exit 3) before anything runs. The values stay as typed: the bodies parse them.

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function yesOption(description = "confirm the plan without a prompt (required for protected environments in CI)"): Option {
  return new Option("-y, --yes", description);
}

export function lockTimeoutOption(description = "how long to wait for the deployment lock, e.g. 30s, 10m"): Option {
  return new Option("--lock-timeout <duration>", description).argParser((text: string) => {
    if (parseDuration(text) === null) throw new InvalidArgumentError(DURATION_HINT);
    return text;
  });
}

/** `--timeout <duration>`: how long a command waits for a resource (checked like --lock-timeout). */
export function timeoutOption(description: string, defaultValue: string): Option {
  return new Option("--timeout <duration>", description)
    .argParser((text: string) => {
      if (parseDuration(text) === null) throw new InvalidArgumentError(DURATION_HINT);
      return text;
    })
    .default(defaultValue);
}

export function allowDestroyOption(): Option {
  return new Option("--allow-destroy <address>", "allow deleting or replacing this stateful resource (repeatable)")
    .argParser(collect)
    .default([]);
}

export function varOption(): Option {
  return new Option("--var <name=value>", "set an input variable for this run (repeatable)")
    .argParser((pair: string, previous: string[]) => {
      if (pair.indexOf("=") <= 0) throw new InvalidArgumentError(VAR_HINT);
      return collect(pair, previous);
    })
    .default([]);
}

export function imageOption(): Option {
  return new Option("--image <service=ref>", "image reference of a service for this release (repeatable; others carry over)")
    .argParser((pair: string, previous: string[]) => {
      const eq = pair.indexOf("=");
      if (eq <= 0 || eq === pair.length - 1) throw new InvalidArgumentError(IMAGE_HINT);
      return collect(pair, previous);
    })
    .default([]);
}

/** `-n, --limit <count>`: a positive whole number. */
export function limitOption(description: string, defaultValue: number): Option {
  return new Option("-n, --limit <count>", description)
    .argParser((text: string) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("give a positive whole number, for example --limit 20");
      return n;
    })
    .default(defaultValue);
}
