import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption } from "../flags.js";

export const statePushDefinition = defineCommand<{ lockTimeout?: string }>({
  name: "push",
  group: "state",
  description: "push the state tofu applied but could not save (kept in .evalap-infra/recovery/), under the lock",
  arguments: [{ name: "<environment>", description: "environment" }],
  options: () => [lockTimeoutOption()],
  examples: ["evalap-infra state push staging", "evalap-infra state push production --json"],
  run: async (input) => (await import("./state.js")).statePushCommand(firstArg(input), input.options, input.globals),
});
