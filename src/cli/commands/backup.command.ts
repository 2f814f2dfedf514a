import { Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption, timeoutOption } from "../flags.js";
import type { PruneFlags, RunFlags, VerifyFlags } from "./backup.js";

const waitTimeout = (what: string) =>
  timeoutOption(`how long to wait for ${what} (an instance in a transient state included), e.g. 10m, 1h`, "30m");

export const backupListDefinition = defineCommand<Record<string, never>>({
  name: "list",
  group: "backup",
  description: "the backups of the environment's database, newest first: name, tier, status, size, age, expiry",
  arguments: [{ name: "<environment>", description: "environment whose backups are listed" }],
  examples: ["evalap-infra backup list staging", "evalap-infra backup list production --json"],
  run: async (input) => (await import("./backup.js")).backupListCommand(firstArg(input), input.globals),
});

export const backupRunDefinition = defineCommand<RunFlags>({
  name: "run",
  group: "backup",
  description:
    "a manual backup of the application database, named for its tier and expiring per the policy (daily: the schedule's retention, weekly 90 days, monthly 365), waited for until ready",
  arguments: [{ name: "<environment>", description: "environment whose database is backed up" }],
  options: () => [
    new Option("--tier <tier>", "the backup's tier").choices(["daily", "weekly", "monthly"]).default("daily"),
    new Option("--no-wait", "return once the backup is created, without waiting until it is ready"),
    waitTimeout("the instance and the backup"),
    lockTimeoutOption(),
  ],
  examples: ["evalap-infra backup run staging --tier weekly", "evalap-infra backup run production --tier monthly --json"],
  run: async (input) => (await import("./backup.js")).backupRunCommand(firstArg(input), input.options, input.globals),
});

export const backupPruneDefinition = defineCommand<PruneFlags>({
  name: "prune",
  group: "backup",
  description: "delete the expired manual backups (never the newest of a tier; the schedule's own backups are left to Scaleway)",
  arguments: [{ name: "<environment>", description: "environment whose backups are pruned" }],
  options: () => [new Option("--dry-run", "list what would be deleted, delete nothing"), lockTimeoutOption()],
  examples: ["evalap-infra backup prune staging --dry-run", "evalap-infra backup prune production"],
  run: async (input) => (await import("./backup.js")).backupPruneCommand(firstArg(input), input.options, input.globals),
});

export const backupVerifyDefinition = defineCommand<VerifyFlags>({
  name: "verify",
  group: "backup",
  description:
    "check the backup policy (daily < 26 h, weekly < 8 days, monthly < 32 days, retention, none in error); --restore-test restores the newest into a scratch database, checks it and drops it",
  arguments: [{ name: "<environment>", description: "environment whose backups are verified" }],
  options: () => [
    new Option("--restore-test", "restore the newest backup into a scratch database, check it, report the time against 10 min, drop it"),
    new Option("--expect-revision <rev>", "with --restore-test: the alembic revision the restored database must hold"),
    new Option(
      "--private-endpoint",
      "with --restore-test: this machine is inside the environment's private network, connect to the private endpoint",
    ),
    waitTimeout("the restore"),
    lockTimeoutOption(),
  ],
  examples: [
    "evalap-infra backup verify production --json",
    "evalap-infra backup verify staging --restore-test",
    "evalap-infra backup verify production --restore-test --private-endpoint --expect-revision 6f8e64af304c",
  ],
  run: async (input) => (await import("./backup.js")).backupVerifyCommand(firstArg(input), input.options, input.globals),
});
