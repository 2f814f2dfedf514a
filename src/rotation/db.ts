import type { Rdbv1 } from "@scaleway/sdk-rdb";
import type { Secretv1beta1 } from "@scaleway/sdk-secret";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { sdkFailure } from "../scaleway/errors.js";
import { secretsApiError } from "../secrets/read.js";
import type { SecretRef } from "../secrets/outputs.js";

/**
 * The database side of a rotation. DB_APP_CREDENTIALS holds `{"user", "password"}` (written first by
 * the managed-postgresql module, then by rotations); the containers' POSTGRES_URL is derived from
 * its latest enabled version. Two users take turns: a rotation gives the one not in use a new
 * password, so instances still running the previous revision keep connecting as the other.
 */

/** The user the latest enabled credentials name. Reads the value (the only way to know the user) and keeps nothing else of it. */
export async function currentDbUser(api: Secretv1beta1.API, ref: SecretRef): Promise<{ user: string; revision: number }> {
  let data: string;
  let revision: number;
  try {
    const got = await api.accessSecretVersion({
      region: ref.region,
      secretId: ref.id,
      revision: "latest_enabled",
    });
    data = Buffer.from(got.data, "base64").toString("utf8");
    revision = got.revision;
  } catch (err) {
    throw secretsApiError(err, `reading the database credentials ${ref.region}/${ref.id}`);
  }
  const user = userOf(data);
  if (user === null) {
    throw new EvalapError(
      "db_credentials_invalid",
      `revision ${revision} of DB_APP_CREDENTIALS is not {"user": ..., "password": ...} JSON`,
      {
        hint: "it is written by the managed-postgresql module and by `evalap-infra secrets rotate`; disable that version if it was written by hand",
      },
    );
  }
  return { user, revision };
}

function userOf(data: string): string | null {
  try {
    const parsed = JSON.parse(data) as unknown;
    if (typeof parsed === "object" && parsed !== null && "user" in parsed && "password" in parsed) {
      const { user, password } = parsed;
      if (typeof user === "string" && user !== "" && typeof password === "string" && password !== "") return user;
    }
  } catch {
    // not JSON: reported by the caller without echoing the text
  }
  return null;
}

/** The other of the environment's two users: the one a rotation gives a new password. */
export function nextDbUser(users: readonly string[], current: string): string {
  if (users.length !== 2 || !users.includes(current)) {
    throw new EvalapError(
      "db_users_unexpected",
      `the database credentials name user ${current}, but the root's database output lists ${users.length === 0 ? "no users" : users.join(", ")}`,
      {
        exitCode: ExitCode.Prerequisite,
        hint: "deploy the environment first: its root creates the two application users the rotation alternates between",
      },
    );
  }
  return users[0] === current ? (users[1] as string) : (users[0] as string);
}

/** The credentials JSON a new version holds. */
export function credentialsValue(user: string, password: string): string {
  return JSON.stringify({ user, password });
}

/** Sets a user's password through RDB's UpdateUser; existing sessions keep running (PostgreSQL checks passwords at login only). */
export async function setDbPassword(api: Rdbv1.API, instance: SecretRef, user: string, password: string): Promise<void> {
  try {
    await api.updateUser({ region: instance.region, instanceId: instance.id, name: user, password });
  } catch (err) {
    throw sdkFailure(err, `setting the password of database user ${user} on instance ${instance.region}/${instance.id}`, {
      unauthorized: {
        code: "rdb_unauthorized",
        hint: "use an API key whose IAM policy grants RelationalDatabasesFullAccess on the environment's project (the deployer application of infra/bootstrap)",
      },
      failed: {
        code: "rdb_update_user",
        hint: "check that the instance is ready (not in maintenance), then run `secrets rotate --resume`",
      },
    });
  }
}

/**
 * Gives `user` the "all" permission on the database again. Scaleway applies a permission to the
 * objects that exist when it is set, not to objects created later (docs: managed-databases-for-
 * postgresql-and-mysql/api-cli/advanced-user-permissions, "Custom permissions"): the tables the
 * other user's migrations created since would be out of reach of the user a rotation switches to.
 * Setting it again right before the switch covers every table that exists.
 */
export async function refreshDbPrivilege(api: Rdbv1.API, instance: SecretRef, database: string, user: string): Promise<void> {
  try {
    await api.setPrivilege({
      region: instance.region,
      instanceId: instance.id,
      databaseName: database,
      userName: user,
      permission: "all",
    });
  } catch (err) {
    throw sdkFailure(err, `setting the privileges of database user ${user} on ${database}`, {
      unauthorized: {
        code: "rdb_unauthorized",
        hint: "use an API key whose IAM policy grants RelationalDatabasesFullAccess on the environment's project (the deployer application of infra/bootstrap)",
      },
      failed: {
        code: "rdb_set_privilege",
        hint: "check that the instance is ready (not in maintenance), then run `secrets rotate --resume`",
      },
    });
  }
}
