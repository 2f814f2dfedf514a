import type { ResolvedEnvironment } from "../config/load.js";
import { scalewayFor } from "../operations/scaleway.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { abortableSleep } from "../core/sleep.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { step, type RunContext } from "../operations/context.js";
import { secretRef } from "../secrets/outputs.js";
import * as tofu from "../tofu/commands.js";

/** A release's note of the migration that ran before it (deploy-step.ts): "… (backup <id> first)". */
const NOTE = /backup ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}) first/;

export interface MatchingBackup {
  backupId: string;
  /** The release whose deploy migrated the database after that backup. */
  migratedBy: string;
}

/**
 * The backup that matches `target`'s schema: the one taken before the first migration released
 * after it (releases newest first, as the ledger lists them; ids order them). Null when no release
 * after the target migrated the database.
 */
export function backupMatching(releases: readonly ReleaseRecord[], target: ReleaseRecord): MatchingBackup | null {
  const after = releases.filter((r) => r.id > target.id).sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const r of after) {
    const id = (r.notes ?? []).map((n) => NOTE.exec(n)?.[1]).find((x) => x !== undefined);
    if (id) return { backupId: id, migratedBy: r.id };
  }
  return null;
}

const RESTORE_DEADLINE_MS = 30 * 60_000;

/**
 * RDB RestoreDatabaseBackup of `backupId` into the environment's app database (the one it was
 * taken from), waited until the backup and the instance are ready again.
 */
export async function restoreDatabase(ctx: RunContext, env: ResolvedEnvironment, match: MatchingBackup): Promise<void> {
  await step(
    ctx,
    "restore database",
    async () => {
      const outputs = await tofu.output(ctx.tofu, env.rootDir);
      const db = outputs.database?.value as { instance_id?: unknown; database_name?: unknown } | undefined;
      if (typeof db?.instance_id !== "string" || typeof db.database_name !== "string") {
        throw new EvalapError("database_not_deployed", `${env.name} has no database (the root's database output is empty)`, {
          exitCode: ExitCode.Prerequisite,
        });
      }
      const scw = await scalewayFor(ctx);
      const api = await scw.rdb();
      const ref = secretRef(db.instance_id);
      const region = ref.region || scw.defaultRegion || "fr-par";
      await api.restoreDatabaseBackup({ region, databaseBackupId: match.backupId, instanceId: ref.id, databaseName: db.database_name });
      const deadline = Date.now() + RESTORE_DEADLINE_MS;
      for (;;) {
        const backup = await api.getDatabaseBackup({ region, databaseBackupId: match.backupId });
        const instance = await api.getInstance({ region, instanceId: ref.id });
        if (backup.status === "ready" && instance.status === "ready") return;
        if (backup.status === "error" || instance.status === "error") {
          throw new EvalapError(
            "restore_failed",
            `the restore of backup ${match.backupId} failed (backup ${backup.status}, instance ${instance.status}): nothing was rolled back`,
            {
              hint: "see the instance in the console (Managed Databases); the database may be partly restored: restore it again before rolling back",
            },
          );
        }
        if (Date.now() >= deadline) {
          throw new EvalapError(
            "restore_timeout",
            `the restore of backup ${match.backupId} is still running after ${RESTORE_DEADLINE_MS / 60_000} min: nothing was rolled back`,
            {
              hint: "wait until the instance is ready, then run the rollback again without --restore-database",
            },
          );
        }
        await abortableSleep(1000, ctx.signal);
      }
    },
    () => ({ detail: `backup ${match.backupId} (taken before release ${match.migratedBy} migrated) restored` }),
  );
}
