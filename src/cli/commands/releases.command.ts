import { defineCommand, firstArg } from "../command.js";
import { limitOption } from "../flags.js";

interface LimitFlags {
  limit: number;
}

export const releasesListDefinition = defineCommand<LimitFlags>({
  name: "list",
  group: "releases",
  description: "list the releases of an environment, newest first",
  arguments: [{ name: "<environment>", description: "environment" }],
  options: () => [limitOption("show at most this many", 20)],
  examples: ["evalap-infra releases list staging", "evalap-infra releases list production --json"],
  run: async (input) => (await import("./releases.js")).releasesListCommand(firstArg(input), input.options, input.globals),
});

export const historyDefinition = defineCommand<LimitFlags>({
  name: "history",
  description: "the audit trail of an environment: who did what, when, with what outcome",
  arguments: [{ name: "<environment>", description: "environment" }],
  options: () => [limitOption("show at most this many, newest last", 50)],
  examples: ["evalap-infra history production", "evalap-infra history staging --json"],
  run: async (input) => (await import("./releases.js")).historyCommand(firstArg(input), input.options, input.globals),
});
