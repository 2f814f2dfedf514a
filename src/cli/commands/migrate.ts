import { parseDuration } from "../../core/duration.js";
import { UsageError } from "../../core/errors.js";
import { migrate, migrationStatus } from "../../migrate/migrate.js";
import { DURATION_HINT, parseLockTimeout } from "../flags.js";
import { runCommand, type GlobalOptions } from "../run.js";

export interface MigrateFlags {
  to?: string;
  sql?: boolean;
  timeout?: string;
  lockTimeout?: string;
}

/** migrate <env> [--to REV] [--sql], or migrate status <env>. */
export function migrateCommand(args: string[], flags: MigrateFlags, globals: GlobalOptions): Promise<number> {
  const statusOf = args[0] === "status" && args[1] !== undefined ? args[1] : null;
  const environment = statusOf ?? args[0] ?? "";
  return runCommand(statusOf === null ? "migrate" : "migrate status", environment, globals, async (cmd) => {
    if (args[0] === "status" && args[1] === undefined)
      throw new UsageError("migrate status needs the environment", "run `evalap-infra migrate status <env>`");
    if (statusOf === null && args.length > 1)
      throw new UsageError(`unexpected argument "${args[1]}"`, "migrate <env>, or migrate status <env>");
    if (statusOf !== null && (flags.sql || flags.to !== undefined))
      throw new UsageError("--sql and --to belong to migrate <env>, not migrate status", "run `evalap-infra migrate status <env>` alone");
    if (flags.to !== undefined && !/^[A-Za-z0-9_+-]+$/.test(flags.to))
      throw new UsageError(`--to "${flags.to}" is not an Alembic revision`, "give a revision id (e.g. 0003), head, or a relative one (+1)");
    const lockTimeoutMs = parseLockTimeout(flags.lockTimeout);
    const timeoutMs = flags.timeout === undefined ? undefined : parseDuration(flags.timeout);
    if (timeoutMs === null) throw new UsageError(`--timeout "${flags.timeout}" is not a duration`, DURATION_HINT);
    const ctx = await cmd.loadContext();
    if (statusOf !== null) {
      const status = await migrationStatus(ctx, { environment, ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) });
      cmd.events.emit({ type: "data", kind: "migrate.status", data: status });
      return { summary: status.summary };
    }
    const result = await migrate(ctx, {
      environment,
      sql: flags.sql === true,
      ...(flags.to !== undefined ? { to: flags.to } : {}),
      ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });
    // The SQL is the output of --sql: on stdout, for a file (the events go to stderr).
    if (result.sqlText !== undefined && !globals.json) process.stdout.write(`${result.sqlText}\n`);
    return { summary: result.summary };
  });
}
