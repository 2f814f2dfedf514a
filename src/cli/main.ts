import { Command, CommanderError } from "commander";
import { ExitCode } from "../core/exit-codes.js";
import { VERSION } from "./version.js";
import type { GlobalOptions } from "./run.js";

/**
 * The command line. Kept light: command bodies, the config schema, reporters and tofu code are
 * imported only when a command runs, so `--help` and `--version` start fast.
 */
const collect = (value: string, previous: string[]) => [...previous, value];

function examples(lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}

export function buildProgram(): Command {
  const program = new Command("evalap-infra")
    .description("Deploy and operate EvalAP on Scaleway: OpenTofu with locks, retries, plan guards and health checks")
    .version(VERSION, "-V, --version")
    .option("--json", "print one JSON event per line on stdout (for CI)")
    .option("-c, --config <file>", "project config file (default: evalap-infra.json in this or a parent directory)")
    .option("--no-color", "disable colours (NO_COLOR is honoured too)")
    .option("-v, --verbose", "show more detail, and stack traces of internal errors")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      examples([
        "evalap-infra doctor",
        "evalap-infra validate",
        "evalap-infra plan staging",
        "evalap-infra deploy staging",
        "evalap-infra deploy production --yes --json",
      ]) + "\nExit codes: 0 ok, 1 failure, 2 changes present (plan --detailed-exitcode), 3 usage or config error,\n4 lock held, 5 guard refused, 6 retries exhausted, 7 rolled back, 8 health check failed,\n9 prerequisite missing, 130 interrupted, 143 terminated.\n",
    );
  const globals = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>();

  program
    .command("deploy")
    .description("lock, init, plan, check the plan, apply it")
    .argument("<environment>", "environment to deploy (as named in evalap-infra.json)")
    .option("-y, --yes", "confirm the plan without a prompt (required for protected environments in CI)")
    .option("--allow-destroy <address>", "allow deleting or replacing this stateful resource (repeatable)", collect, [])
    .option("--lock-timeout <duration>", "how long to wait for the deployment lock, e.g. 30s, 10m")
    .option("--var <name=value>", "set an input variable for this run (repeatable)", collect, [])
    .addHelpText(
      "after",
      examples([
        "evalap-infra deploy staging",
        "evalap-infra deploy production --yes --json",
        "evalap-infra deploy staging --allow-destroy module.database.scaleway_rdb_instance.main",
        "evalap-infra deploy staging --lock-timeout 2m",
      ]),
    )
    .action(async (environment: string, opts: DeployFlags, cmd: Command) => {
      const { deployCommand } = await import("./commands/deploy.js");
      await finish(deployCommand(environment, opts, globals(cmd)));
    });

  program
    .command("plan")
    .description("show what a deploy would change, without applying")
    .argument("<environment>", "environment to plan")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are changes")
    .option("--out <file>", "keep the plan file at this path")
    .option("--lock-timeout <duration>", "how long tofu waits for the state lock")
    .option("--var <name=value>", "set an input variable for this run (repeatable)", collect, [])
    .addHelpText("after", examples(["evalap-infra plan staging", "evalap-infra plan production --detailed-exitcode --json"]))
    .action(async (environment: string, opts: PlanFlags, cmd: Command) => {
      const { planCommand } = await import("./commands/plan.js");
      await finish(planCommand(environment, opts, globals(cmd)));
    });

  program
    .command("validate")
    .description("check formatting and validate every environment root and module")
    .addHelpText("after", examples(["evalap-infra validate", "evalap-infra validate --json"]))
    .action(async (_opts: unknown, cmd: Command) => {
      const { validateCommand } = await import("./commands/validate.js");
      await finish(validateCommand(globals(cmd)));
    });

  program
    .command("doctor")
    .description("check the tofu toolchain, the Scaleway provider, credentials (names only) and the config")
    .addHelpText("after", examples(["evalap-infra doctor", "evalap-infra doctor --json"]))
    .action(async (_opts: unknown, cmd: Command) => {
      const { doctorCommand } = await import("./commands/doctor.js");
      await finish(doctorCommand(globals(cmd)));
    });

  program
    .command("audit")
    .description("scan infra/, templates/ and .github/ for hard-coded secrets and non-Scaleway providers")
    .addHelpText("after", examples(["evalap-infra audit", "evalap-infra audit --json"]))
    .action(async (_opts: unknown, cmd: Command) => {
      const { auditCommand } = await import("./commands/audit.js");
      await finish(auditCommand(globals(cmd)));
    });

  const config = program.command("config").description("inspect the project configuration");
  config
    .command("schema")
    .description("print the JSON Schema of evalap-infra.json (for editor completion)")
    .addHelpText("after", examples(["evalap-infra config schema > evalap-infra.schema.json"]))
    .action(async () => {
      const { configJsonSchema } = await import("../config/schema.js");
      process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + "\n");
    });
  config
    .command("check")
    .description("validate evalap-infra.json and list its environments")
    .addHelpText("after", examples(["evalap-infra config check"]))
    .action(async (_opts: unknown, cmd: Command) => {
      const { configCheckCommand } = await import("./commands/config.js");
      await finish(configCheckCommand(globals(cmd)));
    });

  return program;
}

export interface DeployFlags {
  yes?: boolean;
  allowDestroy: string[];
  lockTimeout?: string;
  var: string[];
}

export interface PlanFlags {
  detailedExitcode?: boolean;
  out?: string;
  lockTimeout?: string;
  var: string[];
}

async function finish(code: Promise<number>): Promise<void> {
  process.exitCode = await code;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors get ours.
      process.exitCode = err.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
      if (err.exitCode !== 0 && argv.includes("--json")) {
        process.stdout.write(JSON.stringify({ schemaVersion: 1, time: new Date().toISOString(), type: "result", command: argv[2] ?? "", ok: false, exitCode: ExitCode.Usage, durationMs: 0, error: { code: "usage", message: err.message } }) + "\n");
      }
      return;
    }
    throw err;
  }
}
