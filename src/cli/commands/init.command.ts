import { InvalidArgumentError, Option } from "commander";
import { defineCommand } from "../command.js";
import { imageOption } from "../flags.js";
import type { InitFlags } from "./init.js";

/** `env=value`, repeatable: checked while commander parses (exit 3 before anything is written). */
const envPairs = (flag: string, example: string) => (pair: string, previous: string[]) => {
  const eq = pair.indexOf("=");
  if (eq <= 0 || eq === pair.length - 1) throw new InvalidArgumentError(`write it as ${flag} ${example}`);
  return [...previous, pair];
};

export const initDefinition = defineCommand<InitFlags>({
  name: "init",
  description:
    "scaffold a deployment repository from templates/: config, tfvars per environment, GitHub workflows, README (never overwrites)",
  arguments: [{ name: "[dir]", description: "the deployment repository (default: the current folder)" }],
  options: () => [
    new Option("--environments <list>", "comma-separated environments (the roots the package ships)").default("staging,production"),
    new Option("--region <region>", "Scaleway region of the state buckets and workflows")
      .choices(["fr-par", "nl-ams", "pl-waw"])
      .default("fr-par"),
    new Option("--project-id <env=id>", "project id of an environment (repeatable)")
      .argParser(envPairs("--project-id", "staging=<project uuid>"))
      .default([]),
    new Option("--registry-project-id <id>", "project holding the container registry"),
    new Option("--alert-email <env=email>", "alert contact of an environment (repeatable)")
      .argParser(envPairs("--alert-email", "staging=oncall@example.org"))
      .default([]),
    imageOption(),
    new Option("--state-bucket-prefix <prefix>", "state bucket of <env> is <prefix>-<env> (infra/bootstrap's naming)").default(
      "evalap-tfstate",
    ),
    new Option("--cli-version <range>", "the evalap-infra version range package.json asks for (default: ^ this CLI's version)"),
  ],
  examples: [
    "evalap-infra init my-deployment",
    "evalap-infra init . --environments staging --region nl-ams --json",
    "evalap-infra init deploy --project-id staging=2b0c4c0e-3f7a-4d6b-9a51-0f2d8c9e1a77 --alert-email staging=oncall@example.org",
  ],
  run: async (input) => (await import("./init.js")).initCommand(input.args[0], input.options, input.globals),
});
