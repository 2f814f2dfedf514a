import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { parse } from "yaml";
import { condition, interpolate, type Contexts, type Value } from "./gha-expressions.js";
import { CLI } from "./project.js";

/**
 * Runs a GitHub Actions job of one of our workflows offline, as far as it can run here: the `run:`
 * steps that call `evalap-infra`, each in bash as the runner runs it (`bash --noprofile --norc -eo
 * pipefail`), with the environment the workflow, the job and the step set (their ${{ }} evaluated
 * from the event, inputs, matrix, secrets and vars given), `evalap-infra` on PATH as the built CLI,
 * and GITHUB_ACTIONS, GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_OUTPUT as on a runner. `uses:` steps
 * (checkout, the set-up action: Node.js, Go, npm ci, the toolchain) are what this machine already
 * has, and are listed as such. A step that fails ends the job as on GitHub (later steps run only
 * when their `if:` asks for it).
 */
export interface WorkflowEvent {
  /** push, workflow_dispatch, schedule, pull_request. */
  name: string;
  inputs?: Record<string, string>;
  /** For a schedule: the cron line that fired. */
  schedule?: string;
  ref?: string;
  /** More of the event's payload (`github.event.*`), e.g. a pull request's `pull_request.head.repo.full_name`. */
  payload?: Record<string, Value>;
}

export interface JobRunOptions {
  /** The folder the steps run in (the checkout: a project with evalap-infra.json). */
  cwd: string;
  event: WorkflowEvent;
  /** One matrix combination; required when the job has a matrix. */
  matrix?: Record<string, string>;
  /** `needs.<job>.result` of the jobs this one needs. */
  needs?: Record<string, "success" | "failure" | "skipped">;
  /** Secrets and variables per GitHub environment name (as the job's `environment:` evaluates). */
  secrets: (environment: string) => Record<string, string>;
  vars: (environment: string) => Record<string, string>;
  /** Extra environment for every step (e.g. EVALAP_SANDBOX_DIR), applied under the workflow's. */
  baseEnv?: Record<string, string>;
}

export interface StepResult {
  name: string;
  /** The run: script as written (before the shell expands it). */
  script: string;
  exitCode: number;
  stdout: string;
  stderr: string;
  /** What the step appended to $GITHUB_STEP_SUMMARY. */
  summary: string;
  /** The environment the step got from the workflow, job and step (names only are asserted on). */
  env: Record<string, string>;
}

export interface JobResult {
  /** false when the job's `if:` skipped it. */
  ran: boolean;
  /** The GitHub environment the job ran in. */
  environment: string | null;
  steps: StepResult[];
  /** `uses:` steps and run: steps without evalap-infra, not run here. */
  notRun: string[];
  /** success when every step that ran exited 0. */
  result: "success" | "failure" | "skipped";
}

interface RawStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string | boolean;
  env?: Record<string, string | number | boolean>;
  shell?: string;
}

interface RawJob {
  if?: string | boolean;
  environment?: string | { name: string };
  env?: Record<string, string | number | boolean>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: RawStep[];
}

export interface Workflow {
  file: string;
  env?: Record<string, string | number | boolean>;
  jobs: Record<string, RawJob>;
  raw: Record<string, unknown>;
}

export async function loadWorkflow(file: string): Promise<Workflow> {
  const raw = parse(await readFile(file, "utf8")) as Record<string, unknown> & { env?: Workflow["env"]; jobs: Workflow["jobs"] };
  return { file, ...(raw.env ? { env: raw.env } : {}), jobs: raw.jobs, raw };
}

/** Whether a run: script calls the CLI (the steps this harness runs). */
export const callsCli = (script: string): boolean => /(^|[\s;&|(])evalap-infra(\s|$)/m.test(script);

export async function runJob(workflow: Workflow, jobId: string, opts: JobRunOptions): Promise<JobResult> {
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`${workflow.file} has no job ${jobId}`);
  const inputs = opts.event.inputs ?? {};
  const github: Value = {
    event_name: opts.event.name,
    event: {
      ...(opts.event.payload ?? {}),
      ...(opts.event.schedule ? { schedule: opts.event.schedule } : {}),
      ...(opts.event.name === "workflow_dispatch" ? { inputs } : {}),
    },
    ref: opts.event.ref ?? "refs/heads/main",
    actor: "workflow-test",
    repository: "etalab-ia/evalap-infra",
  };
  const base: Contexts = {
    github,
    inputs,
    matrix: opts.matrix ?? {},
    needs: needsContext(opts.needs ?? {}),
    vars: {},
    secrets: {},
    env: {},
  };
  const declaredMatrix = job.strategy?.matrix;
  if (declaredMatrix && !opts.matrix) throw new Error(`${jobId} has a matrix: give one combination`);
  if (!condition(job.if, base, { ok: true })) return { ran: false, environment: null, steps: [], notRun: [], result: "skipped" };

  const environmentExpr = typeof job.environment === "string" ? job.environment : job.environment?.name;
  const environment = environmentExpr ? interpolate(environmentExpr, base) : null;
  const scoped: Contexts = {
    ...base,
    secrets: environment ? opts.secrets(environment) : {},
    vars: environment ? opts.vars(environment) : {},
  };
  const workflowEnv = evalEnv(workflow.env, scoped, {});
  const jobEnv = evalEnv(job.env, { ...scoped, env: workflowEnv }, workflowEnv);

  const work = await mkdtemp(path.join(os.tmpdir(), "evalap-gha-"));
  const bin = path.join(work, "bin");
  await mkdir(bin);
  // `evalap-infra` as npm link / node_modules/.bin would put it: the built CLI.
  await writeFile(path.join(bin, "evalap-infra"), `#!/usr/bin/env bash\nexec node ${JSON.stringify(CLI)} "$@"\n`);
  await chmod(path.join(bin, "evalap-infra"), 0o755);
  const steps: StepResult[] = [];
  const notRun: string[] = [];
  let ok = true;
  try {
    for (const [i, step] of job.steps.entries()) {
      const ctx: Contexts = { ...scoped, env: jobEnv };
      const name = step.name ? interpolate(step.name, ctx) : (step.uses ?? `step ${i + 1}`);
      if (step.uses !== undefined || step.run === undefined || !callsCli(step.run)) {
        notRun.push(step.uses ?? name);
        continue;
      }
      if (!condition(step.if, ctx, { ok })) continue;
      const stepEnv = evalEnv(step.env, ctx, jobEnv);
      const script = interpolate(step.run, ctx, { ok });
      const files = {
        summary: path.join(work, `summary-${i}.md`),
        env: path.join(work, `env-${i}`),
        output: path.join(work, `output-${i}`),
      };
      for (const f of Object.values(files)) await writeFile(f, "");
      const r = await execa("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
        cwd: opts.cwd,
        reject: false,
        stdin: "ignore",
        extendEnv: false,
        env: {
          PATH: `${bin}:${process.env.PATH ?? ""}`,
          HOME: process.env.HOME ?? os.homedir(),
          ...(process.env.EVALAP_TOOLCHAIN_DIR ? { EVALAP_TOOLCHAIN_DIR: process.env.EVALAP_TOOLCHAIN_DIR } : {}),
          ...(process.env.TF_CLI_CONFIG_FILE ? { TF_CLI_CONFIG_FILE: process.env.TF_CLI_CONFIG_FILE } : {}),
          ...(process.env.EVALAP_PG_BINDIR ? { EVALAP_PG_BINDIR: process.env.EVALAP_PG_BINDIR } : {}),
          ...opts.baseEnv,
          CI: "true",
          GITHUB_ACTIONS: "true",
          GITHUB_EVENT_NAME: opts.event.name,
          GITHUB_ACTOR: "workflow-test",
          GITHUB_WORKSPACE: opts.cwd,
          GITHUB_STEP_SUMMARY: files.summary,
          GITHUB_ENV: files.env,
          GITHUB_OUTPUT: files.output,
          RUNNER_TEMP: work,
          ...stepEnv,
        },
      });
      const exitCode = r.exitCode ?? -1;
      steps.push({
        name,
        script: step.run,
        exitCode,
        stdout: String(r.stdout),
        stderr: String(r.stderr),
        summary: await readFile(files.summary, "utf8"),
        env: stepEnv,
      });
      if (exitCode !== 0) ok = false;
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return { ran: true, environment, steps, notRun, result: ok ? "success" : "failure" };
}

function needsContext(needs: Record<string, string>): Value {
  return Object.fromEntries(Object.entries(needs).map(([job, result]) => [job, { result, outputs: {} }]));
}

/** An env: block, each value interpolated, layered over what the outer levels set. */
function evalEnv(
  block: Record<string, string | number | boolean> | undefined,
  ctx: Contexts,
  outer: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = { ...outer };
  for (const [k, v] of Object.entries(block ?? {})) out[k] = typeof v === "string" ? interpolate(v, ctx) : String(v);
  return out;
}
