import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Options, Result, ResultPromise } from "execa";
import { EvalapError, InterruptedError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import {
  lockReleaseFailed,
  parseHumanDiagnostics,
  parseJsonLine,
  toDiagnostic,
  type Diagnostic,
  type TofuJsonMessage,
} from "./diagnostics.js";
import { TofuBinaryError, TofuError, tofuFailure } from "./errors.js";
import { FileSystemError } from "./fs-errors.js";
import { localIso, removeRunRecord, writeRunRecord } from "./run-record.js";

export interface TofuContext {
  /** Path of the tofu binary. */
  bin: string;
  /** Extra environment for tofu (credentials, TF_CLI_CONFIG_FILE...). */
  env: Record<string, string>;
  /** Aborted on SIGINT/SIGTERM; the reason is the InterruptedError to throw. */
  signal?: AbortSignal;
  /** How long tofu may take to stop after the forwarded SIGINT before it is killed. */
  interruptGraceMs: number;
  /**
   * Awaited before every tofu process is spawned (proof that the run still holds its remote
   * lease); what it throws propagates unchanged and no process starts.
   */
  beforeRun?: (subcommand: string) => Promise<void>;
  /**
   * Where to keep a run record (run-record.ts) of each tofu process while it runs: the evidence a
   * later run needs to prove that the holder of a state lock is dead. None are kept when unset.
   */
  runRecordDir?: string;
}

export interface TofuRunRequest {
  cwd: string;
  args: string[];
  /** Called with each message of a `-json` stream as it arrives. */
  onMessage?: (message: TofuJsonMessage) => void;
  /** Exit codes that are not failures (plan -detailed-exitcode: 2). */
  okExitCodes?: number[];
}

export interface TofuRunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  diagnostics: Diagnostic[];
  durationMs: number;
}

/** Environment every tofu run gets: no prompts, automation wording, no colour codes to parse. */
export const AUTOMATION_ENV = { TF_IN_AUTOMATION: "1", TF_INPUT: "0", NO_COLOR: "1" } as const;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: NodeJS.ErrnoException;
}

/**
 * Runs one tofu subcommand. The one place that builds the process: environment, JSON stream
 * parsing, diagnostics, run records, and interruption: execa forwards one SIGINT when the run is
 * aborted (cancelSignal, killSignal) and kills tofu if it has not stopped after
 * `interruptGraceMs` (forceKillAfterDelay). tofu runs in its own process group (detached), so a
 * Ctrl-C at the terminal reaches it once, through us, and not twice (a second SIGINT makes tofu
 * exit at once and may lose state).
 */
export async function runTofu(ctx: TofuContext, req: TofuRunRequest): Promise<TofuRunResult> {
  const subcommand = subcommandOf(req.args);
  if (ctx.signal?.aborted) throw interruption(ctx.signal);
  await ctx.beforeRun?.(subcommand);
  if (ctx.signal?.aborted) throw interruption(ctx.signal);
  const started = Date.now();
  const child = startTofu(await loadExeca(), ctx, req);
  const record = recordRun(ctx, req, child, new Date(started));
  const output = collectOutput(child, req.onMessage);
  const exit = await waitForExit(child);
  output.flush();
  const { stdout, stderr, diagnostics } = output;
  await settleRunRecord(record, exit, diagnostics, stderr);

  if (ctx.signal?.aborted) throw interruption(ctx.signal);
  if (exit.spawnError) throw await spawnFailure(ctx, req, exit.spawnError);
  if (exit.signal !== null) {
    throw new TofuError(subcommand, signalExitCode(exit.signal), diagnostics, stderr, { signal: exit.signal, cwd: req.cwd });
  }
  const exitCode = exit.code ?? 1;
  // Commands run without -json print their diagnostics as text on stderr.
  if (diagnostics.length === 0 && exitCode !== 0) diagnostics.push(...parseHumanDiagnostics(stderr));
  if (exitCode !== 0 && !(req.okExitCodes ?? []).includes(exitCode)) {
    throw tofuFailure(subcommand, exitCode, diagnostics, stderr, { cwd: req.cwd });
  }
  return { exitCode, stdout, stderr, diagnostics, durationMs: Date.now() - started };
}

type TofuOptions = Options & {
  stdin: "ignore";
  stdout: "pipe";
  stderr: "pipe";
  buffer: false;
  reject: false;
  encoding: "buffer";
};
/** The running tofu: its pid and streams, and its result (a promise: keep it in a field, never return it from an async function). */
interface TofuChild {
  pid: number | undefined;
  stdout: Readable;
  stderr: Readable;
  kill(signal: NodeJS.Signals): void;
  result: ResultPromise<TofuOptions>;
}
type Execa = (file: string, args: readonly string[], options: TofuOptions) => ResultPromise<TofuOptions>;

let execaLoaded: Promise<Execa> | undefined;

/** execa, loaded on the first spawn: `--help` and the commands that start no process never load it. */
function loadExeca(): Promise<Execa> {
  execaLoaded ??= import("execa").then((m) => m.execa);
  return execaLoaded;
}

function startTofu(execa: Execa, ctx: TofuContext, req: TofuRunRequest): TofuChild {
  const child = execa(ctx.bin, req.args, {
    cwd: req.cwd,
    env: { ...process.env, ...ctx.env, ...AUTOMATION_ENV },
    extendEnv: false,
    detached: true,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    // We read the streams as they come (the -json messages); execa keeps no copy.
    buffer: false,
    encoding: "buffer",
    reject: false,
    ...(ctx.signal ? { cancelSignal: ctx.signal } : {}),
    killSignal: "SIGINT",
    forceKillAfterDelay: ctx.interruptGraceMs,
  });
  // With "pipe", execa always gives the streams (a spawn that failed early gives empty ones).
  const { stdout, stderr } = child;
  if (stdout === null || stderr === null) throw new Error("tofu was started without its output streams");
  return { pid: child.pid, stdout, stderr, kill: (signal) => child.kill(signal), result: child };
}

interface Output {
  readonly stdout: string;
  readonly stderr: string;
  readonly diagnostics: Diagnostic[];
  /** Handles a last line without a newline. */
  flush(): void;
}

function collectOutput(child: TofuChild, onMessage: TofuRunRequest["onMessage"]): Output {
  const diagnostics: Diagnostic[] = [];
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  let pending = "";
  const handleLine = (line: string): void => {
    const message = parseJsonLine(line);
    if (message === null) return;
    if (message.type === "diagnostic" && message.diagnostic) diagnostics.push(toDiagnostic(message.diagnostic));
    onMessage?.(message);
  };
  child.stdout.on("data", (chunk: Buffer) => {
    stdoutChunks.push(chunk);
    pending += chunk.toString("utf8");
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      handleLine(pending.slice(0, nl));
      pending = pending.slice(nl + 1);
    }
  });
  child.stderr.on("data", (chunk: Buffer) => stderrChunks.push(chunk));
  return {
    get stdout() {
      return Buffer.concat(stdoutChunks).toString("utf8");
    },
    get stderr() {
      return Buffer.concat(stderrChunks).toString("utf8");
    },
    diagnostics,
    flush: () => {
      if (pending.length > 0) handleLine(pending);
      pending = "";
    },
  };
}

async function waitForExit(child: TofuChild): Promise<Exit> {
  // If we exit while tofu runs (an uncaught error), do not leave it orphaned in its own group
  // (execa's own cleanup does not apply to a detached process).
  const onExit = () => child.kill("SIGINT");
  process.once("exit", onExit);
  try {
    return exitOf(await child.result);
  } finally {
    process.off("exit", onExit);
  }
}

/** How tofu ended, from execa's result (reject: false): a spawn error, a signal, or an exit code. */
function exitOf(result: Result<TofuOptions>): Exit {
  const signal = result.signal ?? null;
  if (result.exitCode !== undefined || signal !== null) return { code: result.exitCode ?? null, signal };
  const cause: unknown = result.cause;
  // Neither an exit code nor a signal: tofu never ran (ENOENT, EACCES, E2BIG…), or it was cancelled before it started.
  return {
    code: null,
    signal: null,
    spawnError: isErrnoException(cause) ? cause : Object.assign(new Error(result.message), { code: "UNKNOWN" }),
  };
}

function isErrnoException(value: unknown): value is NodeJS.ErrnoException {
  return value instanceof Error && typeof (value as { code?: unknown }).code === "string";
}

/** Starts writing the run record of a spawned tofu; best effort (a missing record only makes a later proof impossible). */
function recordRun(ctx: TofuContext, req: TofuRunRequest, child: TofuChild, startedAt: Date): Promise<string | null> {
  if (!ctx.runRecordDir || child.pid === undefined) return Promise.resolve(null);
  const lockTimeoutMs = lockTimeoutOf(req.args);
  return writeRunRecord(ctx.runRecordDir, {
    pid: child.pid,
    cliPid: process.pid,
    cwd: req.cwd,
    subcommand: subcommandOf(req.args),
    startedAt: localIso(startedAt),
    ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
  }).catch(() => null);
}

/**
 * The record stays when tofu may have left its state lock behind: killed by a signal, or it said
 * it could not release the lock. Otherwise the process is gone and so is its lock: remove it.
 */
async function settleRunRecord(record: Promise<string | null>, exit: Exit, diagnostics: Diagnostic[], stderr: string): Promise<void> {
  const file = await record;
  if (file === null) return;
  if (exit.signal !== null || lockReleaseFailed(diagnostics, stderr)) return;
  await removeRunRecord(file).catch(() => undefined);
}

function lockTimeoutOf(args: string[]): number | undefined {
  const m = args.map((a) => /^-lock-timeout=(\d+)s$/.exec(a)).find((x) => x !== null);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1000;
}

/** "apply", or "state push" for the commands that have subcommands. */
function subcommandOf(args: string[]): string {
  const [first = "", second] = args;
  return first === "state" && second !== undefined && !second.startsWith("-") ? `state ${second}` : first;
}

async function spawnFailure(ctx: TofuContext, req: TofuRunRequest, err: NodeJS.ErrnoException): Promise<Error> {
  const subcommand = subcommandOf(req.args);
  // The child reports a failed chdir with the same codes as a failed exec: check the directory first.
  if (err.code === "ENOENT" && !(await isDirectory(req.cwd))) {
    return new EvalapError("root_missing", `cannot run tofu ${subcommand}: the directory ${req.cwd} does not exist`, {
      exitCode: ExitCode.Usage,
      hint: "check environments.<name>.root in evalap-infra.json",
      cause: err,
    });
  }
  if ((err.code === "EACCES" || err.code === "EPERM") && !(await isSearchable(req.cwd))) {
    return new FileSystemError("permission_denied", req.cwd, `run tofu ${subcommand}`, err);
  }
  if (err.code === "ENOENT") return new TofuBinaryError(ctx.bin, "missing", err);
  if (err.code === "EACCES" || err.code === "EPERM") return new TofuBinaryError(ctx.bin, "not_executable", err);
  if (err.code === "E2BIG") return new FileSystemError("arg_list_too_long", ctx.bin, `start tofu ${subcommand}`, err);
  return new TofuError(subcommand, -1, [{ severity: "error", summary: `cannot start ${ctx.bin}: ${err.message}` }], "", { cwd: req.cwd });
}

/**
 * Verifies that the tofu binary exists and is executable, without running it: called before any
 * lock is taken, so a missing tofu is not found half-way through a deploy.
 */
export async function checkTofuBinary(ctx: Pick<TofuContext, "bin" | "env">): Promise<void> {
  const candidates = ctx.bin.includes(path.sep) ? [ctx.bin] : searchPath(ctx.bin, ctx.env.PATH ?? process.env.PATH ?? "");
  let problem: "missing" | "not_executable" = "missing";
  for (const file of candidates) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) continue;
    try {
      await access(file, constants.X_OK);
      return;
    } catch {
      problem = "not_executable";
    }
  }
  throw new TofuBinaryError(ctx.bin, problem);
}

function searchPath(name: string, pathVar: string): string[] {
  return pathVar
    .split(path.delimiter)
    .filter((d) => d.length > 0)
    .map((d) => path.join(d, name));
}

async function isSearchable(dir: string): Promise<boolean> {
  return access(dir, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function isDirectory(dir: string): Promise<boolean> {
  return (await stat(dir).catch(() => null))?.isDirectory() === true;
}

/** The shell's convention for a process ended by a signal: 128 + its number. */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

function interruption(signal: AbortSignal): Error {
  return signal.reason instanceof InterruptedError ? signal.reason : new InterruptedError("SIGINT");
}
