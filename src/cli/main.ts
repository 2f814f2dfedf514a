import { Argument, Command, CommanderError, Option } from "commander";
import { EXIT_CODE_DESCRIPTIONS, ExitCode } from "../core/exit-codes.js";
import { argvWantsJson, REPORTERS, withReporter, type CommandDefinition, type GlobalOptions } from "./command.js";
import { COMMANDS, GROUPS } from "./commands/index.js";
import { VERSION } from "./version.js";

/**
 * The command line: registers the command definitions (commands/*.command.ts). Kept light:
 * command bodies, the config schema, reporters and tofu code are imported only when a command
 * runs, so `--help` and `--version` start fast.
 */
export function buildProgram(commands: ReadonlyArray<CommandDefinition<never>> = COMMANDS): Command {
  const program = new Command("evalap-infra")
    .description("Deploy and operate EvalAP on Scaleway: OpenTofu with locks, retries, plan guards and health checks")
    .version(VERSION, "-V, --version")
    .option("--json", "print one JSON event per line on stdout (for CI); same as --reporter json")
    .addOption(
      new Option(
        "--reporter <name>",
        "output: human, json, or github (groups, annotations, masks, step summary; the default under GitHub Actions)",
      ).choices(REPORTERS),
    )
    .option("-c, --config <file>", "project config file (default: evalap-infra.json in this or a parent directory)")
    .option("--no-color", "disable colours (NO_COLOR is honoured too)")
    .option("-v, --verbose", "show more detail, and stack traces of internal errors")
    // Set before the subcommands are added: they inherit it, so their help lists --json and the rest.
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText("after", rootHelpText(commands));

  const groups = new Map<string, Command>();
  for (const def of commands) {
    let parent = program;
    if (def.group) {
      const group = groups.get(def.group) ?? program.command(def.group).description(GROUPS[def.group]);
      groups.set(def.group, group);
      parent = group;
    }
    register(parent, def);
  }
  return program;
}

function register(parent: Command, def: CommandDefinition<never>): void {
  const cmd = parent.command(def.name, { hidden: def.hidden === true }).description(def.description);
  for (const arg of def.arguments ?? []) cmd.addArgument(new Argument(arg.name, arg.description));
  for (const option of def.options?.() ?? []) cmd.addOption(option);
  if (def.examples.length > 0) cmd.addHelpText("after", examples(def.examples));
  cmd.action(async (...actionArgs: unknown[]) => {
    const self = actionArgs.at(-1) as Command;
    process.exitCode = await def.run({
      // A variadic argument arrives as a list, an optional one not given as undefined: both flattened away.
      args: (self.processedArgs as Array<string | string[] | undefined>).flatMap((a) =>
        a === undefined ? [] : Array.isArray(a) ? a : [a],
      ),
      // commander built these from the definition's own options: they have its option type.
      options: self.opts<never>(),
      globals: reporterGlobals(self),
    });
  });
}

function reporterGlobals(cmd: Command): GlobalOptions {
  const globals = withReporter(cmd.optsWithGlobals<GlobalOptions>());
  // cmd.error throws a CommanderError (exitOverride): main turns it into exit 3, like any usage error.
  if ("conflict" in globals) return cmd.error(`error: ${globals.conflict}`, { exitCode: ExitCode.Usage, code: "evalap.reporterConflict" });
  return globals;
}

function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

/** The root help's tail: one example per command, then every exit code with its meaning. */
export function rootHelpText(commands: ReadonlyArray<CommandDefinition<never>>): string {
  const first = commands.map((def) => def.examples[0]).filter((l): l is string => l !== undefined);
  const codes = Object.entries(EXIT_CODE_DESCRIPTIONS)
    .map(([code, text]) => ({ code: Number(code), text }))
    .sort((a, b) => a.code - b.code)
    .map(({ code, text }) => `  ${String(code).padEnd(4)} ${text}`);
  return `${examples(first)}\nExit codes:\n${codes.join("\n")}\n`;
}

/**
 * The command a command line names ("releases list"), read the way commander reads it: options
 * (and the value of those that take one) are skipped. "evalap-infra" when it names none.
 */
export function commandPathOf(program: Command, args: readonly string[]): string {
  const words: string[] = [];
  let current = program;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    if (arg === "--") break;
    if (arg.startsWith("-")) {
      if (!arg.includes("=") && takesValue(current, arg)) i++;
      continue;
    }
    const sub = current.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) break;
    words.push(sub.name());
    current = sub;
  }
  return words.length > 0 ? words.join(" ") : program.name();
}

function takesValue(cmd: Command, flag: string): boolean {
  for (let c: Command | null = cmd; c; c = c.parent) {
    const option = c.options.find((o) => o.short === flag || o.long === flag);
    if (option) return option.required || option.optional;
  }
  return false;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors get ours.
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      if (err.exitCode !== 0 && argvWantsJson(argv)) {
        const result = {
          schemaVersion: 1,
          time: new Date().toISOString(),
          type: "result",
          command: commandPathOf(program, argv.slice(2)),
          ok: false,
          exitCode: ExitCode.Usage,
          durationMs: 0,
          error: { code: "usage", message: err.message },
        };
        process.stdout.write(JSON.stringify(result) + "\n");
      }
      return;
    }
    throw err;
  }
}
