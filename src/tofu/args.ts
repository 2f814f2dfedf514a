import { UsageError } from "../core/errors.js";

/**
 * The command lines of the tofu subcommands this tool runs, as pure functions of typed options
 * (after hashicorp/terraform-exec's per-command option builders). Nothing here starts a process or
 * reads a file, so every flag is unit-tested (test/unit/tofu-args.test.ts) without tofu; the
 * functions that run them are in commands.ts.
 *
 * Every subcommand that accepts it gets `-no-color` (or `-json`, which implies it) and, when it
 * could prompt, `-input=false`: the environment says the same (process.ts), the argv makes it
 * visible in run records and process listings.
 */

export interface VarOptions {
  /** Input variables: strings go as they are, anything else as JSON (tofu reads it as an HCL expression). */
  vars?: Record<string, unknown>;
  /** tfvars files, relative to the root or absolute. */
  varFiles?: string[];
}

/** A variable name as tofu accepts it (an HCL identifier); anything else would be split or misread by `-var`. */
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function varArgs(opts: VarOptions): string[] {
  const args: string[] = [];
  for (const file of opts.varFiles ?? []) args.push(`-var-file=${file}`);
  for (const [name, value] of Object.entries(opts.vars ?? {})) {
    if (!VARIABLE_NAME.test(name)) {
      const hint = "a variable name starts with a letter or _ and holds only letters, digits, _ and -";
      throw new UsageError(`"${name}" is not a valid variable name`, hint);
    }
    args.push(`-var=${name}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  }
  return args;
}

/** tofu takes whole seconds: round up, so a wait is never shorter than asked. */
export function lockTimeoutArg(ms: number): string {
  return `-lock-timeout=${Math.max(0, Math.ceil(ms / 1000))}s`;
}

/**
 * A positional file argument: tofu parses flags before positionals, so a relative name starting
 * with "-" would be read as a flag; "./" keeps it a path.
 */
function fileArg(file: string): string {
  if (file.length === 0) throw new RangeError("empty file argument");
  return file.startsWith("-") ? `./${file}` : file;
}

// ---------------------------------------------------------------- init

export interface InitArgs {
  /** false: `-backend=false` (validate of a module without its backend). Default true. */
  backend?: boolean;
  /** `-backend-config=key=value` pairs (ignored with backend: false). */
  backendConfig?: Record<string, string>;
  /** `-upgrade`: pick the newest provider versions the constraints allow. */
  upgrade?: boolean;
  /**
   * `-reconfigure`: take the backend as configured now, without migrating state from the previous
   * one. Only for a backend whose state lives and dies with it (the sandbox's bucket, whose endpoint
   * changes when it is reset): elsewhere a changed backend needs the operator's decision.
   */
  reconfigure?: boolean;
}

export function initArgs(opts: InitArgs = {}): string[] {
  const extra = [...(opts.upgrade ? ["-upgrade"] : []), ...(opts.reconfigure && opts.backend !== false ? ["-reconfigure"] : [])];
  return ["init", "-input=false", "-no-color", ...backendArgs(opts), ...extra];
}

/** The backend part of init's command line; also what the init fingerprint covers. */
export function backendArgs(opts: InitArgs): string[] {
  if (opts.backend === false) return ["-backend=false"];
  return Object.entries(opts.backendConfig ?? {}).map(([k, v]) => `-backend-config=${k}=${v}`);
}

// ---------------------------------------------------------------- validate / fmt

export function validateArgs(): string[] {
  return ["validate", "-json", "-no-color"];
}

export interface FmtArgs {
  /** `-check`: exit 3 when a file is not formatted, write nothing. */
  check?: boolean;
  /** Descend into subdirectories (default true). */
  recursive?: boolean;
  /** Files or directories; the working directory when empty. */
  targets?: string[];
}

export function fmtArgs(opts: FmtArgs = {}): string[] {
  return [
    "fmt",
    ...(opts.check ? ["-check"] : []),
    "-list=true",
    "-no-color",
    ...(opts.recursive === false ? [] : ["-recursive"]),
    ...(opts.targets ?? []).map(fileArg),
  ];
}

// ---------------------------------------------------------------- plan / apply

export interface PlanArgs extends VarOptions {
  /** The plan file to write (`-out`). */
  out: string;
  lockTimeoutMs: number;
  /** A plan that destroys everything. */
  destroy?: boolean;
  /** false: `-refresh=false` (skip reading remote objects). Default true. */
  refresh?: boolean;
  /**
   * `-refresh-only`: plan only to bring the state in line with the remote objects (drift); with
   * -detailed-exitcode, exit 2 means something changed outside tofu (plans.Plan.CanApply in
   * opentofu v1.12.6 internal/plans/plan.go: refresh-only mode applies when the refreshed state differs).
   */
  refreshOnly?: boolean;
  /** Resource addresses to limit the plan to (`-target`). */
  targets?: string[];
  /** Resource addresses to plan a replacement of (`-replace`). */
  replace?: string[];
}

/** `plan -json -detailed-exitcode -out`: the JSON stream carries the summary; exit 2 means changes. */
export function planArgs(opts: PlanArgs): string[] {
  return [
    "plan",
    "-input=false",
    "-json",
    "-detailed-exitcode",
    `-out=${opts.out}`,
    lockTimeoutArg(opts.lockTimeoutMs),
    ...(opts.destroy ? ["-destroy"] : []),
    ...(opts.refresh === false ? ["-refresh=false"] : []),
    ...(opts.refreshOnly ? ["-refresh-only"] : []),
    ...(opts.targets ?? []).map((a) => `-target=${a}`),
    ...(opts.replace ?? []).map((a) => `-replace=${a}`),
    ...varArgs(opts),
  ];
}

/**
 * The variables must be the plan's own: applying a saved plan, OpenTofu (1.8+) still loads the
 * root's terraform.tfvars and refuses a value that differs from the plan's ("Mismatch between
 * input and plan variable value"), so a `-var` that overrode a tfvars value must be given again.
 */
export interface ApplyArgs extends VarOptions {
  /** The saved plan to apply: exactly what was planned, never a fresh plan. */
  planFile: string;
  lockTimeoutMs: number;
}

/** `apply -json [VARS] PLANFILE`. No `-auto-approve`: tofu never asks before applying a saved plan. */
export function applyArgs(opts: ApplyArgs): string[] {
  return ["apply", "-input=false", "-json", lockTimeoutArg(opts.lockTimeoutMs), ...varArgs(opts), fileArg(opts.planFile)];
}

// ---------------------------------------------------------------- show / output / version

/** `show -json [PLANFILE]`: the plan (or, without a file, the state) as JSON, sensitive values included. */
export function showArgs(planFile?: string): string[] {
  return ["show", "-json", "-no-color", ...(planFile === undefined ? [] : [fileArg(planFile)])];
}

/** `output -json [NAME]`: outputs with their values, sensitive ones included. */
export function outputArgs(name?: string): string[] {
  return ["output", "-json", "-no-color", ...(name === undefined ? [] : [name])];
}

/** `providers schema -json`: every provider's schema (which attributes are computed only). */
export function providersSchemaArgs(): string[] {
  return ["providers", "schema", "-json"];
}

export function versionArgs(): string[] {
  return ["version", "-json"];
}

// ---------------------------------------------------------------- state

/** A lock id as tofu prints it (a UUID for the s3 backend); one starting with "-" would be read as a flag. */
export function forceUnlockArgs(lockId: string): string[] {
  if (lockId.length === 0 || lockId.startsWith("-") || /\s/.test(lockId)) {
    throw new UsageError(`"${lockId}" is not a state lock id`, 'copy the lock id tofu printed ("ID: ..."), e.g. 1c5e2a9e-...');
  }
  return ["force-unlock", "-force", "-no-color", lockId];
}

/** `state push FILE`, never `-force`: tofu then refuses a state of another lineage or an older serial. */
export function statePushArgs(file: string, lockTimeoutMs: number): string[] {
  return ["state", "push", "-no-color", lockTimeoutArg(lockTimeoutMs), fileArg(file)];
}

export function stateListArgs(): string[] {
  return ["state", "list", "-no-color"];
}
