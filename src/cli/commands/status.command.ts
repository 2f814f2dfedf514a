import { defineCommand, firstArg } from "../command.js";

export const statusDefinition = defineCommand<Record<string, never>>({
  name: "status",
  description:
    "what runs now: the current release, each service's health (one check), the lease holder, a pending release, an unfinished rotation, the last backups per tier and the secrets' ages; read-only, no lock",
  arguments: [{ name: "<environment>", description: "environment to describe" }],
  examples: ["evalap-infra status staging", "evalap-infra status production --json"],
  run: async (input) => (await import("./status.js")).statusCommand(firstArg(input), input.globals),
});
