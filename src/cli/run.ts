import { createInterface } from "node:readline/promises";
import { configDefaults, loadConfig, type ProjectConfig } from "../config/load.js";
import { attachSandbox, isSandboxEnvironment } from "../sandbox/environment.js";
import { EvalapError, InterruptedError, isEvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { CostEstimate } from "../cost/estimate.js";
import { EventBus } from "../events/bus.js";
import type { ErrorInfo, EventSink } from "../events/types.js";
import { GitHubReporter } from "../report/github.js";
import { JsonReporter } from "../report/json.js";
import { Redactor } from "../report/redact.js";
import type { Reporter } from "../report/reporter.js";
import { HumanReporter, plainColors, type TtyDeps } from "../report/tty.js";
import { resolveToolchain, type ResolvedToolchain } from "../toolchain/resolve.js";
import type { TofuContext } from "../tofu/process.js";
import type { RunContext } from "../operations/context.js";
import { reporterOf, type GlobalOptions } from "./command.js";
import { VERSION } from "./version.js";

export type { GlobalOptions } from "./command.js";

export interface CommandOutcome {
  /** One line for the result, shown to humans and put in the NDJSON result. */
  summary?: string;
  /** A non-zero code for an outcome that is not an error (plan --detailed-exitcode). */
  exitCode?: number;
  /** plan and cost: the monthly cost estimate, carried in the result event. */
  cost?: CostEstimate;
}

/** What a command body receives: the full context when the command needs the config. */
export interface CommandEnv {
  events: EventSink;
  redactor: Redactor;
  signal: AbortSignal;
  loadContext(): Promise<RunContext>;
  /**
   * The tofu every command of this run uses: resolved once, after the config when loadContext()
   * succeeded (its tofu.binary wins), else without one (doctor runs without a config file).
   */
  tooling(): Promise<Tooling>;
}

export interface Tooling {
  toolchain: ResolvedToolchain;
  tofu: TofuContext;
}

/**
 * The harness of every command: reporters, redaction, signals, config, the result event and the
 * exit code. Errors the user can act on print their message and hint, never a stack trace.
 */
export async function runCommand(
  name: string,
  environment: string | undefined,
  globals: GlobalOptions,
  body: (env: CommandEnv) => Promise<CommandOutcome | void>,
): Promise<number> {
  const started = Date.now();
  const redactor = new Redactor();
  redactor.addFromEnvironment(process.env);
  const bus = new EventBus();
  const reporter = await makeReporter(globals, redactor);
  bus.on((e) => reporter.handle(e));

  const controller = new AbortController();
  let signalCount = 0;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => {
    signalCount += 1;
    if (signalCount === 1) {
      bus.emit({
        type: "log",
        level: "warn",
        message: `${signal} received: stopping tofu gracefully and releasing locks (this can take a moment)`,
      });
      controller.abort(new InterruptedError(signal));
    } else {
      bus.emit({ type: "log", level: "warn", message: "still stopping: tofu is finishing what it started, to keep the state intact" });
    }
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);

  bus.emit({ type: "run.started", command: name, version: VERSION, ...(environment ? { environment } : {}) });
  let exitCode: number;
  try {
    let config: ProjectConfig | undefined;
    // One resolution per config state: a body that asks before loading the config gets it again after.
    let tooling: { for: ProjectConfig | undefined; value: Promise<Tooling> } | undefined;
    const resolveTooling = (): Promise<Tooling> => {
      if (tooling === undefined || tooling.for !== config) {
        const cfg = config;
        const value = resolveToolchain(cfg?.tofu.binary, process.env, cfg?.projectDir).then((toolchain) => ({
          toolchain,
          tofu: {
            bin: toolchain.bin,
            env: toolchain.env,
            signal: controller.signal,
            interruptGraceMs: (cfg ?? configDefaults()).tofu.interruptGrace,
          },
        }));
        tooling = { for: cfg, value };
      }
      return tooling.value;
    };
    const env: CommandEnv = {
      events: bus,
      redactor,
      signal: controller.signal,
      tooling: resolveTooling,
      loadContext: async () => {
        config ??= await withSandbox(await loadConfig(process.cwd(), globals.config), environment, redactor);
        const { tofu } = await resolveTooling();
        return {
          config,
          events: bus,
          redactor,
          tofu,
          signal: controller.signal,
          confirm: makeConfirm(globals),
          commandLine: commandLine(),
        };
      },
    };
    const outcome = (await body(env)) ?? {};
    exitCode = outcome.exitCode ?? ExitCode.Ok;
    bus.emit({
      type: "result",
      command: name,
      ok: true,
      exitCode,
      durationMs: Date.now() - started,
      ...(outcome.summary ? { summary: outcome.summary } : {}),
      ...(outcome.cost ? { cost: outcome.cost } : {}),
    });
  } catch (err) {
    const error = toEvalapError(err, globals.verbose === true);
    // Once interrupted, the interruption is the outcome, whatever error the unwinding raised.
    const reason: unknown = controller.signal.reason;
    const shown = controller.signal.aborted && reason instanceof InterruptedError ? reason : error;
    exitCode = shown.exitCode;
    bus.emit({
      type: "result",
      command: name,
      ok: false,
      exitCode,
      durationMs: Date.now() - started,
      error: errorInfo(shown),
    });
  } finally {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
    reporter.close();
  }
  return exitCode;
}

/**
 * A run on the sandbox environment gets the running sandbox's endpoints and keys, in place of
 * whatever SCW_* and AWS_* the shell holds: tofu, the provider, the SDK and the bucket client all
 * read them from the environment. Its secrets are redacted like any other.
 */
async function withSandbox(config: ProjectConfig, environment: string | undefined, redactor: Redactor): Promise<ProjectConfig> {
  if (environment === undefined || !isSandboxEnvironment(config, environment)) return config;
  const attached = await attachSandbox(config, environment);
  for (const value of attached.secrets) redactor.add(value);
  Object.assign(process.env, attached.env);
  return attached.config;
}

/** An error as the result event carries it: code, message, hint, and where it is when it knows. */
export function errorInfo(error: EvalapError): ErrorInfo {
  const at = error.location;
  return {
    code: error.code,
    message: error.message,
    ...(error.hint ? { hint: error.hint } : {}),
    ...(at
      ? { file: at.file, ...(at.line !== undefined ? { line: at.line } : {}), ...(at.column !== undefined ? { column: at.column } : {}) }
      : {}),
  };
}

function toEvalapError(err: unknown, verbose: boolean): EvalapError {
  if (isEvalapError(err)) return err;
  // A bug of ours, not a user error: say so plainly; the stack only with --verbose.
  const message = err instanceof Error ? err.message : String(err);
  const stack = verbose && err instanceof Error && err.stack ? `\n${err.stack}` : "";
  return new EvalapError("internal", `internal error: ${message}${stack}`, {
    exitCode: ExitCode.Failure,
    hint: verbose ? "please report this with the output above" : "run again with --verbose for details, and please report it",
  });
}

async function makeReporter(globals: GlobalOptions, redactor: Redactor): Promise<Reporter> {
  const kind = reporterOf(globals, process.env);
  if (kind === "json") return new JsonReporter(redactor);
  if (kind === "github") {
    return new GitHubReporter(redactor, {
      summaryFile: process.env.GITHUB_STEP_SUMMARY,
      workspace: process.env.GITHUB_WORKSPACE || process.cwd(),
      commandLine: commandLine(),
      verbose: globals.verbose === true,
    });
  }
  const stderr = process.stderr;
  // A terminal that reports no width (some CI pseudo-terminals) gets plain lines: a spinner there
  // redraws endlessly.
  const interactive = stderr.isTTY === true && (stderr.columns ?? 0) > 0 && !process.env.CI;
  const useColor = wantsColor(globals, process.env) && stderr.isTTY === true;
  const deps: TtyDeps = { colors: plainColors, spinner: null };
  if (useColor) {
    const { Chalk } = await import("chalk");
    const chalk = new Chalk({ level: 1 });
    deps.colors = { green: chalk.green, red: chalk.red, yellow: chalk.yellow, dim: chalk.dim, bold: chalk.bold, cyan: chalk.cyan };
  }
  if (interactive) {
    const { default: ora } = await import("ora");
    deps.spinner = (text) =>
      ora({
        text,
        stream: stderr,
        // No colour codes at all without colours (ora's "white" is still one).
        color: useColor ? "cyan" : false,
        // ora's default puts the terminal in raw mode to swallow keystrokes, so Ctrl-C no longer
        // sends SIGINT, and it reads the ^C byte only if stdin flows, which it never does here:
        // Ctrl-C was ignored. Left cooked, the terminal sends SIGINT to our process group (tofu
        // has its own), and runCommand forwards it once.
        discardStdin: false,
      }).start();
  }
  return new HumanReporter(redactor, deps, undefined, undefined, globals.verbose === true);
}

function commandLine(): string {
  return ["evalap-infra", ...process.argv.slice(2)].join(" ");
}

/** --no-color, or NO_COLOR set to anything non-empty (no-color.org). */
export function wantsColor(globals: Pick<GlobalOptions, "color">, env: NodeJS.ProcessEnv): boolean {
  return globals.color !== false && !env.NO_COLOR;
}

export function makeConfirm(globals: GlobalOptions): ((question: string) => Promise<boolean>) | null {
  if (globals.json || process.stdin.isTTY !== true || process.stderr.isTTY !== true || process.env.CI) return null;
  return async (question) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      const answer = await rl.question(`${question} Only "yes" is accepted: `);
      return answer.trim() === "yes";
    } finally {
      rl.close();
    }
  };
}
