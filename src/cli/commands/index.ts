import type { CommandDefinition, GroupName } from "../command.js";
import { alertsCheckDefinition, alertsSyncDefinition } from "./alerts.command.js";
import { backupListDefinition, backupPruneDefinition, backupRunDefinition, backupVerifyDefinition } from "./backup.command.js";
import { configCheckDefinition, configSchemaDefinition } from "./config.command.js";
import { costDefinition } from "./cost.command.js";
import { deployDefinition } from "./deploy.command.js";
import { doctorDefinition } from "./doctor.command.js";
import { driftDefinition } from "./drift.command.js";
import { initDefinition } from "./init.command.js";
import { migrateDefinition } from "./migrate.command.js";
import { lockReleaseDefinition, lockStatusDefinition } from "./lock.command.js";
import { planDefinition } from "./plan.command.js";
import { historyDefinition, releasesListDefinition } from "./releases.command.js";
import { rollbackDefinition } from "./rollback.command.js";
import {
  sandboxDownDefinition,
  sandboxEnvDefinition,
  sandboxPushDefinition,
  sandboxResetDefinition,
  sandboxServeDefinition,
  sandboxStatusDefinition,
  sandboxUpDefinition,
} from "./sandbox.command.js";
import { scanDefinition } from "./scan.command.js";
import { secretsListDefinition, secretsRotateDefinition, secretsSetDefinition } from "./secrets.command.js";
import { statePushDefinition } from "./state.command.js";
import { statusDefinition } from "./status.command.js";
import { validateDefinition } from "./validate.command.js";

/** Every command, in the order of the help. Only definitions: their bodies load when they run. */
export const COMMANDS: ReadonlyArray<CommandDefinition<never>> = [
  deployDefinition,
  rollbackDefinition,
  releasesListDefinition,
  historyDefinition,
  statusDefinition,
  driftDefinition,
  lockStatusDefinition,
  lockReleaseDefinition,
  statePushDefinition,
  planDefinition,
  costDefinition,
  alertsCheckDefinition,
  alertsSyncDefinition,
  secretsListDefinition,
  secretsSetDefinition,
  secretsRotateDefinition,
  backupListDefinition,
  backupRunDefinition,
  backupVerifyDefinition,
  backupPruneDefinition,
  migrateDefinition,
  validateDefinition,
  doctorDefinition,
  initDefinition,
  scanDefinition,
  configSchemaDefinition,
  configCheckDefinition,
  sandboxUpDefinition,
  sandboxStatusDefinition,
  sandboxDownDefinition,
  sandboxResetDefinition,
  sandboxPushDefinition,
  sandboxEnvDefinition,
  sandboxServeDefinition,
];

export const GROUPS: Record<GroupName, string> = {
  releases: "the release history of an environment",
  lock: "inspect or break the deployment lock of an environment",
  state: "the OpenTofu state of an environment",
  config: "inspect the project configuration",
  alerts: "the Prometheus alert rules of infra/alerts, pushed to each environment's Cockpit",
  secrets: "the Secret Manager secrets of an environment (never their values)",
  backup: "the backups of an environment's database: list, run, verify (with a restore test), prune",
  sandbox: "a local emulator of the Scaleway APIs to deploy EvalAP on, with no account",
};
