import { Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { lockTimeoutOption } from "../flags.js";
import type { LockReleaseFlags } from "./lock.js";

export const lockStatusDefinition = defineCommand<Record<string, never>>({
  name: "status",
  group: "lock",
  description: "show who holds the lock of an environment, and since when",
  arguments: [{ name: "<environment>", description: "environment" }],
  examples: ["evalap-infra lock status production"],
  run: async (input) => (await import("./lock.js")).lockStatusCommand(firstArg(input), input.globals),
});

export const lockReleaseDefinition = defineCommand<LockReleaseFlags>({
  name: "release",
  group: "lock",
  description: "break the remote lock of an environment, or a tofu state lock (recorded in the audit trail)",
  arguments: [{ name: "<environment>", description: "environment" }],
  options: () => [
    new Option("--force", "required: breaking a lock can let two deploys overlap"),
    new Option("-y, --yes", "required: confirm after reading who holds it"),
    new Option("--state <lock-id>", "release this tofu state lock (tofu force-unlock under the lease) instead of the remote lock"),
    lockTimeoutOption("with --state: how long to wait for the deployment lock, e.g. 30s, 10m"),
  ],
  examples: ["evalap-infra lock release staging --force --yes", "evalap-infra lock release staging --state 3f1c…-uuid --force --yes"],
  run: async (input) => (await import("./lock.js")).lockReleaseCommand(firstArg(input), input.options, input.globals),
});
