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
        "evalap-infra rollback production --yes",
        "evalap-infra releases list staging",
      ]) + "\nExit codes: 0 ok, 1 failure, 2 changes present (plan --detailed-exitcode), 3 usage or config error,\n4 lock held, 5 guard refused, 6 retries exhausted, 7 rolled back, 8 health check failed,\n9 prerequisite missing, 10 state backend unavailable, 11 pending release,\n130 interrupted, 143 terminated.\n",
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
    .option("--image <service=ref>", "image reference of a service for this release (repeatable; others carry over)", collect, [])
    .option("--no-rollback", "do not roll back automatically when the health check fails")
    .option("--resume", "finish a release left pending by a run that died, with its inputs")
    .addHelpText(
      "after",
      examples([
        "evalap-infra deploy staging",
        "evalap-infra deploy staging --image evalap=rg.fr-par.scw.cloud/evalap/evalap:1.4.0",
        "evalap-infra deploy production --yes --json",
        "evalap-infra deploy staging --allow-destroy module.platform.module.database.scaleway_rdb_instance.this",
        "evalap-infra deploy staging --lock-timeout 2m",
      ]),
    )
    .action(async (environment: string, opts: DeployFlags, cmd: Command) => {
      const { deployCommand } = await import("./commands/deploy.js");
      await finish(deployCommand(environment, opts, globals(cmd)));
    });

  program
    .command("rollback")
    .description("re-apply an earlier healthy release (the previous one by default), then check health")
    .argument("<environment>", "environment to roll back")
    .option("--to <release>", "the release to go back to (see `releases list`)")
    .option("-y, --yes", "confirm the plan without a prompt (required for protected environments in CI)")
    .option("--allow-destroy <address>", "allow deleting or replacing this stateful resource (repeatable)", collect, [])
    .option("--lock-timeout <duration>", "how long to wait for the deployment lock, e.g. 30s, 10m")
    .addHelpText(
      "after",
      examples(["evalap-infra rollback staging", "evalap-infra rollback production --yes --json", "evalap-infra rollback production --to 20261125T101500123Z-4f2a1c --yes"]),
    )
    .action(async (environment: string, opts: RollbackFlags, cmd: Command) => {
      const { rollbackCommand } = await import("./commands/rollback.js");
      await finish(rollbackCommand(environment, opts, globals(cmd)));
    });

  const releases = program.command("releases").description("the release history of an environment");
  releases
    .command("list")
    .description("list the releases of an environment, newest first")
    .argument("<environment>", "environment")
    .option("-n, --limit <count>", "show at most this many", "20")
    .addHelpText("after", examples(["evalap-infra releases list staging", "evalap-infra releases list production --json"]))
    .action(async (environment: string, opts: { limit: string }, cmd: Command) => {
      const { releasesListCommand } = await import("./commands/releases.js");
      await finish(releasesListCommand(environment, opts, globals(cmd)));
    });

  program
    .command("history")
    .description("the audit trail of an environment: who did what, when, with what outcome")
    .argument("<environment>", "environment")
    .option("-n, --limit <count>", "show at most this many, newest last", "50")
    .addHelpText("after", examples(["evalap-infra history production", "evalap-infra history staging --json"]))
    .action(async (environment: string, opts: { limit: string }, cmd: Command) => {
      const { historyCommand } = await import("./commands/releases.js");
      await finish(historyCommand(environment, opts, globals(cmd)));
    });

  const lock = program.command("lock").description("inspect or break the deployment lock of an environment");
  lock
    .command("status")
    .description("show who holds the lock of an environment, and since when")
    .argument("<environment>", "environment")
    .addHelpText("after", examples(["evalap-infra lock status production"]))
    .action(async (environment: string, _opts: unknown, cmd: Command) => {
      const { lockStatusCommand } = await import("./commands/lock.js");
      await finish(lockStatusCommand(environment, globals(cmd)));
    });
  lock
    .command("release")
    .description("break the remote lock of an environment, or a tofu state lock (recorded in the audit trail)")
    .argument("<environment>", "environment")
    .option("--force", "required: breaking a lock can let two deploys overlap")
    .option("-y, --yes", "required: confirm after reading who holds it")
    .option("--state <lock-id>", "release this tofu state lock (tofu force-unlock under the lease) instead of the remote lock")
    .option("--lock-timeout <duration>", "with --state: how long to wait for the deployment lock, e.g. 30s, 10m")
    .addHelpText("after", examples(["evalap-infra lock release staging --force --yes", "evalap-infra lock release staging --state 3f1c…-uuid --force --yes"]))
    .action(async (environment: string, opts: { force?: boolean; yes?: boolean; state?: string; lockTimeout?: string }, cmd: Command) => {
      const { lockReleaseCommand } = await import("./commands/lock.js");
      await finish(lockReleaseCommand(environment, opts, globals(cmd)));
    });

  const state = program.command("state").description("the OpenTofu state of an environment");
  state
    .command("push")
    .description("push the state tofu applied but could not save (kept in .evalap-infra/recovery/), under the lock")
    .argument("<environment>", "environment")
    .option("--lock-timeout <duration>", "how long to wait for the deployment lock, e.g. 30s, 10m")
    .addHelpText("after", examples(["evalap-infra state push staging", "evalap-infra state push production --json"]))
    .action(async (environment: string, opts: { lockTimeout?: string }, cmd: Command) => {
      const { statePushCommand } = await import("./commands/state.js");
      await finish(statePushCommand(environment, opts, globals(cmd)));
    });

  program
    .command("plan")
    .description("show what a deploy would change, without applying")
    .argument("<environment>", "environment to plan")
    .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are changes")
    .option("--out <file>", "keep the plan file at this path")
    .option("--diff", "show the attributes that change (always on a terminal; with --json in the plan.summary event)")
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
  image: string[];
  /** false with --no-rollback */
  rollback: boolean;
  resume?: boolean;
}

export interface RollbackFlags {
  to?: string;
  yes?: boolean;
  allowDestroy: string[];
  lockTimeout?: string;
}

export interface PlanFlags {
  detailedExitcode?: boolean;
  diff?: boolean;
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
