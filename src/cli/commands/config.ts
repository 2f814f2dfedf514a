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
