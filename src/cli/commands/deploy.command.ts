import { Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { allowDestroyOption, imageOption, lockTimeoutOption, varOption, yesOption } from "../flags.js";
import type { DeployFlags } from "./deploy.js";

export const deployDefinition = defineCommand<DeployFlags>({
  name: "deploy",
  description: "lock, init, plan, check the plan, apply it",
  arguments: [{ name: "<environment>", description: "environment to deploy (as named in evalap-infra.json)" }],
  options: () => [
    yesOption(),
    allowDestroyOption(),
    lockTimeoutOption(),
    varOption(),
    imageOption(),
    new Option("--no-rollback", "do not roll back automatically when the health check fails"),
    new Option("--resume", "finish a release left pending by a run that died, with its inputs"),
    new Option("--images-from <environment>", "deploy exactly the images that environment's current release runs healthy (promotion)"),
  ],
  examples: [
    "evalap-infra deploy staging",
    "evalap-infra deploy staging --image evalap=rg.fr-par.scw.cloud/evalap/evalap:1.4.0",
    "evalap-infra deploy production --yes --json",
    "evalap-infra deploy production --images-from staging --yes",
    "evalap-infra deploy staging --allow-destroy module.platform.module.database.scaleway_rdb_instance.this",
    "evalap-infra deploy staging --lock-timeout 2m",
  ],
  run: async (input) => (await import("./deploy.js")).deployCommand(firstArg(input), input.options, input.globals),
});
