import { createHash } from "node:crypto";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { applyArgs, backendArgs, forceUnlockArgs, fmtArgs, initArgs, outputArgs, planArgs, showArgs } from "./args.js";
import { providersSchemaArgs, stateListArgs, statePushArgs, validateArgs, versionArgs } from "./args.js";
import type { InitArgs, PlanArgs, VarOptions } from "./args.js";
import { withFileSystemErrors } from "./fs-errors.js";
import type { Diagnostic, TofuJsonMessage } from "./diagnostics.js";
import { toDiagnostic } from "./diagnostics.js";
import { attributeDiff, driftOf, summarizePlanStream, summarizeShowJson, withAttributes } from "./plan-summary.js";
import type { AttributeDiff, Drift, DriftNoise, PlanSummary, SecretFilter, ShowJsonPlan } from "./plan-summary.js";
import { resourceSchemas, type ProvidersSchemaJson, type ResourceSchemas } from "./schema.js";
import { runTofu, type TofuContext } from "./process.js";
import { parseOutputsJson, parseValidateJson, parseVersionJson } from "./json.js";

/**
 * One function per tofu subcommand: it runs the command line its builder in args.ts gives for
 * the typed options, and parses what tofu says (after terraform-exec). Retries, locks and guards
 * live in the operations that call them.
 */

export { varArgs, type VarOptions } from "./args.js";

// ---------------------------------------------------------------- init

export interface InitOptions extends InitArgs {
  /** Run even when nothing changed since the last successful init. */
  force?: boolean;
}

export interface InitResult {
  skipped: boolean;
  fingerprint: string;
}

const INIT_MARKER = "evalap-infra-init.json";

/**
 * `tofu init`, skipped when the root's configuration files, its lock file, its local module
 * sources, the backend options and the tofu binary are all unchanged since the last successful
 * init of this working directory.
 */
export async function init(ctx: TofuContext, dir: string, opts: InitOptions = {}): Promise<InitResult> {
  const backend = backendArgs(opts);
  const fingerprint = await initFingerprint(ctx, dir, backend);
  const marker = path.join(dir, ".terraform", INIT_MARKER);
  if (!opts.force) {
    const previous = await readFile(marker, "utf8").catch(() => "");
    if (previous.includes(fingerprint)) return { skipped: true, fingerprint };
  }
  await runTofu(ctx, { cwd: dir, args: initArgs(opts) });
  // The lock file may have been written by this init: fingerprint again, so the next run matches.
  const after = await initFingerprint(ctx, dir, backend);
  await withFileSystemErrors(marker, "record the init", async () => {
    await mkdir(path.dirname(marker), { recursive: true });
    await writeFile(marker, JSON.stringify({ fingerprint: after, at: new Date().toISOString() }) + "\n");
  });
  return { skipped: false, fingerprint: after };
}

async function initFingerprint(ctx: TofuContext, dir: string, backendArgs: string[]): Promise<string> {
  const hash = createHash("sha256");
  hash.update(
    `bin:${ctx.bin}\nargs:${backendArgs.join(" ")}\ncliconfig:${ctx.env.TF_CLI_CONFIG_FILE ?? process.env.TF_CLI_CONFIG_FILE ?? ""}\n`,
  );
  await hashConfigFiles(hash, dir, true);
  // Local modules installed by the previous init, as recorded by tofu itself.
  const modules = await readFile(path.join(dir, ".terraform", "modules", "modules.json"), "utf8").catch(() => "");
  if (modules) {
    hash.update(modules);
    const parsed = JSON.parse(modules) as { Modules?: Array<{ Dir?: string; Source?: string }> };
    for (const m of parsed.Modules ?? []) {
      if (m.Dir && m.Source && (m.Source.startsWith("./") || m.Source.startsWith("../")))
        await hashConfigFiles(hash, path.resolve(dir, m.Dir), false);
    }
  }
  return hash.digest("hex");
}

async function hashConfigFiles(hash: ReturnType<typeof createHash>, dir: string, withLockFile: boolean): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).sort();
  for (const name of names) {
    if (/\.(tf|tofu|tf\.json|tofu\.json)$/.test(name) || (withLockFile && name === ".terraform.lock.hcl")) {
      hash.update(`${name}\n`);
      hash.update(await readFile(path.join(dir, name)));
    }
  }
}

// ---------------------------------------------------------------- validate / fmt

export interface ValidateResult {
  valid: boolean;
  diagnostics: Diagnostic[];
}

export async function validate(ctx: TofuContext, dir: string): Promise<ValidateResult> {
  const run = await runTofu(ctx, { cwd: dir, args: validateArgs(), okExitCodes: [1] });
  const parsed = parseValidateJson(run.stdout || "{}");
  return { valid: parsed.valid && run.exitCode === 0, diagnostics: parsed.diagnostics.map(toDiagnostic) };
}

/** `tofu fmt -check`: the files that are not formatted (empty when all are). */
export async function fmtCheck(ctx: TofuContext, dir: string, recursive = true): Promise<string[]> {
  const run = await runTofu(ctx, { cwd: dir, args: fmtArgs({ check: true, recursive }), okExitCodes: [3] });
  return run.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

// ---------------------------------------------------------------- plan / show / apply / output

export interface PlanOptions extends PlanArgs {
  onMessage?: (message: TofuJsonMessage) => void;
}

export interface PlanResult {
  summary: PlanSummary;
  planFile: string;
  /** The variables the plan was made with: its apply must be given them again (see ApplyArgs). */
  inputs: VarOptions;
  diagnostics: Diagnostic[];
}

/** `tofu plan -out` with the JSON stream; the summary is read from the stream's planned changes. */
export async function plan(ctx: TofuContext, dir: string, opts: PlanOptions): Promise<PlanResult> {
  const messages: TofuJsonMessage[] = [];
  const run = await runTofu(ctx, {
    cwd: dir,
    args: planArgs(opts),
    okExitCodes: [2],
    onMessage: (m) => {
      messages.push(m);
      opts.onMessage?.(m);
    },
  });
  const inputs: VarOptions = { ...(opts.vars ? { vars: opts.vars } : {}), ...(opts.varFiles ? { varFiles: opts.varFiles } : {}) };
  return { summary: summarizePlanStream(messages, run.exitCode), planFile: opts.out, inputs, diagnostics: run.diagnostics };
}

export interface ShownPlan {
  /** The plan's summary, each change with the attributes it sets, changes or removes (bounded, redacted). */
  summary: PlanSummary;
  /** The attribute changes by address, and the values tofu marks sensitive (for the redactor; never print them). */
  diff: AttributeDiff;
  /** The parsed plan itself (holds sensitive values: read, never print). */
  plan: ShowJsonPlan;
}

/**
 * `tofu show -json PLANFILE`, summarised with its attribute-level diff. Its raw output holds
 * sensitive values in clear: it is parsed here and never printed or kept; `filter` (the run's
 * redactor) learns them before any value is rendered (see attributeDiff).
 */
export async function show(ctx: TofuContext, dir: string, planFile: string, filter?: SecretFilter): Promise<ShownPlan> {
  const run = await runTofu(ctx, { cwd: dir, args: showArgs(planFile) });
  const parsed = JSON.parse(run.stdout) as ShowJsonPlan;
  const diff = attributeDiff(parsed, filter);
  return { summary: withAttributes(summarizeShowJson(parsed), diff), diff, plan: parsed };
}

/**
 * `tofu show -json PLANFILE` of a refresh-only plan: what changed outside tofu. Like `show`, the raw
 * output is parsed here and never kept; `filter` learns the sensitive values before any is rendered.
 */
export async function showDrift(
  ctx: TofuContext,
  dir: string,
  planFile: string,
  filter?: SecretFilter,
  noise?: DriftNoise,
): Promise<Drift> {
  const run = await runTofu(ctx, { cwd: dir, args: showArgs(planFile) });
  return driftOf(JSON.parse(run.stdout) as ShowJsonPlan, filter, noise);
}

/** `tofu providers schema -json`: the resource schemas of the root's providers (after init). */
export async function providersSchema(ctx: TofuContext, dir: string): Promise<ResourceSchemas> {
  const run = await runTofu(ctx, { cwd: dir, args: providersSchemaArgs() });
  return resourceSchemas(JSON.parse(run.stdout) as ProvidersSchemaJson);
}

export interface ApplyOptions extends VarOptions {
  planFile: string;
  lockTimeoutMs: number;
  onMessage?: (message: TofuJsonMessage) => void;
}

export interface OutputValue {
  sensitive: boolean;
  /** Absent for sensitive outputs in apply's stream; present from `output -json`. */
  value?: unknown;
}

export interface ApplyResult {
  /** Outputs as the apply stream reports them (sensitive values omitted by tofu). */
  outputs: Record<string, OutputValue>;
  diagnostics: Diagnostic[];
}

/** `tofu apply PLANFILE`: applies exactly what was planned; a stale plan fails, it is never re-planned here. */
export async function apply(ctx: TofuContext, dir: string, opts: ApplyOptions): Promise<ApplyResult> {
  let outputs: Record<string, OutputValue> = {};
  const run = await runTofu(ctx, {
    cwd: dir,
    args: applyArgs(opts),
    onMessage: (m) => {
      if (m.type === "outputs" && m.outputs) {
        outputs = Object.fromEntries(
          Object.entries(m.outputs).map(([k, o]) => [k, o.sensitive ? { sensitive: true } : { sensitive: false, value: o.value }]),
        );
      }
      opts.onMessage?.(m);
    },
  });
  return { outputs, diagnostics: run.diagnostics };
}

/** `tofu output -json`: every output with its value, sensitive ones included (register them for redaction). */
export async function output(ctx: TofuContext, dir: string): Promise<Record<string, OutputValue>> {
  const run = await runTofu(ctx, { cwd: dir, args: outputArgs() });
  const parsed = parseOutputsJson(run.stdout || "{}");
  return Object.fromEntries(Object.entries(parsed).map(([k, o]) => [k, { sensitive: o.sensitive, value: o.value }]));
}

export async function version(ctx: TofuContext): Promise<string> {
  const run = await runTofu(ctx, { cwd: process.cwd(), args: versionArgs() });
  return parseVersionJson(run.stdout);
}

/** `tofu force-unlock -force ID`: removes a state lock its holder left behind. */
export async function forceUnlock(ctx: TofuContext, dir: string, lockId: string): Promise<void> {
  await runTofu(ctx, { cwd: dir, args: forceUnlockArgs(lockId) });
}

/**
 * `tofu state push FILE`: writes a state kept locally (errored.tfstate) to the backend. tofu
 * refuses a state with a lower serial or another lineage than the backend's; no -force here.
 */
export async function statePush(ctx: TofuContext, dir: string, file: string, lockTimeoutMs: number): Promise<void> {
  await runTofu(ctx, { cwd: dir, args: statePushArgs(file, lockTimeoutMs) });
}

/** `tofu state list`: the addresses in the state. */
export async function stateList(ctx: TofuContext, dir: string): Promise<string[]> {
  const run = await runTofu(ctx, { cwd: dir, args: stateListArgs() });
  return run.stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

export async function removePlanFile(file: string): Promise<void> {
  await rm(file, { force: true });
}
