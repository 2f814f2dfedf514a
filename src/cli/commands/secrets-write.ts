import { readFile } from "node:fs/promises";
import { UsageError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { setSecret, MAX_SECRET_BYTES, type SetResult } from "../../operations/secrets-set.js";
import { rotateSecrets, type RotateResult } from "../../operations/secrets-rotate.js";
import { parseDuration } from "../../core/duration.js";
import { EvalapError } from "../../core/errors.js";
import { parseLockTimeout } from "../flags.js";
import { assertHealthy } from "../release-outcome.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface SetFlags {
  file?: string;
  generate?: boolean;
  deploy?: boolean;
  yes?: boolean;
  grace?: string;
  lockTimeout?: string;
  rollback: boolean;
}

export interface RotateFlags {
  all?: boolean;
  due?: boolean;
  resume?: boolean;
  undo?: boolean;
  grace?: string;
  yes?: boolean;
  lockTimeout?: string;
}

const ARGV_REFUSED =
  "a secret value on the command line is refused: it would stay in the shell's history and be readable by every user of the machine (ps, /proc)";
const HOW_TO_GIVE = 'give it on standard input (`... < value.txt`, or `printf %s "$VALUE" | ...`) or with --file PATH';

/**
 * secrets set <env> <NAME>: the value from standard input or --file, never from argv. `extra` is
 * whatever followed NAME on the command line: refused, and never echoed.
 */
export function secretsSetCommand(
  environment: string,
  name: string,
  extra: string | undefined,
  flags: SetFlags,
  globals: GlobalOptions,
): Promise<number> {
  return runCommand("secrets set", environment, globals, async (cmd) => {
    if (extra !== undefined || name.includes("=")) throw new UsageError(ARGV_REFUSED, HOW_TO_GIVE);
    if (flags.generate && flags.file !== undefined)
      throw new UsageError("--generate and --file both give the value: choose one", HOW_TO_GIVE);
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const graceMs = parseGrace(flags.grace);
    const value = flags.generate ? ("generate" as const) : { given: await readValue(flags.file) };
    const ctx = await cmd.loadContext();
    const result = await setSecret(ctx, {
      environment,
      name,
      value,
      deploy: flags.deploy === true,
      yes: flags.yes === true,
      autoRollback: flags.rollback !== false && ctx.config.rollback.automatic,
      ...(graceMs !== undefined ? { graceMs } : {}),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });
    cmd.events.emit({ type: "data", kind: "secrets.set", data: setData(environment, result) });
    if (result.rotation) return rotationOutcome(result.rotation);
    if (result.release) assertHealthy(result.release);
    return { summary: result.summary };
  });
}

export function secretsRotateCommand(environment: string, names: string[], flags: RotateFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("secrets rotate", environment, globals, async (cmd) => {
    if ((flags.resume || flags.undo) && (names.length > 0 || flags.all || flags.due)) {
      throw new UsageError(
        "--resume and --undo work on the unfinished rotation: give no names, --all or --due with them",
        "run `evalap-infra secrets rotate <env> --resume`",
      );
    }
    if (flags.resume && flags.undo) throw new UsageError("--resume and --undo contradict each other", "choose one");
    for (const n of names)
      if (n.includes("="))
        throw new UsageError(`${ARGV_REFUSED}; rotate generates the value itself`, "give only secret names, e.g. ADMIN_TOKEN");
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const graceMs = parseGrace(flags.grace);
    const ctx = await cmd.loadContext();
    const result = await rotateSecrets(ctx, {
      environment,
      names,
      all: flags.all === true,
      due: flags.due === true,
      resume: flags.resume === true,
      undo: flags.undo === true,
      yes: flags.yes === true,
      ...(graceMs !== undefined ? { graceMs } : {}),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
    });
    cmd.events.emit({ type: "data", kind: "secrets.rotate", data: rotateData(environment, result) });
    return rotationOutcome(result);
  });
}

/** rotated, nothing due, or undone as asked (--undo): 0; undone after a failed gate: 7 (the previous versions run again); failed: 8. */
function rotationOutcome(result: RotateResult): { summary: string } {
  if (result.outcome === "rotated" || result.outcome === "nothing") return { summary: result.summary };
  if (result.outcome === "undone" && result.undoneBy === "request") return { summary: result.summary };
  const undone = result.outcome === "undone";
  throw new EvalapError(undone ? "rotation_undone" : "rotation_failed", result.summary, {
    exitCode: undone ? ExitCode.RolledBack : ExitCode.HealthFailed,
    ...(result.hint ? { hint: result.hint } : {}),
  });
}

function parseGrace(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms === null) throw new UsageError(`--grace "${text}" is not a duration`, 'use a number with a unit: "0s", "5m", "1h"');
  return ms;
}

/** The value from --file, else standard input (which must not be a terminal). One trailing newline is dropped: files and `echo` end with one. */
async function readValue(file: string | undefined): Promise<string> {
  let raw: Buffer;
  if (file !== undefined && file !== "-") {
    raw = await readFile(file).catch((err: NodeJS.ErrnoException) => {
      throw new UsageError(`--file ${file} cannot be read (${err.code ?? err.message})`, "check the path and its permissions");
    });
  } else {
    if (process.stdin.isTTY) throw new UsageError("no value: standard input is a terminal", HOW_TO_GIVE);
    raw = await readStdin(MAX_SECRET_BYTES + 2);
  }
  const text = raw.toString("utf8");
  return text.endsWith("\r\n") ? text.slice(0, -2) : text.endsWith("\n") ? text.slice(0, -1) : text;
}

/** Standard input up to `limit` bytes (more is refused later as too large, without reading gigabytes). */
async function readStdin(limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = chunk as Buffer;
    chunks.push(b);
    size += b.length;
    if (size > limit) break;
  }
  return Buffer.concat(chunks);
}

function setData(environment: string, r: SetResult): Record<string, unknown> {
  return {
    environment,
    name: r.name,
    revision: r.revision,
    fingerprint: r.fingerprint,
    release: r.release?.release ? { id: r.release.release.id, outcome: r.release.outcome } : null,
    rotation: r.rotation ? rotateData(environment, r.rotation) : null,
  };
}

function rotateData(environment: string, r: RotateResult): Record<string, unknown> {
  return {
    environment,
    outcome: r.outcome,
    rotation: r.record
      ? {
          id: r.record.id,
          step: r.record.step,
          releaseId: r.record.releaseId ?? null,
          undoReleaseId: r.record.undoReleaseId ?? null,
          secrets: r.record.secrets.map((s) => ({
            name: s.name,
            previous: s.previous,
            created: s.created,
            fingerprint: s.fingerprint,
            ...(s.dbUser ? { dbUser: s.dbUser } : {}),
          })),
        }
      : null,
  };
}
