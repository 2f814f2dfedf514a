import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { rdbFailure, waitBackupSettled, waitInstanceReady, whenInstanceFree } from "../backup/rdb.js";
import { DEFAULT_TIMING, openTarget, waitOptions } from "../operations/backup.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { step, type RunContext } from "../operations/context.js";

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

const RESTORE_TIMING = { ...DEFAULT_TIMING, timeoutMs: 30 * 60_000 };

/**
 * RDB RestoreDatabaseBackup of `backupId` into the environment's app database (the one it was
 * taken from), waited until the backup and the instance are ready again.
 */
export async function restoreDatabase(ctx: RunContext, env: ResolvedEnvironment, match: MatchingBackup): Promise<void> {
  await step(
    ctx,
    "restore database",
    async () => {
      const t = await openTarget(ctx, env);
      const { region, id: instanceId } = t.db.instance;
      const wait = waitOptions(ctx, RESTORE_TIMING, `restore of backup ${match.backupId}`);
      await whenInstanceFree(t.api, t.db.instance, wait, () =>
        t.api.restoreDatabaseBackup({ region, databaseBackupId: match.backupId, instanceId, databaseName: t.db.databaseName }),
      ).catch((err: unknown) => {
        throw err instanceof EvalapError
          ? err
          : rdbFailure(err, `restoring backup ${match.backupId}`, "nothing was rolled back; run the rollback again");
      });
      const backup = await waitBackupSettled(t.api, region, match.backupId, wait);
      if (backup.status !== "ready") {
        throw new EvalapError(
          "restore_failed",
          `the restore of backup ${match.backupId} failed (backup ${backup.status}): nothing was rolled back`,
          {
            hint: "see the instance in the console (Managed Databases); the database may be partly restored: restore it again before rolling back",
          },
        );
      }
      await waitInstanceReady(t.api, t.db.instance, wait);
    },
    () => ({ detail: `backup ${match.backupId} (taken before release ${match.migratedBy} migrated) restored` }),
  );
}
