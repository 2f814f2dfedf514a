import { ExitCode } from "../core/exit-codes.js";

/**
 * The backup policy of the spec (T070–T072, issue 12): daily backups kept 30 days (production; staging
 * keeps 1 to 14 by design, infra/staging/variables.tf), weekly 90 days, monthly 365 days. The daily
 * tier is the instance's automatic schedule (one per `backup_schedule_frequency` hours, kept
 * `backup_schedule_retention` days: infra/modules/managed-postgresql/main.tf); weekly and monthly
 * are manual backups made by `backup run`. Pure functions over backup lists and a clock.
 */

export const TIERS = ["daily", "weekly", "monthly"] as const;
/** The tiers `backup run --tier` makes. */
export type Tier = (typeof TIERS)[number];
/**
 * Every manual backup the CLI names: the policy's tiers and `premigrate`, the backup `migrate` (and
 * a deploy that migrates) takes first; `rollback --restore-database` restores it.
 */
export const MANUAL_TIERS = [...TIERS, "premigrate"] as const;
export type ManualTier = (typeof MANUAL_TIERS)[number];
/** A backup the CLI did not name: the automatic schedule's (the daily tier) or one made by hand. */
export type BackupTier = ManualTier | "scheduled";

const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Expiry of a manual backup per tier, in days; daily follows the instance's schedule. A pre-migration
 * backup is kept 30 days: as long as the spec keeps dailies, so the release it matches stays a
 * rollback target with its database for that long.
 */
export const TIER_RETENTION_DAYS: Readonly<Record<Exclude<ManualTier, "daily">, number>> = { weekly: 90, monthly: 365, premigrate: 30 };
/** What `verify` wants: the newest daily younger than 26 h, a weekly within 8 days, a monthly within 32. */
export const FRESHNESS_MS: Readonly<Record<Tier, number>> = { daily: 26 * HOUR_MS, weekly: 8 * DAY_MS, monthly: 32 * DAY_MS };
/** The spec's daily retention (production's schedule must keep this many days). */
export const DAILY_RETENTION_DAYS = 30;
/** The restore target of the spec (T058, T138). */
export const RESTORE_TARGET_MS = 10 * 60_000;
/** An expiry may differ from its tier's by this much (clocks, rounding) and still match. */
const EXPIRY_TOLERANCE_MS = DAY_MS;

/** Statuses of rdb/v1 DatabaseBackup (@scaleway/sdk-rdb types.gen.d.ts, DatabaseBackupStatus). */
export type BackupStatus = "unknown" | "creating" | "ready" | "restoring" | "deleting" | "error" | "exporting" | "locked";

/** A backup as the CLI shows and reasons about it. Times are RFC 3339 strings (null when the API gave none). */
export interface BackupView {
  id: string;
  name: string;
  tier: BackupTier;
  status: BackupStatus;
  size: number | null;
  created: string | null;
  expires: string | null;
  updated: string | null;
  databaseName: string;
}

/** `evalap-<env>-<tier>-<UTC stamp>`: what `backup run` names a backup, so its tier can be read back. */
export function backupName(environment: string, tier: ManualTier, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  return `evalap-${environment}-${tier}-${stamp}`;
}

/** The tier a backup's name says, for this environment; "scheduled" for a name the CLI did not give. */
export function tierOf(environment: string, name: string): BackupTier {
  const prefix = `evalap-${environment}-`;
  if (!name.startsWith(prefix)) return "scheduled";
  const m = /^(daily|weekly|monthly|premigrate)-\d{8}T\d{6}Z$/.exec(name.slice(prefix.length));
  return m ? (m[1] as ManualTier) : "scheduled";
}

/** The expiry `backup run` sets: created + the tier's days (daily: the schedule's retention). */
export function expiryOf(tier: ManualTier, created: Date, scheduleRetentionDays: number): Date {
  const days = tier === "daily" ? scheduleRetentionDays : TIER_RETENTION_DAYS[tier];
  return new Date(created.getTime() + days * DAY_MS);
}

const createdMs = (b: BackupView): number => (b.created === null ? Number.NEGATIVE_INFINITY : Date.parse(b.created));
const newestFirst = (a: BackupView, b: BackupView): number => createdMs(b) - createdMs(a);

/** The newest ready backup among those of the given tiers. */
export function newestReady(backups: readonly BackupView[], tiers: readonly BackupTier[]): BackupView | undefined {
  return backups.filter((b) => b.status === "ready" && tiers.includes(b.tier)).sort(newestFirst)[0];
}

/** Backups whose tier counts as daily: the CLI's daily ones and the schedule's. */
export const DAILY_TIERS: readonly BackupTier[] = ["daily", "scheduled"];

/**
 * What `prune` deletes: manual backups the CLI made, ready, whose expiry passed; never the newest
 * ready backup of a tier (a tier whose newest expired keeps it until a newer one exists). The
 * schedule's backups are Scaleway's to expire.
 */
export function pruneCandidates(backups: readonly BackupView[], now: number): BackupView[] {
  const keep = new Set<string>();
  for (const tier of MANUAL_TIERS) {
    const newest = newestReady(backups, [tier]);
    if (newest) keep.add(newest.id);
  }
  return backups
    .filter((b) => b.tier !== "scheduled" && b.status === "ready" && !keep.has(b.id))
    .filter((b) => b.expires !== null && Date.parse(b.expires) <= now)
    .sort(newestFirst);
}

/** The instance's automatic backup schedule (rdb/v1 BackupSchedule). */
export interface Schedule {
  disabled: boolean;
  frequencyHours: number;
  retentionDays: number;
}

export type CheckName = "daily" | "weekly" | "monthly" | "retention" | "errors";

export interface CheckResult {
  check: CheckName;
  ok: boolean;
  /** The exit code this check gives when it fails. */
  exitCode: number;
  message: string;
  /** The failed backups (check `errors`), each with what is known of why. */
  failed?: { id: string; name: string; created: string | null; reason: string }[];
}

/** Exit code per check (README, "Exit codes"); the lowest failing one is the run's. */
export const CHECK_EXIT: Readonly<Record<CheckName, number>> = {
  daily: ExitCode.BackupStale,
  weekly: ExitCode.BackupMissing,
  monthly: ExitCode.BackupMissing,
  retention: ExitCode.BackupRetention,
  errors: ExitCode.BackupFailed,
};

export interface VerifyInput {
  backups: readonly BackupView[];
  schedule: Schedule;
  now: number;
  /** The daily retention the environment must keep: 30 for a protected one (the spec), null where the root decides (staging). */
  requiredDailyRetentionDays: number | null;
}

const ageText = (ms: number): string => (ms >= 2 * DAY_MS ? `${Math.floor(ms / DAY_MS)} days` : `${Math.floor(ms / HOUR_MS)} h`);

/** The policy checks of `backup verify`, in a fixed order. */
export function verifyPolicy(input: VerifyInput): CheckResult[] {
  const { backups, now } = input;
  const result = (check: CheckName, ok: boolean, message: string): CheckResult => ({ check, ok, exitCode: CHECK_EXIT[check], message });
  const checks: CheckResult[] = [];

  const daily = newestReady(backups, DAILY_TIERS);
  const dailyAge = daily ? now - createdMs(daily) : null;
  checks.push(
    dailyAge === null
      ? result("daily", false, "no ready daily backup: the automatic schedule has made none and no `backup run --tier daily` either")
      : result("daily", dailyAge < FRESHNESS_MS.daily, `newest daily backup ${daily?.name ?? ""} is ${ageText(dailyAge)} old (limit 26 h)`),
  );
  for (const tier of ["weekly", "monthly"] as const) {
    const newest = newestReady(backups, [tier]);
    const age = newest ? now - createdMs(newest) : null;
    const days = FRESHNESS_MS[tier] / DAY_MS;
    checks.push(
      age === null
        ? result(tier, false, `no ready ${tier} backup (one is needed in the last ${days} days): run \`backup run <env> --tier ${tier}\``)
        : result(tier, age < FRESHNESS_MS[tier], `newest ${tier} backup ${newest?.name ?? ""} is ${ageText(age)} old (limit ${days} days)`),
    );
  }

  checks.push(retentionCheck(input));

  const failed = backups.filter((b) => b.status === "error");
  const errors = result(
    "errors",
    failed.length === 0,
    failed.length === 0 ? "no backup in error" : `${failed.length} backup(s) in error: ${failed.map((b) => b.name).join(", ")}`,
  );
  if (failed.length > 0) {
    errors.failed = failed.map((b) => ({
      id: b.id,
      name: b.name,
      created: b.created,
      // rdb/v1 DatabaseBackup has no field for why (types.gen.d.ts): the status and its time are all the API says.
      reason: `status error${b.updated ? ` since ${b.updated}` : ""} (the RDB API gives no cause: see the instance's logs in the console)`,
    }));
  }
  checks.push(errors);
  return checks;
}

function retentionCheck(input: VerifyInput): CheckResult {
  const { schedule, backups, requiredDailyRetentionDays } = input;
  const problems: string[] = [];
  if (schedule.disabled) problems.push("the automatic backup schedule is disabled");
  if (schedule.frequencyHours > 24) problems.push(`the schedule runs every ${schedule.frequencyHours} h (more than a day)`);
  if (requiredDailyRetentionDays !== null && schedule.retentionDays !== requiredDailyRetentionDays)
    problems.push(`the schedule keeps ${schedule.retentionDays} days, the policy ${requiredDailyRetentionDays}`);
  for (const b of backups) {
    if (b.tier === "scheduled" || b.created === null) continue;
    const days = b.tier === "daily" ? schedule.retentionDays : TIER_RETENTION_DAYS[b.tier];
    const wanted = createdMs(b) + days * DAY_MS;
    if (b.expires === null) problems.push(`${b.name} never expires (a ${b.tier} backup is kept ${days} days)`);
    else if (Math.abs(Date.parse(b.expires) - wanted) > EXPIRY_TOLERANCE_MS)
      problems.push(`${b.name} expires ${b.expires}, not ${days} days after its creation`);
  }
  return {
    check: "retention",
    ok: problems.length === 0,
    exitCode: CHECK_EXIT.retention,
    message:
      problems.length === 0
        ? `schedule every ${schedule.frequencyHours} h kept ${schedule.retentionDays} days; manual expiries follow their tiers`
        : problems.join("; "),
  };
}

/** The run's exit code: the lowest of the failed checks', 0 when all pass. */
export function verifyExitCode(checks: readonly { ok: boolean; exitCode: number }[]): number {
  const failed = checks.filter((c) => !c.ok).map((c) => c.exitCode);
  return failed.length === 0 ? ExitCode.Ok : Math.min(...failed);
}
