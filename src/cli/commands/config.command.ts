import { defineCommand } from "../command.js";

export const configSchemaDefinition = defineCommand<Record<string, never>>({
  name: "schema",
  group: "config",
  description: "print the JSON Schema of evalap-infra.json (for editor completion; with --json, as a data event)",
  examples: ["evalap-infra config schema > evalap-infra.schema.json", "evalap-infra config schema --json"],
  run: async (input) => (await import("./config.js")).configSchemaCommand(input.globals),
});

export const configCheckDefinition = defineCommand<Record<string, never>>({
  name: "check",
  group: "config",
  description: "validate evalap-infra.json and list its environments",
  examples: ["evalap-infra config check"],
  run: async (input) => (await import("./config.js")).configCheckCommand(input.globals),
});
