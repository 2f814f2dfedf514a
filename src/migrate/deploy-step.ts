import type { ResolvedEnvironment } from "../config/load.js";
import type { LockHolder } from "../lock/holder.js";
import { audited } from "../operations/audit-trail.js";
import { step, type RunContext } from "../operations/context.js";
import { initStep } from "../operations/plan.js";
import { declaresVariable } from "../operations/preflight.js";
import type { EnvironmentRemote } from "../operations/remote.js";
import { imagesOf } from "../operations/release-inputs.js";
import * as tofu from "../tofu/commands.js";
import { migrateLocked, statusLocked } from "./core.js";

/**
 * Before a deploy rolls the containers: when the release's API image brings revisions the database
 * lacks, a backup and the migration (its own audit entry, before the release's), so that new
 * instances find the schema at head. Returns the note recorded with the release, null when nothing
 * ran. Skipped without a runner (a root without `migration`), before the first apply (no database:
 * the first instances create the schema), and when the API image is the last healthy release's
 * (it brings nothing new). A failed migration throws MigrationFailedError: nothing was rolled.
 */
export async function migrateBeforeRoll(
  ctx: RunContext,
  run: { env: ResolvedEnvironment; remote: EnvironmentRemote | null; holder: LockHolder; lockTimeoutMs: number },
  vars: Record<string, unknown>,
): Promise<string | null> {
  const { env, remote, holder, lockTimeoutMs } = run;
  if (!(await declaresVariable(env.rootDir, "migration"))) return null;
  const image = imagesOf(vars).evalap;
  const skip = (why: string) => {
    ctx.events.emit({ type: "step.started", step: "migration check" });
    ctx.events.emit({ type: "step.finished", step: "migration check", outcome: "skipped", durationMs: 0, detail: why });
    return null;
  };
  if (remote && image !== undefined) {
    const last = await remote.ledger.lastHealthy();
    if (last && imagesOf(last.inputs.vars).evalap === image) return skip("the API image is the last healthy release's: no new revision");
  }
  await initStep(ctx, env);
  const outputs = await tofu.output(ctx.tofu, env.rootDir);
  const db = outputs.database?.value as { instance_id?: unknown } | null | undefined;
  if (typeof db?.instance_id !== "string") return skip("no database yet: the first instances create the schema");
  const status = await step(
    ctx,
    "migration check",
    () => statusLocked(ctx, env, lockTimeoutMs, vars),
    (s) => ({ detail: s.summary }),
  );
  if (status.pending.length === 0) return null;
  const result = await audited(
    ctx,
    { environment: env.name, remote, holder },
    "migrate",
    () => migrateLocked(ctx, env, lockTimeoutMs, { environment: env.name, sql: false, vars }),
    (r) => ({ outcome: "ok", detail: `before the deploy of ${image ?? "?"}: ${r.summary}` }),
  );
  return `migrated before the rollout: ${result.summary}`;
}
