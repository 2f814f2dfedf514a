import { Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption, varOption } from "../flags.js";
import type { PlanFlags } from "./plan.js";

export const planDefinition = defineCommand<PlanFlags>({
  name: "plan",
  description: "show what a deploy would change, without applying",
  arguments: [{ name: "<environment>", description: "environment to plan" }],
  options: () => [
    new Option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are changes"),
    new Option("--out <file>", "keep the plan file at this path"),
    new Option("--diff", "show the attributes that change (always on a terminal; with --json in the plan.summary event)"),
    lockTimeoutOption("how long tofu waits for the state lock"),
    varOption(),
  ],
  examples: ["evalap-infra plan staging", "evalap-infra plan staging --diff", "evalap-infra plan production --detailed-exitcode --json"],
  run: async (input) => (await import("./plan.js")).planCommand(firstArg(input), input.options, input.globals),
});
