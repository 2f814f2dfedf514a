import { Option } from "commander";
import { defineCommand } from "../command.js";
import { lockTimeoutOption } from "../flags.js";
import type { MigrateFlags } from "./migrate.js";

export const migrateDefinition = defineCommand<MigrateFlags>({
  name: "migrate",
  description:
    "run the release's Alembic migrations inside the environment's private network (a backup first, under the lease); `migrate status <env>`: the database's revision against the image's head",
  arguments: [
    { name: "<environment>", description: "environment to migrate, or `status` followed by the environment" },
    { name: "[environment]", description: "after `status`: the environment whose revisions are shown" },
  ],
  options: () => [
    new Option("--to <revision>", "the revision to upgrade to (default: head)"),
    new Option("--sql", "print the SQL the upgrade would run (Alembic's offline mode); nothing is changed, no backup"),
    new Option("--timeout <duration>", "how long Alembic may run in the runner (default 30m)"),
    lockTimeoutOption(),
  ],
  examples: [
    "evalap-infra migrate staging",
    "evalap-infra migrate status production --json",
    "evalap-infra migrate production --sql > upgrade.sql",
    "evalap-infra migrate staging --to 0003",
  ],
  run: async (input) => (await import("./migrate.js")).migrateCommand(input.args, input.options, input.globals),
});
