import { execa, type ResultPromise } from "execa";
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach } from "vitest";
import type { EvalapEvent } from "../../src/events/types.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CLI = path.join(REPO, "bin", "evalap-infra.js");
export const FIXTURES = path.join(REPO, "test", "fixtures");

export interface TestProject {
  dir: string;
  /** Runs the CLI to completion. */
  run(args: string[], opts?: RunOpts): Promise<CliRun>;
  /** Starts the CLI and returns the running process. */
  start(
    args: string[],
    opts?: RunOpts,
  ): ResultPromise<{ cwd: string; env: NodeJS.ProcessEnv; reject: false; extendEnv: true; stdin: "ignore" }>;
  cleanup(): Promise<void>;
}

export interface RunOpts {
  env?: Record<string, string>;
}

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The NDJSON events, when the run used --json. */
  events: Array<Record<string, unknown> & { type: string }>;
}

export interface ProjectOptions {
  /** Environment name -> fixture folder under test/fixtures. */
  environments: Record<
    string,
    { fixture: string; protection?: "standard" | "protected"; vars?: Record<string, unknown>; extra?: Record<string, unknown> }
  >;
  /** Extra top-level config (retry, lock, guard...). */
  config?: Record<string, unknown>;
}

/** A throw-away project: fixture roots copied under infra/, and an evalap-infra.json. */
export async function makeProject(opts: ProjectOptions): Promise<TestProject> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-test-"));
  const environments: Record<string, unknown> = {};
  for (const [name, env] of Object.entries(opts.environments)) {
    await cp(path.join(FIXTURES, env.fixture), path.join(dir, "infra", name), { recursive: true });
    environments[name] = { root: `infra/${name}`, protection: env.protection ?? "standard", vars: env.vars ?? {}, ...env.extra };
  }
  const config = {
    environments,
    retry: { attempts: 5, baseDelay: "10ms", maxDelay: "100ms", budget: "60s" },
    lock: { timeout: "30s", poll: "100ms", stale: "5s" },
    ...opts.config,
  };
  await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify(config, null, 2));
  const baseEnv = (extra?: Record<string, string>): NodeJS.ProcessEnv => ({ NO_COLOR: "1", ...extra });
  return {
    dir,
    run: async (args, runOpts) => {
      const r = await execa("node", [CLI, ...args], {
        cwd: dir,
        env: baseEnv(runOpts?.env),
        extendEnv: true,
        reject: false,
        stdin: "ignore",
      });
      return toRun(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
    },
    start: (args, runOpts) =>
      execa("node", [CLI, ...args], { cwd: dir, env: baseEnv(runOpts?.env), reject: false, extendEnv: true, stdin: "ignore" }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** makeProject, with every project removed after each test of the calling file. */
export function trackedProjects(): (opts: ProjectOptions) => Promise<TestProject> {
  const projects: TestProject[] = [];
  afterEach(async () => {
    while (projects.length > 0) await projects.pop()?.cleanup();
  });
  return async (opts) => {
    const p = await makeProject(opts);
    projects.push(p);
    return p;
  };
}

export function toRun(exitCode: number, stdout: string, stderr: string): CliRun {
  return { exitCode, stdout, stderr, events: parseEvents(stdout) };
}

export function parseEvents(stdout: string): CliRun["events"] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as CliRun["events"][number]);
}

type Stamped<E> = E & { schemaVersion: number; time: string };

/** The events of one type, typed as the CLI's own event union says. */
export function eventsOf<T extends EvalapEvent["type"]>(run: CliRun, type: T): Array<Stamped<Extract<EvalapEvent, { type: T }>>> {
  return run.events.filter((e) => e.type === type) as unknown as Array<Stamped<Extract<EvalapEvent, { type: T }>>>;
}

/** The first event of a type; fails the test with the run's output when there is none. */
export function eventOf<T extends EvalapEvent["type"]>(run: CliRun, type: T): Stamped<Extract<EvalapEvent, { type: T }>> {
  const found = eventsOf(run, type)[0];
  if (!found) throw new Error(`no ${type} event; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return found;
}

export function resultOf(run: CliRun): Record<string, unknown> {
  const result = run.events.at(-1);
  if (!result || result.type !== "result") throw new Error(`no result event; stdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  return result;
}

/** Runs the toolchain's tofu directly (to inspect state the way an operator would). */
export async function tofuIn(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const bin = process.env.EVALAP_TOFU_BIN ?? path.join(os.homedir(), ".cache", "evalap-infra", "toolchain", "bin", "tofu");
  const rc = path.join(os.homedir(), ".cache", "evalap-infra", "toolchain", "tofurc");
  const r = await execa(bin, args, {
    cwd: dir,
    reject: false,
    env: {
      ...env,
      TF_IN_AUTOMATION: "1",
      TF_CLI_CONFIG_FILE: process.env.EVALAP_TOOLCHAIN_DIR ? path.join(process.env.EVALAP_TOOLCHAIN_DIR, "tofurc") : rc,
    },
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/** Resolves when the running CLI has printed an event matching the predicate. */
export function waitForEvent(
  child: { stdout: NodeJS.ReadableStream | null },
  predicate: (e: Record<string, unknown>) => boolean,
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs}ms; got:\n${buffer}`)), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      for (const line of buffer.split("\n")) {
        if (!line.startsWith("{")) continue;
        try {
          const e = JSON.parse(line) as Record<string, unknown>;
          if (predicate(e)) {
            clearTimeout(timer);
            resolve(e);
            return;
          }
        } catch {
          // partial line: wait for the rest
        }
      }
    });
  });
}
