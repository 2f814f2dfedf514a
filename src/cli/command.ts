import type { Option } from "commander";

/**
 * A command as data: what main.ts registers with commander and what the root help is generated
 * from. Definition modules stay light (commander's Option, small parsers): `run` imports the
 * command's body, so `--help` and `--version` load none of it.
 */
export interface CommandDefinition<O = Record<string, unknown>> {
  /** The word typed after its group, if any ("list" in `releases list`). */
  name: string;
  /** The group it belongs to ("releases", "lock"...), described in commands/index.ts. */
  group?: GroupName;
  description: string;
  /** Left out of the help (a command other commands run, like the sandbox's daemon). */
  hidden?: boolean;
  arguments?: readonly CommandArgument[];
  /** Built with commander's own Option: argParser, choices, defaults. */
  options?: () => Option[];
  /** Command lines without the leading `$ `; the first one also appears in the root help. */
  examples: readonly string[];
  /** Runs the command; resolves to its exit code. A method, so definitions of any option type fit one list. */
  run(input: RunInput<O>): Promise<number>;
}

export interface CommandArgument {
  /** As commander spells it: "<environment>". */
  name: string;
  description: string;
}

export interface RunInput<O> {
  /** The positional arguments, in the order of `arguments`. */
  args: string[];
  options: O;
  globals: GlobalOptions;
}

/** The options every command accepts (declared on the root program). */
export interface GlobalOptions {
  /** Set by --json and by --reporter json alike. */
  json?: boolean;
  /** --reporter; absent: json with --json, github under GitHub Actions, else human. */
  reporter?: ReporterName;
  config?: string;
  /** false with --no-color */
  color?: boolean;
  verbose?: boolean;
}

export const REPORTERS = ["human", "json", "github"] as const;
export type ReporterName = (typeof REPORTERS)[number];

/**
 * --json is --reporter json: both set `json`, which the commands read. --json with another
 * reporter is a usage error (a message, not a guess).
 */
export function withReporter(globals: GlobalOptions): GlobalOptions | { conflict: string } {
  if (globals.reporter === undefined || globals.reporter === "json")
    return globals.reporter === "json" ? { ...globals, json: true } : globals;
  if (globals.json === true) return { conflict: `--json and --reporter ${globals.reporter} contradict each other: keep one` };
  return globals;
}

/** The reporter of a run: --reporter, else --json, else github under GitHub Actions (GITHUB_ACTIONS=true), else human. */
export function reporterOf(globals: Pick<GlobalOptions, "json" | "reporter">, env: NodeJS.ProcessEnv): ReporterName {
  if (globals.reporter !== undefined) return globals.reporter;
  if (globals.json === true) return "json";
  return env.GITHUB_ACTIONS === "true" ? "github" : "human";
}

/** Whether a command line asks for NDJSON (read before commander parsed it, for its own errors). */
export function argvWantsJson(argv: readonly string[]): boolean {
  return argv.some((a, i) => a === "--json" || a === "--reporter=json" || (a === "--reporter" && argv[i + 1] === "json"));
}

export type GroupName = "releases" | "lock" | "state" | "config" | "sandbox" | "alerts" | "secrets" | "backup";

/** "releases list", "deploy": the words a user types. */
export function commandPath(def: Pick<CommandDefinition, "name" | "group">): string {
  return def.group ? `${def.group} ${def.name}` : def.name;
}

/** Identity with the option type checked: `defineCommand<DeployFlags>({...})`. */
export function defineCommand<O>(def: CommandDefinition<O>): CommandDefinition<O> {
  return def;
}

/** The first positional argument, which commander has already required. */
export function firstArg(input: RunInput<unknown>): string {
  return input.args[0] ?? "";
}
