import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { secretRef, withRegion, type SecretRef } from "../secrets/outputs.js";
import type { OutputValue } from "../tofu/commands.js";

/** What the backup commands read from the root's outputs (infra/README.md, "Outputs the CLI reads"). */
export interface DatabaseOutputs {
  /** The RDB instance, from `database.instance_id` (`fr-par/<uuid>`). */
  instance: SecretRef;
  /** The application database EvalAP uses (`database.database_name`). */
  databaseName: string;
  /** Whether the instance has a public (load balancer) endpoint (`database.public_endpoint`). */
  publicEndpoint: boolean;
  /** DB_ADMIN_PASSWORD's secret (`secret_ids`), for the restore test's connection; undefined when the root has none. */
  adminPasswordSecret: SecretRef | undefined;
}

/** The root's `database` and `secret_ids` outputs; a root never applied is a prerequisite (exit 9) naming the deploy. */
export function databaseOutputs(environment: string, outputs: Record<string, OutputValue>, fallbackRegion: string): DatabaseOutputs {
  if (Object.keys(outputs).length === 0) {
    throw new EvalapError("database_not_deployed", `${environment} has no database yet: its root has no outputs (never deployed)`, {
      exitCode: ExitCode.Prerequisite,
      hint: `run \`evalap-infra deploy ${environment}\` first: its first apply creates the RDB instance`,
    });
  }
  const db = outputs.database?.value;
  const record = typeof db === "object" && db !== null && !Array.isArray(db) ? (db as Record<string, unknown>) : undefined;
  const instanceId = record?.instance_id;
  const databaseName = record?.database_name;
  if (typeof instanceId !== "string" || instanceId === "" || typeof databaseName !== "string" || databaseName === "") {
    throw new EvalapError("database_outputs_invalid", `${environment}: the root's database output has no instance_id or database_name`, {
      hint: "database must be an object with instance_id (fr-par/<uuid>) and database_name (infra/modules/evalap-platform/outputs.tf); deploy the current root",
    });
  }
  const ref = secretRef(instanceId);
  const ids = outputs.secret_ids?.value;
  const admin =
    typeof ids === "object" && ids !== null && typeof (ids as Record<string, unknown>).DB_ADMIN_PASSWORD === "string"
      ? secretRef((ids as Record<string, string>).DB_ADMIN_PASSWORD ?? "")
      : undefined;
  return {
    instance: withRegion(ref, fallbackRegion),
    databaseName,
    publicEndpoint: record?.public_endpoint === true,
    adminPasswordSecret: admin === undefined ? undefined : withRegion(admin, fallbackRegion),
  };
}
