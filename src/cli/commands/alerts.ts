import path from "node:path";
import { AlertRulesInvalidError, loadRuleGroups, ruleFiles, ruleSubfolders, type LoadedGroup } from "../../alerts/rules.js";
import { resolveEnvironment } from "../../config/load.js";
import { currentHolder } from "../../lock/holder.js";
import { environmentGroups, summary, syncAlerts } from "../../operations/alerts.js";
import { initStep } from "../../operations/plan.js";
import { withEnvironmentLocks } from "../../operations/remote.js";
import { parseLockTimeout } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface AlertsSyncFlags {
  lockTimeout?: string;
}

/** Lints every rule file: the common ones, and each root's folder with them (group names are unique across both). */
export function alertsCheckCommand(globals: GlobalOptions): Promise<number> {
  return runCommand("alerts check", undefined, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const dir = path.resolve(ctx.config.projectDir, ctx.config.alerts.dir);
    const problems = new Set<string>();
    const groups = new Map<string, LoadedGroup>();
    const files = new Set<string>();
    for (const sub of [undefined, ...(await ruleSubfolders(dir))]) {
      const list = await ruleFiles(dir, sub);
      for (const f of list) files.add(path.relative(ctx.config.projectDir, f));
      try {
        for (const g of await loadRuleGroups(list, ctx.config.projectDir)) groups.set(`${g.file}#${g.group.name}`, g);
      } catch (err) {
        if (!(err instanceof AlertRulesInvalidError)) throw err;
        for (const p of err.problems) problems.add(p);
      }
    }
    for (const p of problems) cmd.events.emit({ type: "diagnostic", severity: "error", summary: p });
    if (problems.size > 0) throw new AlertRulesInvalidError([...problems]);
    const listed = [...groups.values()].map((g) => ({ file: g.file, group: g.group.name, rules: g.group.rules.length }));
    cmd.events.emit({ type: "data", kind: "alerts.check", data: { dir: ctx.config.alerts.dir, files: [...files], groups: listed } });
    return {
      summary:
        files.size === 0
          ? `no alert rule files in ${ctx.config.alerts.dir}`
          : `alert rules ok: ${listed.length} group(s) in ${files.size} file(s)`,
    };
  });
}

/** Under the environment's local lock (the sync is idempotent and short: runs on other machines converge to the same files). */
export function alertsSyncCommand(environment: string, flags: AlertsSyncFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("alerts sync", environment, globals, async (cmd) => {
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    // No files: the namespace is emptied (the rules were removed on purpose).
    const loaded = (await environmentGroups(ctx, env)) ?? { files: [], groups: [] };
    const holder = currentHolder(ctx.commandLine);
    const report = await withEnvironmentLocks(ctx, env, null, holder, lockTimeoutMs ?? ctx.config.lock.timeout, async (locked) => {
      await initStep(locked, env);
      return syncAlerts(locked, env, loaded.groups, loaded.files);
    });
    cmd.events.emit({ type: "data", kind: "alerts.sync", data: report });
    return { summary: `alert rules of ${environment} synced to ${report.dataSource.url} (${summary(report)})` };
  });
}
