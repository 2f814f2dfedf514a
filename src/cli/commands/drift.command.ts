import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption } from "../flags.js";
import type { DriftFlags } from "./drift.js";

export const driftDefinition = defineCommand<DriftFlags>({
  name: "drift",
  description:
    "what changed outside tofu: a refresh-only plan (never applied, the state is not written); exit 0 when clean, 2 when drift is found",
  arguments: [{ name: "<environment>", description: "environment to check" }],
  options: () => [lockTimeoutOption("how long to wait for the local lock and tofu's state lock")],
  examples: ["evalap-infra drift staging", "evalap-infra drift production --json"],
  run: async (input) => (await import("./drift.js")).driftCommand(firstArg(input), input.options, input.globals),
});
