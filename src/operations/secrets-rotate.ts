import type { Secretv1beta1 } from "@scaleway/sdk-secret";
import { scalewayFor } from "./scaleway.js";
import type { ResolvedEnvironment } from "../config/load.js";
import { abortableSleep } from "../core/sleep.js";
import { EvalapError, UsageError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { LockHolder } from "../lock/holder.js";
import { formatDuration } from "../report/format.js";
import { credentialsValue, currentDbUser, nextDbUser, refreshDbPrivilege, setDbPassword } from "../rotation/db.js";
import {
  bucketRotations,
  isFinished,
  localRotations,
  newRotationId,
  versionDescription,
  type RotatedSecret,
  type RotationRecord,
  type RotationStore,
} from "../rotation/record.js";
import { type ScalewayConnection } from "../scaleway/client.js";
import { DB_CREDENTIALS, secretKind } from "../secrets/catalogue.js";
import { generateDbPassword, generateToken } from "../secrets/generate.js";
import { secretOutputs, secretRef, withRegion, type SecretOutputs, type SecretRef } from "../secrets/outputs.js";
import { createVersion, fingerprint, listVersions, setVersionEnabled } from "../secrets/versions.js";
import { isDue } from "../secrets/status.js";
import * as tofu from "../tofu/commands.js";
import type { OutputValue } from "../tofu/commands.js";
import { audited } from "./audit-trail.js";
import { stateDir, step, type RunContext } from "./context.js";
import { unchangedReleaseVars } from "./deploy-release.js";
import { abandonedReleases, assertStatePersisted, PendingReleaseError } from "./pending.js";
import { initStep } from "./plan.js";
import { runReleaseFlow, type ReleaseFlowResult } from "./release-flow.js";
import { isDefiniteApplyFailure } from "./release-records.js";
import { audit, withEnvironment, type EnvironmentRemote } from "./remote.js";

export interface RotateOptions {
  environment: string;
  /** Secret names; with `all` or `due` they must be empty. */
  names: string[];
  all: boolean;
  due: boolean;
  /** Continue the unfinished rotation; `undo`: take it back instead. */
  resume: boolean;
  undo: boolean;
  /** Overrides the config's secrets.grace. */
  graceMs?: number;
  lockTimeoutMs?: number;
  yes: boolean;
  /** Values given by `secrets set --deploy` (external credentials): written instead of generated ones. */
  values?: Record<string, string>;
}

/** rotated: done (or resumed to done); undone: the gate failed and the previous versions run again; nothing: --due found none due. */
export type RotateOutcome = "rotated" | "undone" | "failed" | "nothing";

export interface RotateResult {
  /** Null when nothing was due. */
  record: RotationRecord | null;
  outcome: RotateOutcome;
  /** undone: because the operator asked (--undo), or because the release of the new versions failed its gate. */
  undoneBy?: "request" | "gate";
  summary: string;
  hint?: string;
  /** The release that rolled the versions out (and the one that undid it). */
  release?: ReleaseFlowResult;
  undoRelease?: ReleaseFlowResult;
}

/** A rotation left unfinished by a run that stopped: the next one resumes it or undoes it, never starts over it. */
export class RotationUnfinishedError extends EvalapError {
  constructor(environment: string, record: RotationRecord, where: string) {
    super(
      "rotation_unfinished",
      `rotation ${record.id} of ${environment} (${record.secrets.map((s) => s.name).join(", ")}, by ${record.actor}@${record.host}) stopped at step "${record.step}" (${where})`,
      {
        exitCode: ExitCode.RotationUnfinished,
        hint: `run \`evalap-infra secrets rotate ${environment} --resume\` to finish it, or \`--undo\` to return to the previous versions`,
      },
    );
  }
}

/** The POSTGRES_URL version tofu derives from DB_APP_CREDENTIALS (infra/modules/managed-postgresql/main.tf). */
export const DERIVED_URL_VERSION = "module.platform.module.database.scaleway_secret_version.postgres_url";

/** What one rotation works with, under the environment's lease. */
interface Rotation {
  ctx: RunContext;
  env: ResolvedEnvironment;
  remote: EnvironmentRemote | null;
  holder: LockHolder;
  lockTimeoutMs: number;
  store: RotationStore;
  api: Secretv1beta1.API;
  scw: ScalewayConnection;
  outputs: SecretOutputs;
  database: DatabaseOutput | null;
  yes: boolean;
  startedAt: number;
  /** Pending releases a resumed rotation's release supersedes. */
  resumeReleases: boolean;
  values: Record<string, string>;
}

interface DatabaseOutput {
  instance: SecretRef;
  /** The application database (EvalAP's DB_NAME). */
  database: string;
  users: string[];
}

/**
 * secrets rotate: under the environment's lease (a deploy and a rotation never overlap), new
 * versions ─► one release that gives them to the containers, health-gated ─► after the grace
 * period, the previous versions disabled. A failed gate disables the new versions and releases
 * the previous ones again. Each step is recorded before the next starts (rotation/record.ts), so
 * a run that dies anywhere is finished by `--resume` or taken back by `--undo`.
 */
export async function rotateSecrets(ctx: RunContext, opts: RotateOptions): Promise<RotateResult> {
  const startedAt = Date.now();
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, async (locked, { env, remote, holder, lockTimeoutMs }) => {
    const store = remote
      ? bucketRotations(remote.store, remote.prefix, env.remote?.bucket ?? "")
      : localRotations(await stateDir(ctx.config, "rotations", env.name));
    return audited(
      locked,
      { environment: env.name, remote, holder },
      "secrets.rotate",
      async () => {
        await assertStatePersisted(locked, env.name, remote);
        const open = await store.latest();
        const unfinished = open && !isFinished(open.step) ? open : null;
        if ((opts.resume || opts.undo) && !unfinished) {
          throw new UsageError(
            `${env.name} has no unfinished rotation to ${opts.resume ? "resume" : "undo"}${open ? ` (the last one, ${open.id}, is ${open.step})` : ""}`,
            `start one with \`evalap-infra secrets rotate ${env.name} NAME\``,
          );
        }
        if (unfinished && !opts.resume && !opts.undo) throw new RotationUnfinishedError(env.name, unfinished, store.where(unfinished.id));
        if (remote && !unfinished) {
          const abandoned = await abandonedReleases(locked, remote);
          if (abandoned[0]) throw new PendingReleaseError(env.name, abandoned[0]);
        }
        await initStep(locked, env);
        const rawOutputs = await tofu.output(locked.tofu, env.rootDir);
        const outputs = secretOutputs(env.name, rawOutputs);
        const scw = await scalewayFor(locked);
        const rotation: Rotation = {
          ctx: locked,
          env,
          remote,
          holder,
          lockTimeoutMs,
          store,
          api: await scw.secrets(),
          scw,
          outputs,
          database: databaseOutput(rawOutputs),
          yes: opts.yes,
          startedAt,
          resumeReleases: unfinished !== null,
          values: opts.values ?? {},
        };
        if (unfinished && opts.undo) return undo(rotation, unfinished, `undo asked by ${holder.user}@${holder.host}`, "request");
        // --grace given to --resume replaces the one the rotation started with (an operator who cannot wait).
        if (unfinished) return proceed(rotation, opts.graceMs === undefined ? unfinished : { ...unfinished, graceMs: opts.graceMs });
        const names = await chosenNames(rotation, opts);
        if (names.length === 0) return { record: null, outcome: "nothing", summary: `${env.name}: no secret is due for rotation` };
        return proceed(rotation, await start(rotation, names, opts.graceMs ?? ctx.config.secrets.grace));
      },
      (r) => ({
        outcome: r.outcome === "undone" ? "rolled_back" : r.outcome === "failed" ? "failed" : "ok",
        ...(r.record?.releaseId ? { releaseId: r.record.releaseId } : {}),
        detail: r.record ? `rotation ${r.record.id}: ${r.summary}` : r.summary,
      }),
    );
  });
}

/** The names to rotate: those given, or every generated one (--all), or the generated ones past their maximum age (--due). */
async function chosenNames(r: Rotation, opts: RotateOptions): Promise<string[]> {
  const generated = r.ctx.config.secrets.generated;
  const rotatable = (name: string) => {
    const kind = secretKind(name, generated);
    return kind.kind === "db-credentials" || (kind.kind === "app" && kind.generated);
  };
  if ((opts.all || opts.due) && opts.names.length > 0)
    throw new UsageError("give secret names, or --all, or --due: not both", "for example: secrets rotate staging ADMIN_TOKEN");
  if (opts.all || opts.due) {
    const candidates = Object.keys(r.outputs.secrets).filter(rotatable).sort();
    if (!opts.due) return candidates;
    const due: string[] = [];
    for (const name of candidates) {
      const versions = await listVersions(r.api, refOf(r, name));
      const latest = versions.filter((v) => v.status === "enabled").at(-1);
      const created = latest ? await versionCreatedAt(r, name, latest.revision) : null;
      const maxAge = r.ctx.config.secrets.maxAge[name] ?? null;
      if (isDue(created === null ? null : Date.now() - created, maxAge)) due.push(name);
    }
    return due;
  }
  if (opts.names.length === 0)
    throw new UsageError("name the secrets to rotate, or give --all or --due", "for example: secrets rotate staging ADMIN_TOKEN");
  for (const name of opts.names) {
    const kind = secretKind(name, generated);
    if (name in r.values && kind.kind === "app") continue;
    if (kind.kind === "unknown" || kind.kind === "derived")
      throw new UsageError(kind.why, "`evalap-infra secrets list <env>` shows the secrets of an environment");
    if (kind.kind === "app" && !kind.generated) {
      throw new UsageError(
        `${name} is an external credential: evalap-infra cannot make a new one`,
        `get a new value from its provider, then \`evalap-infra secrets set ${r.env.name} ${name} --deploy < value.txt\` (or mark it generated in the config's secrets.generated)`,
      );
    }
    if (!(name in r.outputs.secrets)) {
      throw new UsageError(
        `${r.env.name} has no secret ${name} (the root's secret_ids lists ${Object.keys(r.outputs.secrets).sort().join(", ")})`,
        `add it to app_secret_names in ${r.env.rootDir}/terraform.tfvars and set it with \`evalap-infra secrets set ${r.env.name} ${name}\``,
      );
    }
  }
  return [...new Set(opts.names)];
}

async function versionCreatedAt(r: Rotation, name: string, revision: number): Promise<number | null> {
  const ref = refOf(r, name);
  const v = await r.api.getSecretVersion({
    region: ref.region,
    secretId: ref.id,
    revision: String(revision),
  });
  return v.createdAt ? v.createdAt.getTime() : null;
}

/** Records the rotation before anything changes: which secrets, and their current latest enabled revisions. */
async function start(r: Rotation, names: string[], graceMs: number): Promise<RotationRecord> {
  const secrets: RotatedSecret[] = [];
  for (const name of names) {
    const ref = refOf(r, name);
    const latest = (await listVersions(r.api, ref)).filter((v) => v.status === "enabled").at(-1);
    if (!latest) {
      throw new EvalapError("secret_not_set", `${r.env.name}: ${name} has no enabled version to rotate from`, {
        exitCode: ExitCode.Prerequisite,
        hint: `give it its first value with \`evalap-infra secrets set ${r.env.name} ${name}${name === DB_CREDENTIALS ? "" : " --generate"}\``,
      });
    }
    const source = name in r.values ? "given" : "generated";
    secrets.push({ name, secretId: `${ref.region}/${ref.id}`, previous: latest.revision, created: null, fingerprint: null, source });
  }
  const now = new Date().toISOString();
  const record: RotationRecord = {
    id: newRotationId(),
    environment: r.env.name,
    step: "started",
    secrets,
    startedAt: now,
    updatedAt: now,
    actor: r.holder.user,
    host: r.holder.host,
    runId: r.holder.id,
    graceMs,
  };
  await save(r, record, `started: ${secrets.map((s) => `${s.name} (from revision ${s.previous})`).join(", ")}`);
  return record;
}

/** Runs the record's remaining steps. */
async function proceed(r: Rotation, record: RotationRecord): Promise<RotateResult> {
  let current = record;
  if (current.step === "undoing") return undo(r, current, current.reason ?? "undo resumed", "request");
  if (current.step === "started") current = await createVersions(r, current);
  let release: ReleaseFlowResult | undefined;
  if (current.step === "versions-created") {
    try {
      release = await releaseVersions(r, current);
    } catch (err) {
      // tofu reported an error (a container that will not start with the new values fails the
      // apply): take them back now. Any other stop (interrupted, lease lost, unsaved state, retries
      // exhausted) keeps the record as it is, for --resume or --undo.
      if (!isDefiniteApplyFailure(err)) throw err;
      return undo(r, current, `the release of the new versions failed: ${err instanceof Error ? err.message : String(err)}`, "gate");
    }
    if (release.outcome !== "healthy") {
      const reason = `the release of the new versions failed its health gate: ${release.summary}`;
      return undo(r, { ...current, ...(release.release ? { releaseId: release.release.id } : {}) }, reason, "gate", release);
    }
    current = await save(
      r,
      { ...current, step: "released", releasedAt: new Date().toISOString(), ...(release.release ? { releaseId: release.release.id } : {}) },
      `released${release.release ? ` in ${release.release.id}` : ""}, healthy: the containers run ${describeCreated(current)}`,
    );
  }
  if (current.step === "released") current = await disablePrevious(r, current);
  const took = formatDuration(Date.now() - r.startedAt);
  return {
    record: current,
    outcome: "rotated",
    summary: `rotated ${current.secrets.map((s) => s.name).join(", ")} of ${r.env.name} (${describeCreated(current)}) in ${took}`,
    ...(release ? { release } : {}),
  };
}

/**
 * One new version per secret. A version written by an earlier run of this rotation (found by its
 * description) is adopted, not written twice. The database credentials: the user not in use gets a
 * new password first, then the version naming it is written.
 */
async function createVersions(r: Rotation, record: RotationRecord): Promise<RotationRecord> {
  let current = record;
  const tag = versionDescription(record.id);
  for (const secret of record.secrets) {
    if (secret.created !== null) continue;
    const ref = secretRef(secret.secretId);
    const adopted = (await listVersions(r.api, ref)).filter((v) => v.description === tag && v.status === "enabled").at(-1);
    let update: Partial<RotatedSecret>;
    if (adopted) {
      update = { created: adopted.revision };
    } else if (secret.name === DB_CREDENTIALS) {
      update = await newDbCredentials(r, ref, tag);
    } else {
      const value = secret.source === "given" ? givenValue(r, record, secret.name) : generateToken();
      r.ctx.redactor.add(value);
      update = { created: await createVersion(r.api, ref, value, tag), fingerprint: fingerprint(value) };
    }
    const secrets = current.secrets.map((s) => (s.name === secret.name ? { ...s, ...update } : s));
    current = await save(
      r,
      { ...current, secrets },
      `version ${update.created ?? "?"} of ${secret.name} ${adopted ? "adopted (written by the run that stopped)" : "created"}${update.fingerprint ? ` (sha256 ${update.fingerprint})` : ""}${update.dbUser ? ` for user ${update.dbUser}` : ""}`,
      "secrets.rotate.version-created",
    );
  }
  return save(r, { ...current, step: "versions-created" }, `versions created: ${describeCreated(current)}`);
}

/** A value given to `secrets set --deploy`: only in this run's memory, so a resumed run that never wrote it cannot. */
function givenValue(r: Rotation, record: RotationRecord, name: string): string {
  const value = r.values[name];
  if (value !== undefined) return value;
  throw new EvalapError(
    "given_value_lost",
    `rotation ${record.id}: the value given for ${name} was never written, and it is not kept anywhere`,
    {
      hint: `run \`evalap-infra secrets rotate ${r.env.name} --undo\`, then \`secrets set ${r.env.name} ${name} --deploy\` again`,
    },
  );
}

async function newDbCredentials(r: Rotation, ref: SecretRef, tag: string): Promise<Partial<RotatedSecret>> {
  const db = r.database;
  if (!db) {
    throw new EvalapError("db_output_missing", `${r.env.name}'s root has no database output with instance_id and app_users`, {
      exitCode: ExitCode.Prerequisite,
      hint: `deploy ${r.env.name} with this version of infra/ first: it creates the two database users a rotation alternates between`,
    });
  }
  const { user: inUse } = await currentDbUser(r.api, ref);
  const next = nextDbUser(db.users, inUse);
  const password = generateDbPassword();
  r.ctx.redactor.add(password);
  // The password and the privileges first: an enabled version must always name a user the database
  // accepts, with rights on every table the other user's migrations created.
  const rdb = await r.scw.rdb();
  await setDbPassword(rdb, db.instance, next, password);
  await refreshDbPrivilege(rdb, db.instance, db.database, next);
  const value = credentialsValue(next, password);
  r.ctx.redactor.add(value);
  return { created: await createVersion(r.api, ref, value, tag), fingerprint: fingerprint(value), dbUser: next };
}

/** One release with the environment's current inputs: the secrets' new latest enabled versions change the containers' environment. */
async function releaseVersions(r: Rotation, record: RotationRecord): Promise<ReleaseFlowResult> {
  const { vars, resumed } = await unchangedReleaseVars(r.ctx, r.env.name, r.remote, r.env.images, r.resumeReleases);
  // New database credentials replace the POSTGRES_URL version tofu derives from them: that version
  // is the one replacement of a Secret Manager version (a stateful type for the guard) a rotation means.
  const allowDestroy = record.secrets.some((s) => s.name === DB_CREDENTIALS) ? [DERIVED_URL_VERSION] : [];
  const flow = {
    ctx: r.ctx,
    env: r.env,
    remote: r.remote,
    holder: r.holder,
    lockTimeoutMs: r.lockTimeoutMs,
    allowDestroy,
    startedAt: r.startedAt,
  };
  const result = await runReleaseFlow(flow, { kind: "deploy", inputs: { vars }, yes: r.yes, autoRollback: false, resumed });
  if (r.remote && result.release) {
    await r.remote.ledger
      .update(result.release.id, (rel) => ({
        ...rel,
        notes: [...(rel.notes ?? []), `secret rotation ${record.id}: ${describeCreated(record)}`],
      }))
      .catch(() => undefined);
  }
  if (result.outcome === "healthy") await assertContainersRun(r, record);
  return result;
}

/** The root's secret_revisions after the release: the containers must have been given exactly the new revisions. */
async function assertContainersRun(r: Rotation, record: RotationRecord): Promise<void> {
  const revisions = secretOutputs(r.env.name, await tofu.output(r.ctx.tofu, r.env.rootDir)).revisions;
  if (revisions === null) return;
  const behind = record.secrets.filter((s) => s.name in revisions && revisions[s.name] !== s.created);
  if (behind.length > 0) {
    throw new EvalapError(
      "rotation_not_deployed",
      `${r.env.name}: after the release, the containers run ${behind.map((s) => `${s.name} revision ${revisions[s.name]}, not ${s.created}`).join("; ")}`,
      {
        hint: `a newer version was written meanwhile, or the root does not read latest_enabled; run \`evalap-infra secrets rotate ${r.env.name} --resume\` once fixed`,
      },
    );
  }
}

/** After the grace period (counted from the healthy release), every enabled version older than the new one is disabled. */
async function disablePrevious(r: Rotation, record: RotationRecord): Promise<RotationRecord> {
  const releasedAt = record.releasedAt ? Date.parse(record.releasedAt) : Date.now();
  const wait = Math.max(0, releasedAt + record.graceMs - Date.now());
  if (wait > 0) {
    r.ctx.events.emit({
      type: "log",
      level: "info",
      message: `the previous versions stay enabled for the grace period: ${formatDuration(wait)} more (interrupting is safe: \`secrets rotate ${r.env.name} --resume\` finishes)`,
    });
    await step(r.ctx, "grace", () => abortableSleep(wait, r.ctx.signal));
  }
  const disabled: string[] = [];
  await step(r.ctx, "disable previous", async () => {
    for (const s of record.secrets) {
      if (s.created === null) continue;
      const ref = secretRef(s.secretId);
      for (const v of await listVersions(r.api, ref)) {
        if (v.status !== "enabled" || v.revision >= s.created) continue;
        await setVersionEnabled(r.api, ref, v.revision, false);
        disabled.push(`${s.name} revision ${v.revision}`);
      }
    }
  });
  return save(
    r,
    { ...record, step: "done" },
    disabled.length > 0 ? `previous versions disabled: ${disabled.join(", ")}` : "no previous version left enabled",
  );
}

/**
 * Takes a rotation back: its new versions disabled, the previous ones enabled, released again and
 * gated. Recorded as `undoing` first, so a run that dies here is resumed as an undo.
 */
async function undo(
  r: Rotation,
  record: RotationRecord,
  reason: string,
  by: "request" | "gate",
  failed?: ReleaseFlowResult,
): Promise<RotateResult> {
  let current = record.step === "undoing" ? record : await save(r, { ...record, step: "undoing", reason }, `undoing: ${reason}`);
  await step(r.ctx, "restore versions", async () => {
    const tag = versionDescription(record.id);
    for (const s of current.secrets) {
      const ref = secretRef(s.secretId);
      for (const v of await listVersions(r.api, ref)) {
        // The version this rotation wrote, recorded or not (a run may have died before recording it).
        if (v.status === "enabled" && (v.revision === s.created || v.description === tag))
          await setVersionEnabled(r.api, ref, v.revision, false);
      }
      if (s.previous !== null) await setVersionEnabled(r.api, ref, s.previous, true);
    }
  });
  const restored = await releaseVersions(r, { ...current, secrets: current.secrets.map((s) => ({ ...s, created: s.previous })) });
  const healthy = restored.outcome === "healthy";
  current = await save(
    r,
    { ...current, step: healthy ? "undone" : "failed", ...(restored.release ? { undoReleaseId: restored.release.id } : {}) },
    healthy
      ? `undone: the previous versions run again${restored.release ? ` (release ${restored.release.id})` : ""}`
      : `undo failed: ${restored.summary}`,
  );
  const previous = current.secrets.map((s) => `${s.name} revision ${s.previous}`).join(", ");
  return {
    record: current,
    outcome: healthy ? "undone" : "failed",
    undoneBy: by,
    summary: healthy
      ? `${r.env.name}: ${reason}; undone, the containers run ${previous} again`
      : `${r.env.name}: ${reason}; the undo's release is unhealthy too: ${restored.summary}`,
    hint: healthy
      ? by === "gate"
        ? "the new versions are disabled; fix the cause and rotate again"
        : "the new versions are disabled; rotate again when ready"
      : `the service is down: investigate now (\`evalap-infra status ${r.env.name}\`, the containers' logs), then \`evalap-infra rollback ${r.env.name}\``,
    ...(failed ? { release: failed } : {}),
    undoRelease: restored,
  };
}

/** Saves the record (the step has happened) and writes the step's audit entry: names, revisions and fingerprints only. */
async function save(
  r: Rotation,
  record: RotationRecord,
  detail: string,
  operation = `secrets.rotate.${record.step}`,
): Promise<RotationRecord> {
  const saved = { ...record, updatedAt: new Date().toISOString(), runId: r.holder.id };
  await r.store.save(saved);
  await audit(r.ctx, r.remote, r.holder, {
    environment: r.env.name,
    operation,
    outcome: saved.step === "failed" ? "failed" : "ok",
    ...(saved.releaseId ? { releaseId: saved.releaseId } : {}),
    detail: `rotation ${saved.id}: ${detail}`,
  });
  r.ctx.events.emit({ type: "log", level: "info", message: `rotation ${saved.id}: ${detail}` });
  return saved;
}

function describeCreated(record: RotationRecord): string {
  return record.secrets.map((s) => `${s.name} revision ${s.created ?? "?"}${s.dbUser ? ` (user ${s.dbUser})` : ""}`).join(", ");
}

function refOf(r: Rotation, name: string): SecretRef {
  const ref = r.outputs.secrets[name];
  if (!ref) throw new UsageError(`${r.env.name} has no secret ${name}`, `\`evalap-infra secrets list ${r.env.name}\` lists them`);
  return withRegion(ref, r.scw.defaultRegion ?? "fr-par");
}

/** The root's `database` output: the instance (`region/uuid`) and the two application users. */
function databaseOutput(outputs: Record<string, OutputValue>): DatabaseOutput | null {
  const value = outputs.database?.value;
  if (typeof value !== "object" || value === null) return null;
  const {
    instance_id: id,
    app_users: users,
    database_name: database,
  } = value as {
    instance_id?: unknown;
    app_users?: unknown;
    database_name?: unknown;
  };
  if (typeof id !== "string" || typeof database !== "string") return null;
  if (!Array.isArray(users) || !users.every((u): u is string => typeof u === "string")) return null;
  return { instance: secretRef(id), database, users };
}
