import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption } from "../flags.js";
import type { AlertsSyncFlags } from "./alerts.js";

export const alertsCheckDefinition = defineCommand<Record<string, never>>({
  name: "check",
  group: "alerts",
  description: "check the alert rule files (YAML, groups, unique names, durations, labels), offline",
  examples: ["evalap-infra alerts check", "evalap-infra alerts check --json"],
  run: async (input) => (await import("./alerts.js")).alertsCheckCommand(input.globals),
});

export const alertsSyncDefinition = defineCommand<AlertsSyncFlags>({
  name: "sync",
  group: "alerts",
  description: "push the alert rule files to the environment's Cockpit ruler: set what changed, delete what is gone",
  arguments: [{ name: "<environment>", description: "environment whose Cockpit gets the rules" }],
  options: () => [lockTimeoutOption()],
  examples: ["evalap-infra alerts sync staging", "evalap-infra alerts sync production --json"],
  run: async (input) => (await import("./alerts.js")).alertsSyncCommand(firstArg(input), input.options, input.globals),
});
