import { defineCommand } from "../command.js";

export const scanDefinition = defineCommand<Record<string, never>>({
  name: "scan",
  description: "scan infra/, templates/ and .github/ for hard-coded secrets and non-Scaleway providers",
  examples: ["evalap-infra scan", "evalap-infra scan --json"],
  run: async (input) => (await import("./scan.js")).scanCommand(input.globals),
});
