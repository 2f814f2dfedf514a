import { defineCommand } from "../command.js";

export const doctorDefinition = defineCommand<Record<string, never>>({
  name: "doctor",
  description: "check the tofu toolchain, the Scaleway provider, credentials (names only) and the config",
  examples: ["evalap-infra doctor", "evalap-infra doctor --json"],
  run: async (input) => (await import("./doctor.js")).doctorCommand(input.globals),
});
