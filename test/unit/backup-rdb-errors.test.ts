import { Errors } from "@scaleway/sdk-client";
import { describe, expect, it } from "vitest";
import { rdbFailure } from "../../src/backup/rdb.js";
import { ExitCode } from "../../src/core/exit-codes.js";

/**
 * The SDK's own error classes (what its response parser builds from Scaleway's bodies: a 403
 * `quotas_exceeded` with details, a 409 `transient_state`) become errors that name the problem and
 * the fix.
 */
describe("RDB failures as the backup commands report them", () => {
  it("a storage quota refusal names prune and the quotas page", () => {
    const err = new Errors.QuotasExceededError(403, { type: "quotas_exceeded" }, [
      { resource: "rdb_backup_storage", quota: 100, current: 100, scope: { kind: "project", id: "p1" } },
    ]);
    const e = rdbFailure(err, "creating backup evalap-staging-weekly-20260101T000000Z", "unused");
    expect(e.code).toBe("backup_quota");
    expect(e.exitCode).toBe(ExitCode.Failure);
    expect(e.message).toMatch(/^creating backup evalap-staging-weekly-\S+ was refused: the project's backup storage quota is reached/);
    expect(e.hint).toContain("evalap-infra backup prune <env>");
  });

  it("a resource in a transient state says which state and to wait (exit 24)", () => {
    const err = new Errors.TransientStateError(409, { type: "transient_state" }, "instance", "i1", "backuping");
    const e = rdbFailure(err, "creating backup x", "unused");
    expect(e.code).toBe("rdb_busy");
    expect(e.exitCode).toBe(ExitCode.BackupNotReady);
    expect(e.message).toBe("creating backup x was refused: the resource is backuping");
    expect(e.hint).toContain("--timeout");
  });

  it("a refused key is a prerequisite naming the IAM permission", () => {
    const e = rdbFailure(Object.assign(new Error("denied"), { status: 403 }), "listing the backups", "unused");
    expect(e.exitCode).toBe(ExitCode.Prerequisite);
    expect(e.hint).toContain("RelationalDatabasesFullAccess");
  });
});
