/**
 * Exit codes of evalap-infra. They are part of the public contract (README, "Exit codes"):
 * CI jobs branch on them, so a code is never reused for another meaning.
 */
export const ExitCode = {
  Ok: 0,
  /** An operation failed (tofu error, permanent failure). */
  Failure: 1,
  /** `plan --detailed-exitcode`: the plan has changes (same meaning as tofu's); `drift`: something changed outside tofu. */
  ChangesPresent: 2,
  /** Bad command line or invalid project configuration. */
  Usage: 3,
  /** The deployment lock stayed held by someone else past --lock-timeout. */
  LockHeld: 4,
  /** The plan guard refused (protected environment without confirmation, destructive change). */
  GuardRefused: 5,
  /** A transient failure outlived every retry or the retry time budget. */
  RetriesExhausted: 6,
  /** Health gate failed; the previous release was restored. */
  RolledBack: 7,
  /** Health gate failed and no rollback restored service (none possible, disabled, or failed). */
  HealthFailed: 8,
  /** A prerequisite is missing (tofu binary, provider, credentials). */
  Prerequisite: 9,
  /** The state backend (Object Storage bucket) cannot be reached; nothing was written. */
  BackendUnavailable: 10,
  /** A release left pending by a run that died needs a decision: resume it or roll back. */
  PendingRelease: 11,
  /** tofu applied changes but could not save the state: it is kept locally; push it with `state push`. */
  StateNotPersisted: 12,
  /** The run could not prove it still held the remote lease (lost, or the bucket unreachable): no further tofu step ran. */
  LockLost: 13,
  /** `sandbox status|push|env`: no sandbox answers on this data folder (none running, or it does not answer). */
  SandboxNotRunning: 14,
  /** `sandbox up`: a sandbox already runs on this data folder. */
  SandboxRunning: 15,
  /** `sandbox up --port N`: the port is taken by another process. */
  PortInUse: 16,
  /** `deploy`: the release is healthy, but pushing the alert rules to Cockpit failed (retry with `alerts sync <env>`). */
  AlertsNotSynced: 17,
  /** `secrets rotate`: a rotation left unfinished by a run that stopped needs `--resume` or `--undo`. */
  RotationUnfinished: 18,
  /** `backup verify`: no ready daily backup younger than 26 h. */
  BackupStale: 19,
  /** `backup verify`: no ready weekly backup in the last 8 days, or monthly in the last 32. */
  BackupMissing: 20,
  /** `backup verify`: the schedule or a manual backup's expiry does not follow the retention policy. */
  BackupRetention: 21,
  /** `backup verify`: a backup is in error. */
  BackupFailed: 22,
  /** `backup verify --restore-test`: the restore, a check of the restored data, or the 10-minute target failed. */
  RestoreTestFailed: 23,
  /** `backup run`, `--restore-test`: the backup or the instance stayed busy past the deadline (`--timeout`). */
  BackupNotReady: 24,
  /** `migrate`: Alembic failed in the runner; the error names the backup taken first and how to restore it. */
  MigrationFailed: 25,
  /** Interrupted by SIGINT. */
  Interrupted: 130,
  /** Stopped by SIGTERM. */
  Terminated: 143,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code: the root help's list; README's table says the same (a test compares them). */
export const EXIT_CODE_DESCRIPTIONS: Readonly<Record<ExitCodeValue, string>> = {
  [ExitCode.Ok]: "success",
  [ExitCode.Failure]: "the operation failed (a tofu error, a permanent failure, validation or scan problems)",
  [ExitCode.ChangesPresent]: "plan --detailed-exitcode: the plan has changes; drift: drift found (changes outside tofu)",
  [ExitCode.Usage]: "usage error or invalid configuration",
  [ExitCode.LockHeld]: "the deployment lock, or a tofu state lock whose holder is not proven dead, stayed held past --lock-timeout",
  [ExitCode.GuardRefused]: "the plan guard refused (stateful destroy, protected environment without confirmation)",
  [ExitCode.RetriesExhausted]: "a transient failure outlived every retry or the retry budget",
  [ExitCode.RolledBack]: "health check failed; the previous release was restored",
  [ExitCode.HealthFailed]: "health check failed and service was not restored",
  [ExitCode.Prerequisite]: "a prerequisite is missing (doctor, credentials, a required variable without a value)",
  [ExitCode.BackendUnavailable]: "the state backend (bucket) is unreachable (at the preflight: nothing was written)",
  [ExitCode.PendingRelease]: "a release left pending by a run that died needs deploy --resume or rollback",
  [ExitCode.StateNotPersisted]: "tofu applied but could not save the state: it is kept locally; run state push",
  [ExitCode.LockLost]: "the run lost its lease (or could not prove it held it): no further tofu step ran",
  [ExitCode.SandboxNotRunning]: "no sandbox answers on this data folder: start one with sandbox up",
  [ExitCode.SandboxRunning]: "a sandbox already runs on this data folder: sandbox down first",
  [ExitCode.PortInUse]: "the port given to sandbox up is taken by another process",
  [ExitCode.AlertsNotSynced]: "deploy: the release is healthy, but the alert rules were not synced: run alerts sync <env>",
  [ExitCode.RotationUnfinished]: "secrets rotate: a rotation left unfinished by a run that stopped needs --resume or --undo",
  [ExitCode.BackupStale]: "backup verify: no ready daily backup younger than 26 h",
  [ExitCode.BackupMissing]: "backup verify: no ready weekly backup in the last 8 days, or monthly in the last 32",
  [ExitCode.BackupRetention]: "backup verify: the backup schedule or a manual backup's expiry does not follow the retention policy",
  [ExitCode.BackupFailed]: "backup verify: a backup is in error (each one is reported)",
  [ExitCode.RestoreTestFailed]: "backup verify --restore-test: the restore, a check of the restored data or the 10-minute target failed",
  [ExitCode.BackupNotReady]: "backup run, restore test: the backup or the instance stayed busy past --timeout",
  [ExitCode.MigrationFailed]:
    "migrate (and a deploy that migrates): the migration failed; the error names the backup taken first and the restore command",
  [ExitCode.Interrupted]: "interrupted (SIGINT): tofu was stopped gracefully, locks released",
  [ExitCode.Terminated]: "terminated (SIGTERM), likewise",
};
