import path from "node:path";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { classifyFailure, evidenceOf, type FailureClass, type PermanentReason } from "./classify.js";
import {
  describeDiagnostics,
  parseStateLockInfo,
  parseStatePushRefusal,
  type Diagnostic,
  type StateLockInfo,
  type StatePushRefusal,
} from "./diagnostics.js";
import { describeFileSystemFailure, fileSystemErrorCode, type FileSystemReason } from "./fs-errors.js";

export interface TofuErrorOptions {
  /** The signal that ended tofu, when it did not exit by itself. */
  signal?: NodeJS.Signals;
  /** Where tofu ran: relative paths in its messages are relative to it. */
  cwd?: string;
}

/** A tofu subcommand that exited non-zero (or was killed), with what it said and how the failure classifies. */
export class TofuError extends EvalapError {
  readonly subcommand: string;
  readonly tofuExitCode: number;
  readonly diagnostics: Diagnostic[];
  readonly stderr: string;
  readonly failure: FailureClass;
  /** Set when tofu was killed by a signal: it did not finish, whatever it was doing. */
  readonly signal: NodeJS.Signals | undefined;
  /** Where tofu ran: its diagnostics' file names are relative to it. */
  readonly cwd: string | undefined;

  constructor(subcommand: string, tofuExitCode: number, diagnostics: Diagnostic[], stderr: string, opts: TofuErrorOptions = {}) {
    const failure: FailureClass = opts.signal ? { transient: false, reason: "killed" } : classifyFailure({ diagnostics, stderr });
    const said = describeDiagnostics(diagnostics) || lastLines(stderr);
    const { code, message, hint } = describeTofuFailure(subcommand, tofuExitCode, said, failure, opts);
    super(code, message, { exitCode: ExitCode.Failure, hint });
    this.name = "TofuError";
    this.subcommand = subcommand;
    this.tofuExitCode = tofuExitCode;
    this.diagnostics = diagnostics;
    this.stderr = stderr;
    this.failure = failure;
    this.signal = opts.signal;
    this.cwd = opts.cwd;
  }
}

/** tofu failed on a state lock someone else holds: the holder as tofu's "Lock Info" names it. */
export class TofuStateLockError extends TofuError {
  readonly lock: StateLockInfo;
  constructor(
    subcommand: string,
    tofuExitCode: number,
    diagnostics: Diagnostic[],
    stderr: string,
    lock: StateLockInfo,
    opts: TofuErrorOptions = {},
  ) {
    super(subcommand, tofuExitCode, diagnostics, stderr, opts);
    this.name = "TofuStateLockError";
    this.lock = lock;
  }
}

/** tofu refused `state push`: the backend holds a newer state, or another one. */
export class TofuStatePushRefusedError extends TofuError {
  readonly refusal: StatePushRefusal;
  constructor(
    subcommand: string,
    tofuExitCode: number,
    diagnostics: Diagnostic[],
    stderr: string,
    refusal: StatePushRefusal,
    opts: TofuErrorOptions = {},
  ) {
    super(subcommand, tofuExitCode, diagnostics, stderr, opts);
    this.name = "TofuStatePushRefusedError";
    this.refusal = refusal;
  }
}

/**
 * The error for a failed tofu run, typed by what tofu said: a held state lock carries its holder,
 * a refused state push its reason; everything else is a TofuError with its classification. The
 * one place where tofu's failure text is parsed: operations read the typed fields.
 */
export function tofuFailure(
  subcommand: string,
  tofuExitCode: number,
  diagnostics: Diagnostic[],
  stderr: string,
  opts: TofuErrorOptions = {},
): TofuError {
  if (!opts.signal) {
    const failure = classifyFailure({ diagnostics, stderr });
    if (failure.transient && failure.reason === "state_lock") {
      const lock = parseStateLockInfo(evidenceOf({ diagnostics, stderr }));
      if (lock) return new TofuStateLockError(subcommand, tofuExitCode, diagnostics, stderr, lock, opts);
    }
    const refusal = subcommand === "state push" ? parseStatePushRefusal(evidenceOf({ diagnostics, stderr })) : null;
    if (refusal) return new TofuStatePushRefusedError(subcommand, tofuExitCode, diagnostics, stderr, refusal, opts);
  }
  return new TofuError(subcommand, tofuExitCode, diagnostics, stderr, opts);
}

interface Described {
  code: string;
  message: string;
  hint: string;
}

function describeTofuFailure(sub: string, exitCode: number, said: string, failure: FailureClass, opts: TofuErrorOptions): Described {
  if (opts.signal) {
    return {
      code: "tofu_killed",
      message: `tofu ${sub} was killed by ${opts.signal}${said ? ` (it had said: ${said})` : ""}`,
      hint:
        "tofu did not finish (out of memory, or stopped by someone or by the system): find out why, then run again; " +
        "if it was applying, check the state before deploying",
    };
  }
  const fsReason = fileSystemReason(failure);
  if (fsReason) {
    const file = path.resolve(opts.cwd ?? ".", (failure.transient ? undefined : failure.path) ?? ".");
    const described = describeFileSystemFailure(fsReason, file);
    return {
      code: fileSystemErrorCode(fsReason),
      message: `tofu ${sub} failed: ${described.message}${said ? ` (${said})` : ""}`,
      hint: described.hint,
    };
  }
  const message = `tofu ${sub} failed: ${said || `exit code ${exitCode}`}`;
  if (!failure.transient && failure.reason === "state_not_persisted") {
    const where = opts.cwd ? ` in ${opts.cwd}` : "";
    const hint = `tofu could not save the state; it wrote errored.tfstate${where}: push it (tofu state push errored.tfstate) before any other apply`;
    return { code: "tofu_failed", message, hint };
  }
  const providerHint = failure.transient || failure.reason === undefined ? undefined : PROVIDER_HINTS[failure.reason];
  return {
    code: "tofu_failed",
    message,
    hint: providerHint ?? "read the diagnostics above; fix the configuration or the inputs and run again",
  };
}

/** What to change when the Scaleway API refused for good (not retried: the same apply would fail again). */
const PROVIDER_HINTS: Partial<Record<PermanentReason, string>> = {
  quotas_exceeded:
    "an Organization quota is reached: raise it (console: Organization > Quotas; some need a verified identity) or ask for less",
  out_of_stock: "Scaleway has none of this type left in this zone now: choose another type or zone, or deploy again later",
  permissions_denied: "the API key's IAM policy does not allow this action: grant it to the key's application or user, or use another key",
  denied_authentication: "the API key was refused (unknown, expired or malformed): check SCW_ACCESS_KEY and SCW_SECRET_KEY",
  precondition_failed: "Scaleway refused the change in the resource's current state (protected, still in use): change that first",
  already_exists: "the resource already exists outside this state: import it (tofu import) or remove it",
  not_found: "a resource in the state no longer exists at Scaleway: refresh the state or remove it from the state, then deploy again",
};

function fileSystemReason(failure: FailureClass): FileSystemReason | null {
  if (failure.transient) return null;
  const r = failure.reason;
  return r === "no_space" || r === "read_only" || r === "permission_denied" || r === "arg_list_too_long" ? r : null;
}

/** tofu itself cannot be started: missing or not executable. Found before any lock is taken (checkTofuBinary). */
export class TofuBinaryError extends EvalapError {
  readonly bin: string;
  constructor(bin: string, problem: "missing" | "not_executable", cause?: unknown) {
    const what = problem === "missing" ? `tofu binary not found: ${bin}` : `tofu binary is not executable: ${bin}`;
    super("tofu_missing", what, {
      exitCode: ExitCode.Prerequisite,
      hint: "run `evalap-infra doctor`: it says which tofu is used and how to get one (npm run toolchain, EVALAP_TOFU_BIN or tofu.binary in evalap-infra.json)",
      cause,
    });
    this.name = "TofuBinaryError";
    this.bin = bin;
  }
}

/**
 * tofu's state lock is held and its holder is not proven dead: the run stops rather than break a
 * lock a live apply may hold. The hint gives the command that releases it once a human checked.
 */
export class StateLockHeldError extends EvalapError {
  readonly environment: string;
  readonly lock: StateLockInfo;
  /** Why the holder is not proven dead. */
  readonly reason: string;
  constructor(environment: string, lock: StateLockInfo, reason: string, cause?: unknown) {
    super("state_lock_held", stateLockMessage(environment, lock, reason), {
      exitCode: ExitCode.LockHeld,
      hint:
        `if a run holds it, wait for it to finish; once you have checked that its holder (${lock.who ?? "unknown"}) is gone, release it: ` +
        `evalap-infra lock release ${environment} --state ${lock.id} --force --yes`,
      cause,
    });
    this.name = "StateLockHeldError";
    this.environment = environment;
    this.lock = lock;
    this.reason = reason;
  }
}

function stateLockMessage(environment: string, lock: StateLockInfo, reason: string): string {
  const taken = lock.created
    ? `taken ${lock.created.toISOString()}, ${formatAge(Date.now() - lock.created.getTime())} ago`
    : "taken at an unknown time";
  return (
    `the tofu state of ${environment} is locked: lock ${lock.id} held by ${lock.who ?? "unknown"} for ${operationName(lock.operation)}, ${taken}; ` +
    `its holder is not proven dead: ${reason}`
  );
}

/** The operation a lock info names: "OperationTypeApply" -> "apply". */
export function operationName(operation: string | undefined): string {
  if (!operation) return "an unknown operation";
  const name = operation.replace(/^OperationType/, "").replace(/([a-z])([A-Z])/g, "$1 $2");
  return name.toLowerCase() || operation;
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

/**
 * tofu applied changes but could not write the state to the backend. The state it kept
 * (errored.tfstate) was moved out of the root to `recoveryFile` (private: it may hold secrets).
 * Never re-plan after this: a plan would read the stale remote state and apply over it.
 */
export class StateNotPersistedError extends EvalapError {
  readonly environment: string;
  readonly root: string;
  /** The saved state, or null when tofu could save none (see the message). */
  readonly recoveryFile: string | null;
  /** What tofu said, first line. */
  readonly tofuMessage: string;
  constructor(environment: string, root: string, recoveryFile: string | null, tofuMessage: string, cause?: unknown) {
    const kept = recoveryFile
      ? `the state of what was applied is kept in ${recoveryFile}`
      : "tofu could not save it locally either: the resources it applied are no longer tracked by any state";
    super(
      "state_not_persisted",
      `tofu applied changes to ${environment} but could not save the state to its backend (${tofuMessage}); ${kept}`,
      {
        exitCode: ExitCode.StateNotPersisted,
        hint: recoveryFile
          ? `do not deploy ${environment} again before the state is pushed: once the backend answers, ` +
            `run \`evalap-infra state push ${environment}\` (it pushes ${recoveryFile})`
          : `do not deploy ${environment} again: import the resources the apply created (see its output) before any other apply`,
        cause,
      },
    );
    this.name = "StateNotPersistedError";
    this.environment = environment;
    this.root = root;
    this.recoveryFile = recoveryFile;
    this.tofuMessage = tofuMessage;
  }
}

function lastLines(text: string): string {
  return text
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n")
    .map((l) => l.replace(/^[│╷╵]\s?/, "").trim())
    .filter((l) => l.length > 0)
    .slice(-3)
    .join(" ");
}
