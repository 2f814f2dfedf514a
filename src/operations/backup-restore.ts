import type { Rdbv1 } from "@scaleway/sdk-rdb";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { newestReady, RESTORE_TARGET_MS, TIERS, type BackupView } from "../backup/policy.js";
import { rdbFailure, toView, waitBackupSettled, whenInstanceFree, type RdbApi, type WaitOptions } from "../backup/rdb.js";
import { checkRestored, connect, MAIN_TABLES, type Endpoint, type Login, type RestoreChecks } from "../backup/restore-check.js";
import { scalewayClient } from "../scaleway/client.js";
import { secretsApiError } from "../secrets/read.js";
import type { SecretRef } from "../secrets/outputs.js";
import { audited } from "./audit-trail.js";
import { openTarget, verifyTarget, waitOptions, type BackupTarget, type Timing, type VerifyReport } from "./backup.js";
import { retryPolicy, step, type RunContext } from "./context.js";
import { withEnvironment } from "./remote.js";

export interface RestoreTestOptions {
  environment: string;
  /** The alembic revision the release expects in the database (`--expect-revision`). */
  expectRevision?: string;
  /** The CLI runs inside the environment's private network: the private endpoint is reachable. */
  privateEndpoint: boolean;
  timing: Timing;
  lockTimeoutMs?: number;
}

export interface RestoreCheckLine {
  check: "restored" | "alembic" | "tables" | "target";
  ok: boolean;
  message: string;
}

export interface RestoreTestResult {
  backup: BackupView;
  /** The scratch database the backup was restored into, then dropped. */
  database: string;
  restoreMs: number;
  targetMs: number;
  alembic: string[] | null;
  tables: Record<string, number | null>;
  checks: RestoreCheckLine[];
  dropped: boolean;
  ok: boolean;
}

/** The scratch database's name: `evalap_restore_<UTC stamp>` (a valid RDB and PostgreSQL name). */
export function scratchName(at: Date): string {
  return `evalap_restore_${at.toISOString().replace(/\D/g, "").slice(0, 14)}`;
}

/**
 * Where the CLI can reach the instance: its public (load balancer) endpoint when it has one; else
 * its private endpoint, only when the CLI runs inside the private network (`--private-endpoint`) or
 * on the sandbox, which serves every endpoint on 127.0.0.1. Production has only a private one.
 */
export function reachableEndpoint(
  environment: string,
  instance: Rdbv1.Instance,
  allowPrivate: boolean,
): { host: string; port: number; kind: "public" | "private" } {
  const lb = instance.endpoints.find((e) => e.loadBalancer !== undefined && e.ip);
  if (lb?.ip) return { host: lb.ip, port: lb.port, kind: "public" };
  const pn = instance.endpoints.find((e) => e.privateNetwork !== undefined);
  const pnHost = pn?.ip ?? pn?.privateNetwork?.serviceIp?.split("/")[0];
  if (pn && pnHost && allowPrivate) return { host: pnHost, port: pn.port, kind: "private" };
  throw new EvalapError(
    "restore_test_unreachable",
    `${environment}'s database has no public endpoint${pn ? ", only a private one" : ""}: the restore test cannot connect to it from here`,
    {
      exitCode: ExitCode.Prerequisite,
      hint: pn
        ? `run \`evalap-infra backup verify ${environment} --restore-test --private-endpoint\` from a machine inside the environment's private network (README, "backup"); nothing was restored`
        : "the instance has no endpoint: check it in the console; nothing was restored",
    },
  );
}

/** GetInstanceCertificate answers the PEM (`dl=1`); a JSON file object (`content` in base64) is read too. */
async function certificatePem(api: RdbApi, instance: SecretRef): Promise<string> {
  let text: string;
  try {
    text = await (await api.getInstanceCertificate({ region: instance.region, instanceId: instance.id })).text();
  } catch (err) {
    throw rdbFailure(err, "reading the instance's TLS certificate", "check that the environment is deployed");
  }
  if (text.trimStart().startsWith("{")) {
    const parsed = JSON.parse(text) as { content?: unknown };
    if (typeof parsed.content === "string") return Buffer.from(parsed.content, "base64").toString("utf8");
  }
  return text;
}

/** The instance's admin login: DB_ADMIN_PASSWORD's latest enabled version (redacted before use), the admin user from ListUsers. */
async function adminLogin(ctx: RunContext, t: BackupTarget): Promise<Login> {
  const ref = t.db.adminPasswordSecret;
  if (!ref) {
    throw new EvalapError("restore_test_no_credentials", `${t.env.name}'s root has no DB_ADMIN_PASSWORD in its secret_ids output`, {
      exitCode: ExitCode.Prerequisite,
      hint: `deploy the current root (\`evalap-infra deploy ${t.env.name}\`): it stores the admin password in Secret Manager`,
    });
  }
  let password: string;
  try {
    const got = await (await t.scw.secrets()).accessSecretVersion({ region: ref.region, secretId: ref.id, revision: "latest_enabled" });
    password = Buffer.from(got.data, "base64").toString("utf8");
  } catch (err) {
    throw secretsApiError(err, "reading DB_ADMIN_PASSWORD");
  }
  ctx.redactor.add(password);
  let admins: Rdbv1.User[];
  try {
    admins = (await t.api.listUsers({ region: t.db.instance.region, instanceId: t.db.instance.id }).all()).filter((u) => u.isAdmin);
  } catch (err) {
    throw rdbFailure(err, "listing the instance's users", "check that the environment is deployed");
  }
  // The instance's own admin (managed-postgresql's admin_user_name, default evalap_admin) first.
  const user = admins.find((u) => u.name === "evalap_admin") ?? admins[0];
  if (!user) {
    throw new EvalapError("restore_test_no_admin", "the instance has no admin user to run the checks with", {
      exitCode: ExitCode.Prerequisite,
      hint: "the managed-postgresql module creates one with the instance: redeploy the environment",
    });
  }
  return { user: user.name, password };
}

export interface VerifyWithRestore {
  report: VerifyReport;
  restore: RestoreTestResult;
}

/**
 * backup verify --restore-test: under the environment's lease, the policy checks, then a restore
 * of the newest ready backup into a new scratch database of the same instance (RDB
 * RestoreDatabaseBackup), checked over a real connection and dropped (RDB DeleteDatabase) on every
 * path: success, failed check, error, SIGINT. The drop uses a client without the run's abort
 * signal, so an interrupted run still cleans up, within its own deadline.
 */
export function verifyWithRestore(ctx: RunContext, env: ResolvedEnvironment, opts: RestoreTestOptions): Promise<VerifyWithRestore> {
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, (locked, { remote, holder }) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      "backup.restore-test",
      async (): Promise<VerifyWithRestore> => {
        const t = await openTarget(locked, env);
        const report = await verifyTarget(locked, t);
        return { report, restore: await restoreTestLocked(locked, t, opts) };
      },
      ({ restore: r }) => ({
        outcome: r.ok ? "ok" : "failed",
        detail: `${r.backup.name} restored into ${r.database} in ${Math.round(r.restoreMs / 1000)} s${
          r.ok
            ? ""
            : `; failed: ${r.checks
                .filter((c) => !c.ok)
                .map((c) => c.check)
                .join(", ")}`
        }${r.dropped ? "" : "; scratch database NOT dropped"}`,
      }),
    ),
  );
}

async function restoreTestLocked(ctx: RunContext, t: BackupTarget, opts: RestoreTestOptions): Promise<RestoreTestResult> {
  const env = t.env;
  const instance = await step(ctx, "instance", async () => {
    try {
      return await t.api.getInstance({ region: t.db.instance.region, instanceId: t.db.instance.id });
    } catch (err) {
      throw rdbFailure(err, "reading the instance", "check that the environment is deployed");
    }
  });
  // Everything that can refuse is checked before anything is made.
  const where = reachableEndpoint(env.name, instance, opts.privateEndpoint || env.sandbox);
  const backups = await step(ctx, "backups", async () => {
    try {
      const all = await t.api.listDatabaseBackups({ region: t.db.instance.region, instanceId: t.db.instance.id }).all();
      return all.filter((b) => b.databaseName === t.db.databaseName).map((b) => toView(env.name, b));
    } catch (err) {
      throw rdbFailure(err, "listing the backups", "check that the environment is deployed");
    }
  });
  const backup = newestReady(backups, [...TIERS, "scheduled"]);
  if (!backup) {
    throw new EvalapError("restore_test_no_backup", `${env.name} has no ready backup to restore`, {
      exitCode: ExitCode.RestoreTestFailed,
      hint: `make one with \`evalap-infra backup run ${env.name}\``,
    });
  }
  const login = await adminLogin(ctx, t);
  const endpoint: Endpoint = { host: where.host, port: where.port, caPem: await certificatePem(t.api, t.db.instance) };
  const database = scratchName(new Date());
  const region = t.db.instance.region;
  const wait = waitOptions(ctx, opts.timing, "restore");

  // Set before the create is sent: a create cut short (SIGINT, a lost answer) may still have made it.
  let asked = false;
  let dropped = false;
  try {
    await step(
      ctx,
      "scratch database",
      async () => {
        asked = true;
        try {
          await whenInstanceFree(t.api, t.db.instance, wait, () =>
            t.api.createDatabase({ region, instanceId: t.db.instance.id, name: database }),
          );
        } catch (err) {
          throw err instanceof EvalapError
            ? err
            : rdbFailure(err, `creating the scratch database ${database}`, "run the restore test again");
        }
      },
      () => ({ detail: database }),
    );
    const started = Date.now();
    const settled = await step(
      ctx,
      "restore",
      async () => {
        try {
          await whenInstanceFree(t.api, t.db.instance, wait, () =>
            t.api.restoreDatabaseBackup({ region, databaseBackupId: backup.id, instanceId: t.db.instance.id, databaseName: database }),
          );
        } catch (err) {
          throw err instanceof EvalapError
            ? err
            : rdbFailure(err, `restoring ${backup.name} into ${database}`, "run the restore test again");
        }
        return waitBackupSettled(t.api, region, backup.id, wait);
      },
      (b) => ({ detail: `${backup.name} → ${database}: ${b.status}` }),
    );
    const restoreMs = Date.now() - started;
    const checks = settled.status === "ready" ? await step(ctx, "check", () => inspect(endpoint, login, database, ctx.signal)) : null;
    const lines = checkLines(settled.status, checks, restoreMs, opts.expectRevision);
    return {
      backup,
      database,
      restoreMs,
      targetMs: RESTORE_TARGET_MS,
      alembic: checks?.alembic ?? null,
      tables: checks?.tables ?? {},
      checks: lines,
      dropped: (dropped = await dropScratch(ctx, t, database, opts.timing)),
      ok: lines.every((c) => c.ok),
    };
  } finally {
    if (asked && !dropped) await dropScratch(ctx, t, database, opts.timing);
  }
}

async function inspect(endpoint: Endpoint, login: Login, database: string, signal: AbortSignal): Promise<RestoreChecks> {
  const client = await connect(endpoint, login, database, signal);
  try {
    return await checkRestored(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function checkLines(status: string, checks: RestoreChecks | null, restoreMs: number, expect: string | undefined): RestoreCheckLine[] {
  const lines: RestoreCheckLine[] = [
    { check: "restored", ok: status === "ready", message: status === "ready" ? "the restore completed" : `the backup ended ${status}` },
  ];
  if (checks) {
    const a = checks.alembic;
    lines.push({
      check: "alembic",
      ok: a !== null && a.length > 0 && (expect === undefined || a.includes(expect)),
      message:
        a === null
          ? "alembic_version is missing: the restored database has no schema revision"
          : a.length === 0
            ? "alembic_version is empty"
            : expect !== undefined && !a.includes(expect)
              ? `alembic_version is ${a.join(", ")}, the release expects ${expect}`
              : `alembic_version ${a.join(", ")}`,
    });
    const missing = MAIN_TABLES.filter((n) => checks.tables[n] === null);
    lines.push({
      check: "tables",
      ok: missing.length === 0,
      message:
        missing.length === 0
          ? MAIN_TABLES.map((n) => `${n} ${checks.tables[n] ?? 0}`).join(", ")
          : `missing table(s): ${missing.join(", ")}`,
    });
  }
  lines.push({
    check: "target",
    ok: restoreMs <= RESTORE_TARGET_MS,
    message: `restored in ${(restoreMs / 1000).toFixed(1)} s (target ${RESTORE_TARGET_MS / 60_000} min)`,
  });
  return lines;
}

/**
 * Drops the scratch database through RDB's DeleteDatabase, waiting while the instance is busy
 * (a restore still running), within the run's --timeout; one that is not there (its create never
 * arrived) counts as dropped. Its own client has no abort signal: it
 * runs after a SIGINT too. Never throws: a database left behind is reported by name.
 */
async function dropScratch(ctx: RunContext, t: BackupTarget, database: string, timing: Timing): Promise<boolean> {
  const scw = await scalewayClient(process.env, { policy: retryPolicy(ctx.config), events: ctx.events });
  const api = await scw.rdb();
  const wait: WaitOptions = { deadline: Date.now() + timing.timeoutMs, pollMs: timing.pollMs, signal: new AbortController().signal };
  return step(
    ctx,
    "drop scratch database",
    async () => {
      try {
        await whenInstanceFree(api, t.db.instance, wait, () =>
          api.deleteDatabase({ region: t.db.instance.region, instanceId: t.db.instance.id, name: database }),
        );
        return true;
      } catch (err) {
        if ((err as { status?: unknown }).status === 404) return true;
        ctx.events.emit({
          type: "log",
          level: "warn",
          message: `the scratch database ${database} could not be dropped (${err instanceof Error ? err.message : String(err)}): delete it in the console or with \`scw rdb database delete instance-id=${t.db.instance.id} name=${database}\``,
        });
        return false;
      }
    },
    (ok) => ({ outcome: ok ? "ok" : "failed", detail: database }),
  );
}
