import { ExitCode, type ExitCodeValue } from "./exit-codes.js";

/** Where in a file a problem is: reporters point at it (a CI annotation on the line). */
export interface SourceLocation {
  /** Absolute path. */
  file: string;
  /** 1-based, when known. */
  line?: number;
  column?: number;
}

/**
 * An error the user can act on: it carries its exit code and a hint naming the fix.
 * The CLI prints `message` and `hint`, never a stack trace, for these.
 */
export class EvalapError extends Error {
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;
  readonly code: string;
  readonly location: SourceLocation | undefined;

  constructor(
    code: string,
    message: string,
    opts: { exitCode?: ExitCodeValue; hint?: string; cause?: unknown; location?: SourceLocation } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "EvalapError";
    this.code = code;
    this.exitCode = opts.exitCode ?? ExitCode.Failure;
    this.hint = opts.hint;
    this.location = opts.location;
  }
}

export class ConfigError extends EvalapError {
  constructor(message: string, hint?: string, location?: SourceLocation) {
    super("config_invalid", message, {
      exitCode: ExitCode.Usage,
      ...(hint === undefined ? {} : { hint }),
      ...(location === undefined ? {} : { location }),
    });
    this.name = "ConfigError";
  }
}

export class UsageError extends EvalapError {
  constructor(message: string, hint?: string) {
    super("usage", message, { exitCode: ExitCode.Usage, ...(hint === undefined ? {} : { hint }) });
    this.name = "UsageError";
  }
}

export class InterruptedError extends EvalapError {
  readonly signal: "SIGINT" | "SIGTERM";
  constructor(signal: "SIGINT" | "SIGTERM") {
    super("interrupted", `interrupted by ${signal}`, {
      exitCode: signal === "SIGINT" ? ExitCode.Interrupted : ExitCode.Terminated,
      hint: "the lock was released; run the command again to continue",
    });
    this.name = "InterruptedError";
    this.signal = signal;
  }
}

export function isEvalapError(err: unknown): err is EvalapError {
  return err instanceof EvalapError;
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
