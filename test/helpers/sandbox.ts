import { execa } from "execa";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { resourceCounts } from "../../src/sandbox/daemon/seed.js";
import { readDescriptor, sandboxEnv, type SandboxDescriptor } from "../../src/sandbox/descriptor.js";
import { CLI, parseEvents, REPO } from "./project.js";

/** A sandbox daemon started with the built CLI (`sandbox up`), in a throw-away project holding a copy of infra/. */
export interface RunningSandbox {
  /** The project: evalap-infra.json (staging, production) and a copy of the repository's infra/. */
  projectDir: string;
  dataDir: string;
  descriptor: SandboxDescriptor;
  /** SCW_*, AWS_*, TF_VAR_state_passphrase and the roots' other inputs for plain tofu. */
  env: Record<string, string>;
  /** Runs the CLI in the project; `input` is its standard input (none by default). */
  cli(args: string[], env?: Record<string, string>, input?: string): Promise<{ exitCode: number; stdout: string; stderr: string }>;
  /** Runs the CLI with the args as given (add `--json` for events): its NDJSON events, its last one (the result) and a printable transcript. */
  run(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<SandboxRun>;
  /** Live resources per collection (`GET /_sandbox/resources`). */
  counts(): Promise<Record<string, number>>;
  /** `sandbox down`, then removes the project. */
  cleanup(): Promise<void>;
}

export interface SandboxRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  events: ReturnType<typeof parseEvents>;
  /** The last event: the run's result under --json. */
  result: { exitCode: number; error?: { code: string; message: string; hint?: string }; summary?: string };
  /** Exit code, stdout and stderr, for an assertion's message. */
  output: string;
}

/** How long one CLI run may take in a sandbox test. */
const CLI_RUN_LIMIT_MS = 480_000;

export async function sandboxProject(opts: { readyDelay?: string } = {}): Promise<RunningSandbox> {
  const projectDir = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-project-"));
  const dataDir = path.join(projectDir, ".evalap-infra", "sandbox");
  await cp(path.join(REPO, "infra"), path.join(projectDir, "infra"), {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}.terraform`),
  });
  await writeFile(
    path.join(projectDir, "evalap-infra.json"),
    JSON.stringify({
      environments: { staging: { root: "infra/staging" }, production: { root: "infra/production", protection: "protected" } },
    }),
  );
  const cli = async (args: string[], env: Record<string, string> = {}, input?: string) => {
    const r = await execa("node", [CLI, ...args], {
      cwd: projectDir,
      reject: false,
      env: { ...env, CI: "true" },
      // Interrupted (as Ctrl-C) well before a test's own timeout (600 s), so that a run that hangs
      // fails its test with its events so far, instead of holding the lease over the next tests.
      timeout: CLI_RUN_LIMIT_MS,
      killSignal: "SIGINT",
      forceKillAfterDelay: 60_000,
      ...(input === undefined ? { stdin: "ignore" as const } : { input }),
    });
    const stderr = r.timedOut
      ? `${String(r.stderr)}\n[interrupted after ${CLI_RUN_LIMIT_MS / 1000} s by the test helper]`
      : String(r.stderr);
    return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr };
  };
  const up = await cli(["sandbox", "up", "--data-dir", dataDir, ...(opts.readyDelay ? ["--ready-delay", opts.readyDelay] : [])]);
  const cleanup = async () => {
    await cli(["sandbox", "down", "--data-dir", dataDir]);
    await rm(projectDir, { recursive: true, force: true });
  };
  const descriptor = await readDescriptor(dataDir);
  if (up.exitCode !== 0 || !descriptor) {
    await cleanup();
    throw new Error(`sandbox up failed (exit ${up.exitCode}):\n${up.stdout}\n${up.stderr}`);
  }
  const env = sandboxEnv(descriptor);
  return {
    projectDir,
    dataDir,
    descriptor,
    env,
    cli,
    run: async (args, opts = {}) => {
      const r = await cli(args, opts.env, opts.input);
      const events = parseEvents(r.stdout);
      const result = events.at(-1) as unknown as SandboxRun["result"];
      return { ...r, events, result, output: `exit ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
    },
    counts: () => resourceCounts({ url: descriptor.apiUrl, token: descriptor.scaleway.secretKey }),
    cleanup,
  };
}

/** A CLI run that was sent a signal once one of its NDJSON events matched. */
export interface SignalledRun {
  exitCode: number;
  /** Its stdout: the NDJSON events up to where it stopped. */
  out: string;
  /** Whether the event was seen and the signal sent. */
  signalled: boolean;
}

/**
 * Runs the CLI (`--json` is added) in the project and sends `signal` the first time an event matches
 * `when`: how the fault tests stop a run at a chosen step (SIGKILL: a crash; SIGINT: Ctrl-C).
 */
export async function signalWhen(
  sb: Pick<RunningSandbox, "projectDir">,
  args: string[],
  when: (event: ReturnType<typeof parseEvents>[number]) => boolean,
  signal: NodeJS.Signals,
): Promise<SignalledRun> {
  const child = execa("node", [CLI, ...args, "--json"], {
    cwd: sb.projectDir,
    reject: false,
    env: { CI: "true" },
    stdin: "ignore",
    buffer: false,
  });
  let out = "";
  let signalled = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (!signalled && parseEvents(out).some(when)) {
      signalled = true;
      child.kill(signal);
    }
  });
  const done = await child;
  return { exitCode: done.exitCode ?? -1, out, signalled };
}
