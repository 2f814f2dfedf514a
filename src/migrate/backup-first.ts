import type { Rdbv1 } from "@scaleway/sdk-rdb";
import { EvalapError } from "../core/errors.js";
import { abortableSleep } from "../core/sleep.js";

/**
 * The manual backup taken before a migration: RDB CreateDatabaseBackup of the app database through
 * the SDK (Rdbv1.API, with the retry layer of src/scaleway/client.ts), waited until `ready` or the
 * deadline. Kept small on purpose: the backup module (issue 12, item 4) replaces it at merge.
 */
export interface BackupFirstRequest {
  region: string;
  instanceId: string;
  databaseName: string;
  /** Shown in `backup list` and the console: says which migration it precedes. */
  name: string;
  /** Manual backups are kept until this date (RDB deletes them then). */
  expiresAt: Date;
  deadlineMs: number;
  pollMs?: number;
  signal?: AbortSignal;
}

export interface BackupTaken {
  id: string;
  name: string;
  region: string;
  /** How to restore it into the database it was taken from. */
  restoreCommand: string;
}

export async function backupFirst(api: Rdbv1.API, req: BackupFirstRequest): Promise<BackupTaken> {
  const created = await api.createDatabaseBackup({
    region: req.region,
    instanceId: req.instanceId,
    databaseName: req.databaseName,
    name: req.name,
    expiresAt: req.expiresAt,
  });
  const deadline = Date.now() + req.deadlineMs;
  let backup = created;
  while (backup.status !== "ready") {
    if (backup.status === "error") {
      throw new EvalapError("backup_failed", `the backup ${backup.id} of ${req.databaseName} ended in error: nothing was migrated`, {
        hint: "see the backup in the console (Managed Databases, Backups) and retry once the instance is healthy",
      });
    }
    if (Date.now() >= deadline) {
      throw new EvalapError(
        "backup_timeout",
        `the backup ${backup.id} of ${req.databaseName} is still ${backup.status} after ${Math.round(req.deadlineMs / 1000)} s: nothing was migrated`,
        { hint: "wait for it to be ready (scw rdb backup get), then run the migration again" },
      );
    }
    await abortableSleep(req.pollMs ?? 1000, req.signal);
    backup = await api.getDatabaseBackup({ region: req.region, databaseBackupId: backup.id });
  }
  return {
    id: backup.id,
    name: req.name,
    region: req.region,
    restoreCommand: `scw rdb backup restore ${backup.id} region=${req.region} instance-id=${req.instanceId} database-name=${req.databaseName}`,
  };
}
