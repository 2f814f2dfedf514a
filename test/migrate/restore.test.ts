import { describe, expect, it } from "vitest";
import type { ReleaseRecord } from "../../src/ledger/types.js";
import { backupMatching } from "../../src/migrate/restore.js";
import { parseHistory, statusOf } from "../../src/migrate/history.js";

const release = (id: string, notes?: string[]): ReleaseRecord =>
  ({ id, status: "healthy", ...(notes ? { notes } : {}) }) as unknown as ReleaseRecord;
const B1 = "11111111-1111-4111-8111-111111111111";
const B2 = "22222222-2222-4222-8222-222222222222";

describe("the backup that matches a rollback's target", () => {
  it("is the one taken before the first migration released after the target", () => {
    const releases = [
      release("00000005", [`migrated before the rollout: staging: migrated 0003 -> 0004 (backup ${B2} first)`]),
      release("00000004"),
      release("00000003", [`migrated before the rollout: staging: migrated 0002 -> 0003 (backup ${B1} first)`]),
      release("00000002"),
    ];
    expect(backupMatching(releases, release("00000002"))).toEqual({ backupId: B1, migratedBy: "00000003" });
    expect(backupMatching(releases, release("00000004"))).toEqual({ backupId: B2, migratedBy: "00000005" });
    expect(backupMatching(releases, release("00000005"))).toBeNull();
  });
});

describe("alembic history --indicate-current, read back", () => {
  const lines = [
    "INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.",
    "0002 -> 0003 (head), experiment status",
    "0001 -> 0002 (current), experiments and results",
    "<base> -> 0001, datasets and experiment sets",
  ];
  it("gives the current revision, the head and the pending ones oldest first", () => {
    expect(statusOf(parseHistory(lines))).toEqual({
      current: "0002",
      head: "0003",
      pending: [{ revision: "0003", message: "experiment status" }],
    });
  });
  it("on an empty database every revision is pending", () => {
    const s = statusOf(parseHistory(lines.map((l) => l.replace(" (current)", ""))));
    expect(s.current).toBeNull();
    expect(s.pending.map((p) => p.revision)).toEqual(["0001", "0002", "0003"]);
  });
});
