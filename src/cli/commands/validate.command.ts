import { Option } from "commander";
import { defineCommand } from "../command.js";
import type { ValidateFlags } from "./validate.js";

export const validateDefinition = defineCommand<ValidateFlags>({
  name: "validate",
  description: "check formatting and validate every environment root and module",
  options: () => [new Option("--fix", "format the files that are not formatted (tofu fmt, with the tofu evalap-infra uses)")],
  examples: ["evalap-infra validate", "evalap-infra validate --fix", "evalap-infra validate --json"],
  run: async (input) => (await import("./validate.js")).validateCommand(input.globals, input.options),
});
