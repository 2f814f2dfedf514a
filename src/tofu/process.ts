import { spawn } from "node:child_process";
import { InterruptedError } from "../core/errors.js";
import { parseHumanDiagnostics, parseJsonLine, toDiagnostic, type Diagnostic, type TofuJsonMessage } from "./diagnostics.js";
import { TofuError } from "./errors.js";

export interface TofuContext {
  /** Path of the tofu binary. */
  bin: string;
  /** Extra environment for tofu (credentials, TF_CLI_CONFIG_FILE...). */
  env: Record<string, string>;
  /** Aborted on SIGINT/SIGTERM; the reason is the InterruptedError to throw. */
  signal?: AbortSignal;
  /** How long tofu may take to stop after the forwarded SIGINT before it is killed. */
  interruptGraceMs: number;
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

/**
 * Runs one tofu subcommand. The one place that builds the process: environment, JSON stream
 * parsing, diagnostics, and interruption (one SIGINT forwarded, a bounded wait, then SIGKILL).
 * tofu runs in its own process group, so a Ctrl-C at the terminal reaches it once, through us,
 * and not twice (a second SIGINT makes tofu exit at once and may lose state).
 */
export async function runTofu(ctx: TofuContext, req: TofuRunRequest): Promise<TofuRunResult> {
  const started = Date.now();
  if (ctx.signal?.aborted) throw interruption(ctx.signal);
  // node:child_process rather than execa: this is the one process we spawn, and execa alone
  // costs ~85 ms of start-up on every command (see bench/).
  const child = spawn(ctx.bin, req.args, {
    cwd: req.cwd,
    env: { ...process.env, ...ctx.env, ...AUTOMATION_ENV },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });

  const diagnostics: Diagnostic[] = [];
  const stdoutChunks: Buffer[] = [];
  const stderrChunks: Buffer[] = [];
  let pending = "";
  const handleLine = (line: string): void => {
    const message = parseJsonLine(line);
    if (message === null) return;
    if (message.type === "diagnostic" && message.diagnostic) diagnostics.push(toDiagnostic(message.diagnostic));
    req.onMessage?.(message);
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

  let killTimer: NodeJS.Timeout | undefined;
  const onAbort = () => {
    child.kill("SIGINT");
    killTimer = setTimeout(() => child.kill("SIGKILL"), ctx.interruptGraceMs);
    killTimer.unref();
  };
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  // If we exit while tofu runs (an uncaught error), do not leave it orphaned in its own group.
  const onExit = () => child.kill("SIGINT");
  process.once("exit", onExit);
  let exit: { code: number | null; spawnError?: Error };
  try {
    exit = await new Promise((resolve) => {
      child.once("error", (err) => resolve({ code: null, spawnError: err }));
      child.once("close", (code) => resolve({ code }));
    });
  } finally {
    ctx.signal?.removeEventListener("abort", onAbort);
    process.off("exit", onExit);
    if (killTimer) clearTimeout(killTimer);
  }
  if (pending.length > 0) handleLine(pending);

  const stdout = Buffer.concat(stdoutChunks).toString("utf8");
  const stderr = Buffer.concat(stderrChunks).toString("utf8");
  if (ctx.signal?.aborted) throw interruption(ctx.signal);
  const subcommand = req.args[0] ?? "";
  if (exit.spawnError) {
    // The process could not start at all (missing binary, permissions).
    const e = exit.spawnError as NodeJS.ErrnoException;
    const summary = e.code === "ENOENT" ? `tofu binary not found: ${ctx.bin}` : `cannot start ${ctx.bin}: ${e.message}`;
    throw new TofuError(subcommand, -1, [{ severity: "error", summary }], "");
  }
  const exitCode = exit.code ?? 1;
  // Commands run without -json print their diagnostics as text on stderr.
  if (diagnostics.length === 0 && exitCode !== 0) diagnostics.push(...parseHumanDiagnostics(stderr));
  const run: TofuRunResult = { exitCode, stdout, stderr, diagnostics, durationMs: Date.now() - started };
  if (exitCode !== 0 && !(req.okExitCodes ?? []).includes(exitCode)) {
    throw new TofuError(subcommand, exitCode, diagnostics, stderr);
  }
  return run;
}

function interruption(signal: AbortSignal): Error {
  return signal.reason instanceof InterruptedError ? signal.reason : new InterruptedError("SIGINT");
}
