import { audited } from "../operations/audit-trail.js";
import type { RunContext } from "../operations/context.js";
import { unchangedReleaseVars } from "../operations/deploy-release.js";
import { initStep } from "../operations/plan.js";
import { withEnvironment } from "../operations/remote.js";
import {
  assertRunnerRoot,
  databaseOf,
  migrateLocked,
  statusLocked,
  type MigrateOptions,
  type MigrateResult,
  type StatusResult,
} from "./core.js";

export { MigrationFailedError, type MigrateOptions, type MigrateResult, type StatusResult } from "./core.js";

/** migrate <env>: under the lease, a backup, then Alembic in the runner; or --sql, the SQL alone. */
export function migrate(ctx: RunContext, opts: MigrateOptions): Promise<MigrateResult> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, (locked, { env, remote, holder, lockTimeoutMs }) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      opts.sql ? "migrate.sql" : "migrate",
      async () => {
        await assertRunnerRoot(env);
        await initStep(locked, env);
        const { vars } = await unchangedReleaseVars(locked, env.name, remote, env.images, false);
        return migrateLocked(locked, env, lockTimeoutMs, { ...opts, vars });
      },
      (r) => ({ outcome: "ok", detail: r.summary }),
    ),
  );
}

/** migrate status <env>: the database's revision against the image's head, from the runner (`alembic history -i`). */
export function migrationStatus(ctx: RunContext, opts: { environment: string; lockTimeoutMs?: number }): Promise<StatusResult> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, async (locked, { env, remote, lockTimeoutMs }) => {
    await assertRunnerRoot(env);
    await initStep(locked, env);
    await databaseOf(locked, env); // never deployed: say so, rather than a runner plan that would create the platform
    const { vars } = await unchangedReleaseVars(locked, env.name, remote, env.images, false);
    return statusLocked(locked, env, lockTimeoutMs, vars);
  });
}
