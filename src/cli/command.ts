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
  json?: boolean;
  config?: string;
  /** false with --no-color */
  color?: boolean;
  verbose?: boolean;
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
