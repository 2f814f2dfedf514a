import { defineCommand } from "../command.js";

export const validateDefinition = defineCommand<Record<string, never>>({
  name: "validate",
  description: "check formatting and validate every environment root and module",
  examples: ["evalap-infra validate", "evalap-infra validate --json"],
  run: async (input) => (await import("./validate.js")).validateCommand(input.globals),
});
