import { configJsonSchema } from "../../config/schema.js";
import { runCommand, type GlobalOptions } from "../run.js";

export function configCheckCommand(globals: GlobalOptions): Promise<number> {
  return runCommand("config check", undefined, globals, async (cmd) => {
    const { config } = await cmd.loadContext();
    for (const [name, env] of Object.entries(config.environments)) {
      cmd.events.emit({ type: "log", level: "info", message: `${name}: ${env.root} (${env.protection})` });
    }
    return { summary: `${config.file} is valid` };
  });
}

/**
 * Without --json: the schema alone, pretty, so `config schema > evalap-infra.schema.json` works.
 * With --json: the NDJSON contract like every command (a data event, then the result).
 */
export async function configSchemaCommand(globals: GlobalOptions): Promise<number> {
  if (!globals.json) {
    process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + "\n");
    return 0;
  }
  return runCommand("config schema", undefined, globals, async (cmd) => {
    cmd.events.emit({ type: "data", kind: "config.schema", data: configJsonSchema() });
    return { summary: "the JSON Schema of evalap-infra.json" };
  });
}
