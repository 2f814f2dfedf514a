import { InvalidArgumentError, Option } from "commander";
import { defineCommand, firstArg } from "../command.js";
import { yesOption } from "../flags.js";
import type { SandboxDownFlags, SandboxEnvFlags, SandboxFlags, SandboxResetFlags, SandboxUpFlags } from "./sandbox.js";

const dataDirOption = (): Option =>
  new Option("--data-dir <dir>", "the sandbox's data folder (default: $EVALAP_SANDBOX_DIR, else .evalap-infra/sandbox in the project)");

const portOption = (description: string): Option =>
  new Option("--port <port>", description).argParser((text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535)
      throw new InvalidArgumentError("give a port number from 1 to 65535, for example --port 4780");
    return n;
  });

const readyDelayOption = (): Option =>
  new Option("--ready-delay <duration>", "how long created databases, containers... stay provisioning before ready, e.g. 0s, 1s").default(
    "1s",
  );

export const sandboxUpDefinition = defineCommand<SandboxUpFlags>({
  name: "up",
  group: "sandbox",
  description: "start the local Scaleway sandbox in the background (API emulator, S3 server, PostgreSQL) and wait until it is ready",
  options: () => [
    dataDirOption(),
    portOption("the API's port on 127.0.0.1 (default: the last one when free, else any free port)"),
    readyDelayOption(),
  ],
  examples: ["evalap-infra sandbox up", "evalap-infra sandbox up --port 4780 --ready-delay 0s"],
  run: async (input) => (await import("./sandbox.js")).sandboxUpCommand(input.options, input.globals),
});

export const sandboxStatusDefinition = defineCommand<SandboxFlags>({
  name: "status",
  group: "sandbox",
  description: "whether the sandbox runs and answers, where, and how many resources it holds (no secret shown)",
  options: () => [dataDirOption()],
  examples: ["evalap-infra sandbox status", "evalap-infra sandbox status --json"],
  run: async (input) => (await import("./sandbox.js")).sandboxStatusCommand(input.options, input.globals),
});

export const sandboxDownDefinition = defineCommand<SandboxDownFlags>({
  name: "down",
  group: "sandbox",
  description: "stop the sandbox (its state stays for the next `sandbox up`); nothing running is not an error",
  options: () => [
    dataDirOption(),
    new Option("--grace <duration>", "how long the daemon gets to stop its parts before it is killed").default("60s"),
  ],
  examples: ["evalap-infra sandbox down"],
  run: async (input) => (await import("./sandbox.js")).sandboxDownCommand(input.options, input.globals),
});

export const sandboxResetDefinition = defineCommand<SandboxResetFlags>({
  name: "reset",
  group: "sandbox",
  description: "stop the sandbox and delete its data folder: every resource, database, bucket and generated key",
  options: () => [dataDirOption(), yesOption("delete without asking (required when not in a terminal)")],
  examples: ["evalap-infra sandbox reset --yes"],
  run: async (input) => (await import("./sandbox.js")).sandboxResetCommand(input.options, input.globals),
});

export const sandboxPushDefinition = defineCommand<SandboxFlags>({
  name: "push",
  group: "sandbox",
  description: "register an image reference in the sandbox's container registry (its stand-in app serves it)",
  arguments: [{ name: "<image-ref>", description: "full reference, e.g. rg.fr-par.scw.cloud/evalap/evalap:1.2.3" }],
  options: () => [dataDirOption()],
  examples: ["evalap-infra sandbox push rg.fr-par.scw.cloud/evalap/evalap:1.2.3"],
  run: async (input) => (await import("./sandbox.js")).sandboxPushCommand(firstArg(input), input.options, input.globals),
});

export const sandboxEnvDefinition = defineCommand<SandboxEnvFlags>({
  name: "env",
  group: "sandbox",
  description:
    "print the environment tofu, the provider and the SDK need to use the sandbox, for your shell: " +
    "it PRINTS THE SANDBOX'S SECRETS (keys, state passphrase, app secrets) on purpose; `status` never does",
  options: () => [
    dataDirOption(),
    new Option("--shell <format>", "sh: `export K='v'` lines; json: one JSON object (also with --json)")
      .choices(["sh", "json"])
      .default("sh"),
  ],
  examples: ['eval "$(evalap-infra sandbox env)"', "evalap-infra sandbox env --shell json"],
  run: async (input) => (await import("./sandbox.js")).sandboxEnvCommand(input.options, input.globals),
});

/** The daemon `sandbox up` starts detached; not for users (hidden from the help). */
export const sandboxServeDefinition = defineCommand<SandboxUpFlags>({
  name: "serve",
  group: "sandbox",
  hidden: true,
  description: "run the sandbox in the foreground until SIGTERM or SIGINT (what `sandbox up` starts)",
  options: () => [dataDirOption(), portOption("the API's port on 127.0.0.1"), readyDelayOption()],
  examples: [],
  run: async (input) => (await import("./sandbox.js")).sandboxServeCommand(input.options, input.globals),
});
