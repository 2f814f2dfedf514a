import { defineCommand, firstArg } from "../command.js";

export const secretsListDefinition = defineCommand<Record<string, never>>({
  name: "list",
  group: "secrets",
  description:
    "every secret of the environment: latest enabled version, age, version counts, whether the containers run it, whether it is due; never a value",
  arguments: [{ name: "<environment>", description: "environment whose secrets are listed" }],
  examples: ["evalap-infra secrets list staging", "evalap-infra secrets list production --json"],
  run: async (input) => (await import("./secrets.js")).secretsListCommand(firstArg(input), input.globals),
});
