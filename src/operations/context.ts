import path from "node:path";
import type { ProjectConfig } from "../config/load.js";
import type { EvalapEvent, EventSink, StepOutcome } from "../events/types.js";
import type { Redactor } from "../report/redact.js";
import type { Transient } from "../retry/retry.js";
import type { Diagnostic } from "../tofu/diagnostics.js";
import { TofuError } from "../tofu/errors.js";
import { TRANSIENT_DESCRIPTIONS } from "../tofu/classify.js";
import { makeDirectory, withFileSystemErrors } from "../tofu/fs-errors.js";
import type { TofuContext } from "../tofu/process.js";

/** Everything an operation needs from the outside world, passed in so tests can build one. */
export interface RunContext {
  config: ProjectConfig;
  events: EventSink;
  redactor: Redactor;
  tofu: TofuContext;
  signal: AbortSignal;
  /** Asks the operator a yes/no question; null when there is no terminal (CI, --json). */
  confirm: ((question: string) => Promise<boolean>) | null;
  /** The command line as typed, for lock holders and the audit trail. */
  commandLine: string;
}

/** Runs one named step, reporting its start, end, duration and outcome. */
export async function step<T>(
  ctx: Pick<RunContext, "events">,
  name: string,
  fn: () => Promise<T>,
  detail?: (value: T) => { outcome?: StepOutcome; detail?: string },
): Promise<T> {
  const started = Date.now();
  ctx.events.emit({ type: "step.started", step: name });
  try {
    const value = await fn();
    const d = detail?.(value) ?? {};
    ctx.events.emit({
      type: "step.finished",
      step: name,
      outcome: d.outcome ?? "ok",
      durationMs: Date.now() - started,
      ...(d.detail ? { detail: d.detail } : {}),
    });
    return value;
  } catch (err) {
    ctx.events.emit({ type: "step.finished", step: name, outcome: "failed", durationMs: Date.now() - started });
    throw err;
  }
}

export { retryPolicy } from "../config/schema.js";

/**
 * Retry classifier for tofu runs: only what tofu said decides, never the command line. Anything
 * that is not a TofuError (a state lock not proven dead, a state tofu could not persist, a full
 * disk seen by our own file calls) is permanent.
 */
export function classifyTofuError(err: unknown): Transient | null {
  if (!(err instanceof TofuError) || !err.failure.transient) return null;
  const t: Transient = { reason: TRANSIENT_DESCRIPTIONS[err.failure.reason] };
  if (err.failure.retryAfterMs !== undefined) t.retryAfterMs = err.failure.retryAfterMs;
  return t;
}

/** Forwards tofu's diagnostics as events, so reporters show them with the failure. */
export function reportDiagnostics(ctx: Pick<RunContext, "events">, err: unknown): void {
  if (!(err instanceof TofuError)) return;
  for (const d of err.diagnostics) ctx.events.emit(diagnosticEvent(d, err.cwd));
}

/**
 * A tofu diagnostic as an event. Its file, relative to where tofu ran (`cwd`), becomes absolute, so
 * a reporter can point at it from anywhere (a CI annotation on the line); without `cwd` it is left out.
 */
export function diagnosticEvent(d: Diagnostic, cwd: string | undefined, summaryPrefix = ""): Extract<EvalapEvent, { type: "diagnostic" }> {
  return {
    type: "diagnostic",
    severity: d.severity,
    summary: `${summaryPrefix}${d.summary}`,
    ...(d.detail ? { detail: d.detail } : {}),
    ...(d.address ? { address: d.address } : {}),
    ...(d.file !== undefined && cwd !== undefined
      ? {
          file: path.resolve(cwd, d.file),
          ...(d.line !== undefined ? { line: d.line } : {}),
          ...(d.column !== undefined ? { column: d.column } : {}),
        }
      : {}),
  };
}

/**
 * The tool's working directory inside the project (locks, plans); never committed. A full or
 * read-only disk is a FileSystemError naming the directory, not an internal error.
 */
export async function stateDir(config: ProjectConfig, ...parts: string[]): Promise<string> {
  const dir = path.join(config.projectDir, ".evalap-infra", ...parts);
  await withFileSystemErrors(dir, "create the directory", () => makeDirectory(dir, 0o700));
  return dir;
}
