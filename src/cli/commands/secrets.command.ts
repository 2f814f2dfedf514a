import { Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption, yesOption } from "../flags.js";
import type { RotateFlags, SetFlags } from "./secrets-write.js";

export const secretsListDefinition = defineCommand<Record<string, never>>({
  name: "list",
  group: "secrets",
  description:
    "every secret of the environment: latest enabled version, age, version counts, whether the containers run it, whether it is due; never a value",
  arguments: [{ name: "<environment>", description: "environment whose secrets are listed" }],
  examples: ["evalap-infra secrets list staging", "evalap-infra secrets list production --json"],
  run: async (input) => (await import("./secrets.js")).secretsListCommand(firstArg(input), input.globals),
});

const graceOption = () =>
  new Option(
    "--grace <duration>",
    "how long the previous versions stay enabled after a healthy release (default: the config's secrets.grace, 5m)",
  );

export const secretsSetDefinition = defineCommand<SetFlags>({
  name: "set",
  group: "secrets",
  description:
    "write a new version of an application secret, from standard input or --file (never from the command line); creates the secret first in a new environment",
  arguments: [
    { name: "<environment>", description: "environment whose secret is set" },
    { name: "<name>", description: "the environment variable EvalAP reads, e.g. OPENAI_API_KEY" },
    { name: "[value]", description: "refused: a value here would stay in the shell history and in ps; use standard input or --file" },
  ],
  options: () => [
    new Option("--file <path>", "read the value from this file (one trailing newline is dropped)"),
    new Option("--generate", "generate a random value (ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN, the config's secrets.generated)"),
    new Option("--deploy", "roll the new version out: a health-gated release, undone if the gate fails"),
    yesOption(),
    graceOption(),
    lockTimeoutOption(),
    new Option("--no-rollback", "with --deploy of a first value: do not roll back automatically when the health check fails"),
  ],
  examples: [
    "evalap-infra secrets set staging OPENAI_API_KEY < openai.key",
    "evalap-infra secrets set staging ADMIN_TOKEN --generate",
    "evalap-infra secrets set production USER_API_KEYS --file user-api-keys.json --deploy --yes",
  ],
  run: async (input) =>
    (await import("./secrets-write.js")).secretsSetCommand(
      firstArg(input),
      input.args[1] ?? "",
      input.args[2],
      input.options,
      input.globals,
    ),
});

export const secretsRotateDefinition = defineCommand<RotateFlags>({
  name: "rotate",
  group: "secrets",
  description:
    "new values for generated secrets (ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN, DB_APP_CREDENTIALS...): new versions, a health-gated release, previous versions disabled after the grace period; resumable",
  arguments: [
    { name: "<environment>", description: "environment whose secrets are rotated" },
    { name: "[names...]", description: "secrets to rotate (or --all, --due)" },
  ],
  options: () => [
    new Option("--all", "every generated secret of the environment"),
    new Option("--due", "the generated secrets older than their maximum age (secrets.maxAge)"),
    new Option("--resume", "finish the rotation a stopped run left unfinished"),
    new Option("--undo", "take the unfinished rotation back: the previous versions, released again"),
    graceOption(),
    yesOption(),
    lockTimeoutOption(),
  ],
  examples: [
    "evalap-infra secrets rotate staging ADMIN_TOKEN",
    "evalap-infra secrets rotate production DB_APP_CREDENTIALS --yes",
    "evalap-infra secrets rotate production --due --yes --json",
    "evalap-infra secrets rotate staging --resume",
  ],
  run: async (input) =>
    (await import("./secrets-write.js")).secretsRotateCommand(firstArg(input), input.args.slice(1), input.options, input.globals),
});
