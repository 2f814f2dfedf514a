import type { Rdbv1 } from "@scaleway/sdk-rdb";
import { describe, expect, it } from "vitest";
import {
  backupName,
  DAY_MS,
  expiryOf,
  pruneCandidates,
  tierOf,
  verifyExitCode,
  verifyPolicy,
  type BackupView,
  type ManualTier,
  type Schedule,
} from "../../src/backup/policy.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import { reachableEndpoint, scratchName } from "../../src/operations/backup-restore.js";

/** The policy over backup lists with a fixed clock. */
const NOW = Date.parse("2026-06-15T12:00:00Z");
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();
const SCHEDULE: Schedule = { disabled: false, frequencyHours: 24, retentionDays: 7 };

let seq = 0;
/** A backup `ageMs` old; a CLI tier gets the name and the expiry `backup run` gives it. */
function backup(tier: ManualTier | "scheduled", ageMs: number, over: Partial<BackupView> = {}): BackupView {
  const created = NOW - ageMs;
  seq += 1;
  const name = tier === "scheduled" ? `evalap-staging-${seq}` : backupName("staging", tier, new Date(created));
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, "0")}`,
    name,
    tier,
    status: "ready",
    size: 1000,
    created: iso(created),
    expires: tier === "scheduled" ? iso(created + 7 * DAY_MS) : expiryOf(tier, new Date(created), SCHEDULE.retentionDays).toISOString(),
    updated: iso(created),
    databaseName: "evalap",
    ...over,
  };
}

const healthy = () => [backup("scheduled", 3 * HOUR), backup("weekly", 2 * DAY_MS), backup("monthly", 10 * DAY_MS)];
const verify = (backups: BackupView[], schedule = SCHEDULE, required: number | null = null) =>
  verifyPolicy({ backups, schedule, now: NOW, requiredDailyRetentionDays: required });
const failed = (checks: ReturnType<typeof verify>) => checks.filter((c) => !c.ok).map((c) => c.check);

describe("backup names and expiries", () => {
  it("a name encodes environment, tier and UTC time, and reads back", () => {
    const name = backupName("production", "weekly", new Date("2026-03-01T04:05:06.789Z"));
    expect(name).toBe("evalap-production-weekly-20260301T040506Z");
    expect(tierOf("production", name)).toBe("weekly");
    // Another environment's, or a name the CLI did not give: the schedule's.
    expect(tierOf("staging", name)).toBe("scheduled");
    expect(tierOf("production", "evalap-production-2026-03-01")).toBe("scheduled");
  });

  it("weekly expires after 90 days, monthly after 365, daily after the schedule's retention", () => {
    const at = new Date("2026-01-01T00:00:00Z");
    expect(expiryOf("weekly", at, 7).toISOString()).toBe("2026-04-01T00:00:00.000Z");
    expect(expiryOf("monthly", at, 7).toISOString()).toBe("2027-01-01T00:00:00.000Z");
    expect(expiryOf("daily", at, 30).toISOString()).toBe("2026-01-31T00:00:00.000Z");
  });

  it("the backup migrate takes first has its own tier, kept 30 days, and is never a daily", () => {
    const at = new Date("2026-01-01T00:00:00Z");
    const name = backupName("staging", "premigrate", at);
    expect(name).toBe("evalap-staging-premigrate-20260101T000000Z");
    expect(tierOf("staging", name)).toBe("premigrate");
    expect(expiryOf("premigrate", at, 7).toISOString()).toBe("2026-01-31T00:00:00.000Z");
    // A fresh pre-migration backup does not hide a stale daily: it is at the previous schema.
    const checks = verify([
      backup("premigrate", HOUR),
      backup("scheduled", 30 * HOUR),
      backup("weekly", DAY_MS),
      backup("monthly", DAY_MS),
    ]);
    expect(failed(checks)).toEqual(["daily"]);
    // Its expiry is checked like the others'.
    const wrong = backup("premigrate", DAY_MS, { expires: iso(NOW + 300 * DAY_MS) });
    expect(failed(verify([...healthy(), wrong]))).toEqual(["retention"]);
  });

  it("the scratch database name is a valid identifier with the UTC stamp", () => {
    expect(scratchName(new Date("2026-03-01T04:05:06.789Z"))).toBe("evalap_restore_20260301040506");
  });
});

describe("verify", () => {
  it("passes with a fresh daily, a weekly within 8 days and a monthly within 32", () => {
    const checks = verify(healthy());
    expect(failed(checks)).toEqual([]);
    expect(verifyExitCode(checks)).toBe(0);
  });

  it("a daily of 27 h is stale: exit 19; a CLI daily counts as well as the schedule's", () => {
    const stale = [backup("scheduled", 27 * HOUR), backup("weekly", DAY_MS), backup("monthly", DAY_MS)];
    expect(failed(verify(stale))).toEqual(["daily"]);
    expect(verifyExitCode(verify(stale))).toBe(ExitCode.BackupStale);
    expect(failed(verify([...stale, backup("daily", 25 * HOUR)]))).toEqual([]);
  });

  it("only ready backups count: a fresh one still creating leaves the daily stale", () => {
    const list = [
      backup("scheduled", 30 * HOUR),
      backup("daily", HOUR, { status: "creating" }),
      backup("weekly", DAY_MS),
      backup("monthly", DAY_MS),
    ];
    expect(failed(verify(list))).toEqual(["daily"]);
  });

  it("a weekly older than 8 days or none: exit 20; so is a monthly older than 32 days", () => {
    const noWeekly = [backup("scheduled", HOUR), backup("monthly", DAY_MS)];
    expect(failed(verify(noWeekly))).toEqual(["weekly"]);
    expect(verifyExitCode(verify(noWeekly))).toBe(ExitCode.BackupMissing);
    const old = [backup("scheduled", HOUR), backup("weekly", 9 * DAY_MS), backup("monthly", 33 * DAY_MS)];
    expect(failed(verify(old))).toEqual(["weekly", "monthly"]);
  });

  it("retention: a disabled schedule, a schedule over a day, a protected environment without 30 days, a wrong expiry: exit 21", () => {
    expect(failed(verify(healthy(), { ...SCHEDULE, disabled: true }))).toEqual(["retention"]);
    expect(failed(verify(healthy(), { ...SCHEDULE, frequencyHours: 48 }))).toEqual(["retention"]);
    expect(failed(verify(healthy(), SCHEDULE, 30))).toEqual(["retention"]);
    expect(failed(verify(healthy(), { ...SCHEDULE, retentionDays: 30 }, 30))).toEqual([]);
    const shortWeekly = [
      backup("scheduled", HOUR),
      backup("weekly", DAY_MS, { expires: iso(NOW + 10 * DAY_MS) }),
      backup("monthly", DAY_MS),
    ];
    const checks = verify(shortWeekly);
    expect(failed(checks)).toEqual(["retention"]);
    expect(checks.find((c) => c.check === "retention")?.message).toMatch(/not 90 days after its creation/);
    expect(verifyExitCode(checks)).toBe(ExitCode.BackupRetention);
  });

  it("a backup in error is reported with what the API says of it: exit 22", () => {
    const list = [...healthy(), backup("weekly", HOUR, { status: "error", name: "evalap-staging-weekly-broken" })];
    const checks = verify(list);
    expect(failed(checks)).toEqual(["errors"]);
    const errors = checks.find((c) => c.check === "errors");
    expect(errors?.failed).toEqual([
      expect.objectContaining({ name: "evalap-staging-weekly-broken", reason: expect.stringMatching(/^status error since /) }),
    ]);
    expect(verifyExitCode(checks)).toBe(ExitCode.BackupFailed);
  });

  it("several failures: the lowest code is the run's", () => {
    const checks = verify([backup("scheduled", 30 * HOUR, { status: "ready" }), backup("weekly", HOUR, { status: "error" })]);
    expect(failed(checks)).toEqual(["daily", "weekly", "monthly", "errors"]);
    expect(verifyExitCode(checks)).toBe(ExitCode.BackupStale);
  });
});

describe("prune", () => {
  it("deletes expired manual backups only, never the newest of a tier nor the schedule's", () => {
    const newestWeeklyExpired = backup("weekly", 100 * DAY_MS);
    const olderWeekly = backup("weekly", 120 * DAY_MS);
    const oldMonthly = backup("monthly", 400 * DAY_MS);
    const newMonthly = backup("monthly", 10 * DAY_MS);
    const expiredDaily = backup("daily", 10 * DAY_MS);
    const newestDaily = backup("daily", 9 * DAY_MS);
    const scheduled = backup("scheduled", 40 * DAY_MS);
    const unexpired = backup("weekly", 200 * DAY_MS, { expires: iso(NOW + DAY_MS) });
    const failedOne = backup("monthly", 500 * DAY_MS, { status: "error" });
    const newestPremigrate = backup("premigrate", 40 * DAY_MS);
    const olderPremigrate = backup("premigrate", 45 * DAY_MS);
    const all = [
      newestWeeklyExpired,
      olderWeekly,
      oldMonthly,
      newMonthly,
      expiredDaily,
      newestDaily,
      scheduled,
      unexpired,
      failedOne,
      newestPremigrate,
      olderPremigrate,
    ];
    const ids = pruneCandidates(all, NOW).map((b) => b.id);
    expect(ids.sort()).toEqual([olderWeekly.id, oldMonthly.id, expiredDaily.id, olderPremigrate.id].sort());
  });

  it("nothing expired: nothing to delete", () => {
    expect(pruneCandidates(healthy(), NOW)).toEqual([]);
  });
});

describe("where the restore test connects", () => {
  const instance = (endpoints: Rdbv1.Endpoint[]) => ({ endpoints }) as unknown as Rdbv1.Instance;
  const lb: Rdbv1.Endpoint = { id: "e1", ip: "51.15.1.2", port: 5432, loadBalancer: {} };
  const pn: Rdbv1.Endpoint = {
    id: "e2",
    ip: "172.16.4.2",
    port: 5432,
    privateNetwork: { privateNetworkId: "pn", serviceIp: "172.16.4.2/22", zone: "fr-par-1", provisioningMode: "ipam" },
  };

  it("the public endpoint when there is one", () => {
    expect(reachableEndpoint("staging", instance([pn, lb]), false)).toEqual({ host: "51.15.1.2", port: 5432, kind: "public" });
  });

  it("the private one only from inside the network (--private-endpoint, or the sandbox)", () => {
    expect(reachableEndpoint("production", instance([pn]), true)).toEqual({ host: "172.16.4.2", port: 5432, kind: "private" });
  });

  it("production's private-only database from outside: exit 9, naming --private-endpoint, before anything is restored", () => {
    let caught: unknown;
    try {
      reachableEndpoint("production", instance([pn]), false);
    } catch (err) {
      caught = err;
    }
    expect(caught).toMatchObject({
      code: "restore_test_unreachable",
      exitCode: ExitCode.Prerequisite,
      message: "production's database has no public endpoint, only a private one: the restore test cannot connect to it from here",
    });
    expect((caught as { hint: string }).hint).toContain("--private-endpoint");
    expect((caught as { hint: string }).hint).toContain("nothing was restored");
  });
});
