import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { RunContext } from "../operations/context.js";
import * as tofu from "./commands.js";
import { describeDiagnostics, type StatePushRefusal } from "./diagnostics.js";
import { TofuError, TofuStatePushRefusedError } from "./errors.js";
import { withFileSystemErrors } from "./fs-errors.js";
import { withStateLock } from "../statelock/recover.js";

/** The name tofu gives the state it could not write to the backend, in the directory it ran in. */
export const ERRORED_STATE = "errored.tfstate";

/** What is known of a state kept by a recovery: never its content (it may hold secrets). */
export interface RecoveryMeta {
  environment: string;
  root: string;
  savedAt: string;
  /** What tofu said, first line. */
  tofuMessage: string;
}

export interface RecoveryFile {
  /** The state: `.evalap-infra/recovery/<env>/<timestamp>.tfstate`, mode 0600. */
  file: string;
  /** Its description beside it (`<timestamp>.json`); null when unreadable. */
  meta: RecoveryMeta | null;
}

export function recoveryDir(projectDir: string, environment: string): string {
  return path.join(projectDir, ".evalap-infra", "recovery", environment);
}

const metaFileOf = (file: string) => file.replace(/\.tfstate$/, ".json");

/**
 * Moves the state tofu could not persist out of the root, so that nothing (a later plan, `git
 * clean`, another checkout) mistakes or loses it: into the recovery directory (0700), mode 0600,
 * with its meta. When tofu wrote no errored.tfstate but dumped the state in its output, that dump
 * is saved instead. Returns the recovery file, or null when there was no state to save.
 */
export async function saveErroredState(
  projectDir: string,
  env: ResolvedEnvironment,
  tofuMessage: string,
  dump?: string,
): Promise<string | null> {
  const source = path.join(env.rootDir, ERRORED_STATE);
  const hasFile = (await stat(source).catch(() => null))?.isFile() === true;
  if (!hasFile && dump === undefined) return null;
  const dir = recoveryDir(projectDir, env.name);
  const savedAt = new Date();
  const file = path.join(dir, `${savedAt.toISOString().replace(/[:.]/g, "-")}.tfstate`);
  await withFileSystemErrors(dir, "keep the state tofu could not persist", async () => {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    if (hasFile) await moveFile(source, file);
    else await writeFile(file, dump ?? "", { mode: 0o600 });
    await chmod(file, 0o600);
    const meta: RecoveryMeta = {
      environment: env.name,
      root: env.rootDir,
      savedAt: savedAt.toISOString(),
      tofuMessage: firstLine(tofuMessage),
    };
    await writeFile(metaFileOf(file), JSON.stringify(meta, null, 2) + "\n", { mode: 0o600 });
  });
  return file;
}

async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EXDEV") throw err;
    // The project and the root are on different file systems: copy privately, then remove.
    await copyFile(from, to);
    await chmod(to, 0o600);
    await rm(from);
  }
}

/** The states kept for an environment, oldest first (push them in that order). */
export async function listRecoveryFiles(projectDir: string, environment: string): Promise<RecoveryFile[]> {
  const dir = recoveryDir(projectDir, environment);
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith(".tfstate")).sort();
  return Promise.all(names.map(async (name) => ({ file: path.join(dir, name), meta: await readMeta(metaFileOf(path.join(dir, name))) })));
}

async function readMeta(file: string): Promise<RecoveryMeta | null> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as RecoveryMeta;
  } catch {
    return null;
  }
}

/**
 * `tofu state push <file>` in the environment's root (under the state lock, with the run's
 * lock timeout; a lock left by the apply that could not persist is broken only when proven dead),
 * then removes the file and its meta. A refusal (lower serial, another lineage) is a
 * `state_push_refused` error that says what to compare; the file is kept on every failure.
 */
export async function pushRecoveredState(
  ctx: RunContext,
  env: ResolvedEnvironment,
  file: string,
  lockTimeoutMs: number = ctx.config.lock.timeout,
): Promise<void> {
  const absolute = path.resolve(file);
  try {
    await withStateLock(ctx, env, lockTimeoutMs, (timeout) => tofu.statePush(ctx.tofu, env.rootDir, absolute, timeout));
  } catch (err) {
    throw pushFailure(env, absolute, err);
  }
  await rm(absolute, { force: true });
  await rm(metaFileOf(absolute), { force: true });
}

function pushFailure(env: ResolvedEnvironment, file: string, err: unknown): unknown {
  // A full disk, a killed tofu…: their own message says what to fix.
  if (!(err instanceof TofuError) || (err.code !== "tofu_failed" && err.failure.reason !== "state_not_persisted")) return err;
  const said = describeDiagnostics(err.diagnostics) || err.stderr.trim().split("\n").slice(-2).join(" ");
  if (err instanceof TofuStatePushRefusedError) {
    return new EvalapError("state_push_refused", `tofu refused to push ${file} to the backend of ${env.name}: ${said}`, {
      exitCode: ExitCode.StateNotPersisted,
      hint:
        `${refusalReason(err.refusal)}: compare it (tofu state pull in ${env.rootDir}) with ${file}; ` +
        "the file is kept. Overwrite only when you are sure, by hand: tofu state push -force <file>",
      cause: err,
    });
  }
  return new EvalapError("state_push_failed", `could not push ${file} to the backend of ${env.name}: ${said}`, {
    exitCode: ExitCode.StateNotPersisted,
    hint: "the file is kept: run the push again once the backend answers",
    cause: err,
  });
}

function refusalReason(refusal: StatePushRefusal): string {
  switch (refusal.kind) {
    case "older_serial":
      return `the backend holds a newer state (serial ${refusal.backendSerial}, this file ${refusal.serial})`;
    case "same_serial":
      return `the backend holds another state with the same serial (${refusal.serial})`;
    case "other_lineage":
      return `the backend holds an unrelated state (lineage ${refusal.backendLineage}, this file ${refusal.lineage})`;
  }
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .find((l) => l.trim().length > 0)
      ?.trim() ?? ""
  );
}
