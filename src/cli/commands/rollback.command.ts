import { Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { allowDestroyOption, lockTimeoutOption, yesOption } from "../flags.js";
import type { RollbackFlags } from "./rollback.js";

export const rollbackDefinition = defineCommand<RollbackFlags>({
  name: "rollback",
  description: "re-apply an earlier healthy release (the previous one by default), then check health",
  arguments: [{ name: "<environment>", description: "environment to roll back" }],
  options: () => [
    new Option("--to <release>", "the release to go back to (see `releases list`)"),
    new Option(
      "--restore-database",
      "first restore the backup taken before the first migration released after that release (what was written since is lost; protected environments need --yes)",
    ),
    yesOption(),
    allowDestroyOption(),
    lockTimeoutOption(),
  ],
  examples: [
    "evalap-infra rollback staging",
    "evalap-infra rollback production --yes --json",
    "evalap-infra rollback production --to 20261125T101500123Z-4f2a1c --yes",
  ],
  run: async (input) => (await import("./rollback.js")).rollbackCommand(firstArg(input), input.options, input.globals),
});
