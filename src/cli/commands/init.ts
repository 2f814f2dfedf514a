import path from "node:path";
import { scaffold } from "../../operations/init.js";
import { parseImages } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";
import { VERSION } from "../version.js";

export interface InitFlags {
  environments: string;
  region: string;
  projectId: string[];
  registryProjectId?: string;
  alertEmail: string[];
  image: string[];
  stateBucketPrefix: string;
  cliVersion?: string;
}

/**
 * No prompt, on a terminal or not: every value has a flag, and one left out is written as a
 * commented line the first plan names (the roots' own convention), so init behaves the same in CI,
 * in a script and by hand, and a second run is a no-op.
 */
export function initCommand(dir: string | undefined, flags: InitFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("init", undefined, globals, async (cmd) => {
    const target = path.resolve(dir ?? ".");
    const alertEmails: Record<string, string[]> = {};
    for (const [env, email] of pairs(flags.alertEmail)) (alertEmails[env] ??= []).push(email);
    const result = await scaffold({
      dir: target,
      environments: flags.environments
        .split(",")
        .map((e) => e.trim())
        .filter((e) => e.length > 0),
      region: flags.region,
      projectIds: Object.fromEntries(pairs(flags.projectId)),
      ...(flags.registryProjectId !== undefined ? { registryProjectId: flags.registryProjectId } : {}),
      alertEmails,
      images: parseImages(flags.image),
      stateBucketPrefix: flags.stateBucketPrefix,
      cliRange: flags.cliVersion ?? `^${VERSION}`,
      cliVersion: VERSION,
    });
    cmd.events.emit({ type: "data", kind: "init", data: result });
    for (const file of result.created) cmd.events.emit({ type: "log", level: "info", message: `created ${file}` });
    for (const file of result.skipped) cmd.events.emit({ type: "log", level: "info", message: `skipped ${file} (exists; left as it is)` });
    const next = result.created.length > 0 ? `; next: cd ${dir ?? "."} && npm install && npx evalap-infra doctor` : "";
    return { summary: `${result.created.length} file(s) created, ${result.skipped.length} skipped in ${target}${next}` };
  });
}

function pairs(list: string[]): Array<[string, string]> {
  return list.map((p) => {
    const eq = p.indexOf("=");
    return [p.slice(0, eq), p.slice(eq + 1)];
  });
}
