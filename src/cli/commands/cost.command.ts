import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption, varOption } from "../flags.js";
import type { CostFlags } from "./cost.js";

export const costDefinition = defineCommand<CostFlags>({
  name: "cost",
  description: "estimate the monthly cost of an environment, and of the change a deploy would make (EUR, excl. VAT)",
  arguments: [{ name: "<environment>", description: "environment to price" }],
  options: () => [lockTimeoutOption("how long tofu waits for the state lock"), varOption()],
  examples: [
    "evalap-infra cost production",
    "evalap-infra cost staging --json",
    'evalap-infra cost staging --var images=\'{"evalap":"rg.fr-par.scw.cloud/evalap/evalap:v2"}\'',
  ],
  run: async (input) => (await import("./cost.js")).costCommand(firstArg(input), input.options, input.globals),
});
