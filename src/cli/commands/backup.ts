import { resolveEnvironment } from "../../config/load.js";
import { parseDuration } from "../../core/duration.js";
import { ExitCode } from "../../core/exit-codes.js";
import { verifyExitCode, type Tier } from "../../backup/policy.js";
import { backupsTable, formatSize } from "../../backup/table.js";
import {
  DEFAULT_TIMING,
  listEnvironmentBackups,
  pruneBackups,
  runBackup,
  verifyBackups,
  type Timing,
  type VerifyReport,
} from "../../operations/backup.js";
import { verifyWithRestore, type RestoreTestResult } from "../../operations/backup-restore.js";
import { parseLockTimeout } from "../flags.js";
import { runCommand, type CommandEnv, type GlobalOptions } from "../run.js";

export interface RunFlags {
  tier: Tier;
  wait: boolean;
  timeout: string;
  lockTimeout?: string;
}

export interface PruneFlags {
  dryRun?: boolean;
  lockTimeout?: string;
}

export interface VerifyFlags {
  restoreTest?: boolean;
  expectRevision?: string;
  privateEndpoint?: boolean;
  timeout: string;
  lockTimeout?: string;
}

const timing = (timeout: string): Timing => ({ ...DEFAULT_TIMING, timeoutMs: parseDuration(timeout) ?? DEFAULT_TIMING.timeoutMs });
const info = (cmd: CommandEnv, message: string) => cmd.events.emit({ type: "log", level: "info", message });

/** Read-only: no lock, like `secrets list`. */
export function backupListCommand(environment: string, globals: GlobalOptions): Promise<number> {
  return runCommand("backup list", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const report = await listEnvironmentBackups(ctx, resolveEnvironment(ctx.config, environment));
    cmd.events.emit({ type: "data", kind: "backup.list", data: report });
    for (const line of backupsTable(report.backups, Date.now())) info(cmd, line);
    return { summary: `${report.backups.length} backup(s) of ${report.database} on ${report.instanceId}` };
  });
}

export function backupRunCommand(environment: string, flags: RunFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("backup run", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const result = await runBackup(ctx, {
      environment,
      tier: flags.tier,
      wait: flags.wait,
      timing: timing(flags.timeout),
      ...optional("lockTimeoutMs", parseLockTimeout(flags.lockTimeout)),
    });
    cmd.events.emit({ type: "data", kind: "backup.run", data: result });
    const b = result.backup;
    return {
      summary: `backup ${b.name} (${b.id}) ${b.status}${b.size === null ? "" : `, ${formatSize(b.size)}`}, expires ${b.expires ?? "never"}`,
    };
  });
}

export function backupPruneCommand(environment: string, flags: PruneFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("backup prune", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    const result = await pruneBackups(ctx, env, {
      environment,
      dryRun: flags.dryRun === true,
      ...optional("lockTimeoutMs", parseLockTimeout(flags.lockTimeout)),
    });
    cmd.events.emit({ type: "data", kind: "backup.prune", data: result });
    for (const b of result.deleted)
      info(cmd, `${result.dryRun ? "would delete" : "deleted"} ${b.name} (${b.tier}, expired ${b.expires ?? ""})`);
    const verb = result.dryRun ? "would delete" : "deleted";
    return { summary: `${verb} ${result.deleted.length} expired backup(s); ${result.kept} kept` };
  });
}

/**
 * The policy checks (read-only, no lock); with --restore-test, they and the restore run under the lease.
 * The exit code is the lowest of the failed checks' (README, "Exit codes").
 */
export function backupVerifyCommand(environment: string, flags: VerifyFlags, globals: GlobalOptions): Promise<number> {
  return runCommand("backup verify", environment, globals, async (cmd) => {
    const ctx = await cmd.loadContext();
    const env = resolveEnvironment(ctx.config, environment);
    let report: VerifyReport;
    let restore: RestoreTestResult | undefined;
    if (flags.restoreTest) {
      ({ report, restore } = await verifyWithRestore(ctx, env, {
        environment,
        privateEndpoint: flags.privateEndpoint === true,
        timing: timing(flags.timeout),
        ...optional("expectRevision", flags.expectRevision),
        ...optional("lockTimeoutMs", parseLockTimeout(flags.lockTimeout)),
      }));
    } else report = await verifyBackups(ctx, env);
    cmd.events.emit({ type: "data", kind: "backup.verify", data: report });
    const codes: { ok: boolean; exitCode: number }[] = [...report.checks];
    for (const c of report.checks) {
      cmd.events.emit({ type: "log", level: c.ok ? "info" : "warn", message: `${c.ok ? "ok  " : "FAIL"} ${c.check}: ${c.message}` });
      for (const f of c.failed ?? []) cmd.events.emit({ type: "log", level: "warn", message: `     ${f.name} (${f.id}): ${f.reason}` });
    }
    let summary = "";
    if (restore) {
      const r = restore;
      cmd.events.emit({ type: "data", kind: "backup.restore-test", data: r });
      for (const c of r.checks)
        cmd.events.emit({
          type: "log",
          level: c.ok ? "info" : "warn",
          message: `${c.ok ? "ok  " : "FAIL"} restore ${c.check}: ${c.message}`,
        });
      codes.push({ ok: r.ok && r.dropped, exitCode: ExitCode.RestoreTestFailed });
      summary = `; restore test of ${r.backup.name}: ${r.ok ? "ok" : "FAILED"} in ${(r.restoreMs / 1000).toFixed(1)} s, ${r.database} ${r.dropped ? "dropped" : "NOT dropped"}`;
    }
    const failed = report.checks.filter((c) => !c.ok).map((c) => c.check);
    return {
      exitCode: verifyExitCode(codes),
      summary: `${failed.length === 0 ? "backup policy ok" : `backup policy FAILED: ${failed.join(", ")}`}${summary}`,
    };
  });
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}
