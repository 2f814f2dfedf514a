import { resolveEnvironment, type ResolvedEnvironment } from "../config/load.js";
import { isEvalapError } from "../core/errors.js";
import { databaseOutputs } from "../backup/outputs.js";
import { DAILY_TIERS, type BackupStatus, type BackupTier, type BackupView } from "../backup/policy.js";
import { listBackups } from "../backup/rdb.js";
import { healthPolicy } from "../health/policy.js";
import { healthUrl, probeService } from "../health/probe.js";
import { servicesFromOutputs } from "../health/services.js";
import type { ReleaseRecord, ReleaseStatus } from "../ledger/types.js";
import type { LockHolder } from "../lock/holder.js";
import { localHolderFile, readHolder } from "../lock/local.js";
import { readRemoteLock, type RemoteLockRead } from "../lock/remote.js";
import { bucketRotations, isFinished, localRotations, type RotationRecord } from "../rotation/record.js";
import * as tofu from "../tofu/commands.js";
import type { OutputValue } from "../tofu/commands.js";
import { stateDir, step, type RunContext } from "./context.js";
import { initStep } from "./plan.js";
import { isAbandoned } from "./pending.js";
import { openRemote, type EnvironmentRemote } from "./remote.js";
import { scalewayFor } from "./scaleway.js";
import { listSecrets } from "./secrets.js";

/**
 * `status <env>`: what an operator reads first. Read-only and lock-free: every section reads its own
 * source, and a source that cannot be read makes its section `unknown` with the reason, never the
 * whole command fail (README, "status <env>").
 */

/** A section read from its source, or why it could not be. */
export type Section<T> = ({ state: "ok" } & T) | { state: "unknown"; reason: string };

export interface ReleaseView {
  id: string;
  kind: ReleaseRecord["kind"];
  status: ReleaseStatus;
  images: Record<string, string>;
  actor: string;
  host: string;
  createdAt: string;
  finishedAt: string | null;
  statusReason: string | null;
}

export interface ServiceProbe {
  name: string;
  url: string;
  healthy: boolean;
  /** The HTTP status answered; null when no answer came (refused, timeout). */
  httpStatus: number | null;
  latencyMs: number;
  /** Why it is not healthy. */
  problem: string | null;
}

export interface LeaseView {
  state: RemoteLockRead["state"];
  holder: LockHolder | null;
  /** How long ago the lease was written, on the bucket's clock. */
  ageMs: number;
  /** When the lease ends unless renewed (bucket write time + lease); null when not held. */
  until: string | null;
}

export interface PendingView {
  id: string;
  kind: ReleaseRecord["kind"];
  actor: string;
  host: string;
  createdAt: string;
  /** Its run is gone (it does not hold the lease): it needs `deploy --resume` or `rollback`. */
  abandoned: boolean;
}

export interface RotationView {
  id: string;
  step: RotationRecord["step"];
  secrets: string[];
  actor: string;
  host: string;
  startedAt: string;
  updatedAt: string;
}

export interface TierBackup {
  tier: "daily" | "weekly" | "monthly";
  /** The newest backup of the tier, whatever its status; null when there is none. */
  newest: { id: string; name: string; status: BackupStatus; created: string | null; ageMs: number | null } | null;
}

export interface SecretAge {
  name: string;
  latestEnabled: number | null;
  ageMs: number | null;
  maxAgeMs: number | null;
  due: boolean;
  /** Whether the containers run the latest enabled version (null: nothing reads it, or unknown). */
  current: boolean | null;
  missing: boolean;
}

export interface StatusReport {
  environment: string;
  /** When it was read (this host's clock): ages count to it. */
  at: string;
  release: Section<{ latest: ReleaseView | null; lastHealthy: ReleaseView | null }>;
  services: Section<{ services: ServiceProbe[] }>;
  lock: Section<{ local: LockHolder | null; remote: LeaseView | null }>;
  pending: Section<{ releases: PendingView[] }>;
  rotation: Section<{ unfinished: RotationView | null }>;
  backups: Section<{ instanceId: string; database: string; tiers: TierBackup[] }>;
  secrets: Section<{ secrets: SecretAge[] }>;
}

export const SECTIONS = ["release", "services", "lock", "pending", "rotation", "backups", "secrets"] as const;
export type SectionName = (typeof SECTIONS)[number];

/** Reads every section; never throws for a source that cannot be read (an unknown environment or an interruption still stop it). */
export async function environmentStatus(ctx: RunContext, environment: string, now: () => number = Date.now): Promise<StatusReport> {
  const env = resolveEnvironment(ctx.config, environment);
  const at = now();
  const remote = await read(ctx, () => openRemote(ctx, env).then((r) => ({ remote: r })));
  const bucket = (): EnvironmentRemote | null => (remote.state === "ok" ? remote.remote : null);
  const noBucket = remote.state === "unknown" ? `the state bucket cannot be read: ${remote.reason}` : null;
  const noRemote = `${env.name} declares no remote (environments.${env.name}.remote): no release ledger`;

  // The root's outputs live in its state, which lives in that bucket: no tofu run when it is unreachable.
  const outputs = noBucket
    ? ({ state: "unknown", reason: noBucket } as const)
    : await read(ctx, async () => ({ outputs: await rootOutputs(ctx, env) }));
  const fromOutputs = <T extends object>(fn: (o: Record<string, OutputValue>) => Promise<T>): Promise<Section<T>> =>
    outputs.state === "ok" ? read(ctx, () => fn(outputs.outputs)) : Promise.resolve({ state: "unknown", reason: outputs.reason });
  const fromBucket = <T extends object>(fn: (r: EnvironmentRemote) => Promise<T>, without: () => Promise<T>): Promise<Section<T>> => {
    if (noBucket) return Promise.resolve({ state: "unknown", reason: noBucket });
    const r = bucket();
    return read(ctx, () => (r ? fn(r) : without()));
  };

  const lease = remote.state === "ok" && remote.remote ? await read(ctx, () => leaseOf(remote.remote)) : null;
  const [release, services, lock, pending, rotation, backups, secrets] = await Promise.all([
    fromBucket(
      (r) => releasesOf(r),
      () => Promise.reject(new Error(noRemote)),
    ),
    fromOutputs((o) => probeServices(ctx, o)),
    lockSection(ctx, env, lease, noBucket),
    fromBucket(
      async (r) => ({ releases: await pendingOf(r, lease?.state === "ok" ? lease.read : null) }),
      () => Promise.resolve({ releases: [] }),
    ),
    fromBucket(
      async (r) => ({ unfinished: await unfinishedRotation(bucketRotations(r.store, r.prefix, env.remote?.bucket ?? "").latest()) }),
      async () => ({ unfinished: await unfinishedRotation(localRotations(await stateDir(ctx.config, "rotations", env.name)).latest()) }),
    ),
    fromOutputs((o) => backupsOf(ctx, env, o, at)),
    fromOutputs(async (o) => ({ secrets: secretAges((await listSecrets(ctx, env, () => at, o)).secrets) })),
  ]);
  return { environment: env.name, at: new Date(at).toISOString(), release, services, lock, pending, rotation, backups, secrets };
}

/** The sections that could not be read, by name. */
export function unknownSections(report: StatusReport): SectionName[] {
  return SECTIONS.filter((name) => report[name].state === "unknown");
}

/** Runs one read; a failure of its source becomes the section's reason (the error's message and hint). */
async function read<T extends object>(ctx: RunContext, fn: () => Promise<T>): Promise<Section<T>> {
  try {
    return { state: "ok", ...(await fn()) };
  } catch (err) {
    // An interruption ends the command, it is not a section's state.
    if (ctx.signal.aborted) throw err;
    const message = err instanceof Error ? err.message : String(err);
    const hint = isEvalapError(err) && err.hint ? ` (${err.hint})` : "";
    return { state: "unknown", reason: ctx.redactor.redact(`${message}${hint}`) };
  }
}

/** init when the root needs it, then `tofu output -json`; sensitive values are learnt by the redactor, never shown. */
async function rootOutputs(ctx: RunContext, env: ResolvedEnvironment): Promise<Record<string, OutputValue>> {
  await initStep(ctx, env);
  const outputs = await step(ctx, "outputs", () => tofu.output(ctx.tofu, env.rootDir));
  for (const o of Object.values(outputs)) if (o.sensitive) ctx.redactor.add(o.value);
  return outputs;
}

function releaseView(r: ReleaseRecord): ReleaseView {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status,
    images: r.images,
    actor: r.actor,
    host: r.host,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt ?? null,
    statusReason: r.statusReason ?? null,
  };
}

/** The newest release that has finished (a pending one is the `pending` section's), and the last healthy one. */
async function releasesOf(remote: EnvironmentRemote): Promise<{ latest: ReleaseView | null; lastHealthy: ReleaseView | null }> {
  let latest: ReleaseRecord | null = null;
  for await (const r of remote.ledger.newestFirst()) {
    if (r.status !== "pending") {
      latest = r;
      break;
    }
  }
  const healthy = latest?.status === "healthy" ? latest : await remote.ledger.lastHealthy();
  return { latest: latest ? releaseView(latest) : null, lastHealthy: healthy ? releaseView(healthy) : null };
}

/** One check per service, all at once, judged as the gate judges one check (health/probe.ts). */
async function probeServices(ctx: RunContext, outputs: Record<string, OutputValue>): Promise<{ services: ServiceProbe[] }> {
  const endpoints = servicesFromOutputs(outputs);
  const policy = healthPolicy(ctx.config.health);
  const services = await step(
    ctx,
    "health",
    () =>
      Promise.all(
        endpoints.map(async (s): Promise<ServiceProbe> => {
          const r = await probeService(s, {
            timeoutMs: policy.requestTimeoutMs,
            latencyBudgetMs: policy.latencyBudgetMs,
            signal: ctx.signal,
          });
          return {
            name: s.name,
            url: healthUrl(s.url, s.healthPath),
            healthy: r.good,
            httpStatus: r.status ?? null,
            latencyMs: r.latencyMs,
            problem: r.problem ?? null,
          };
        }),
      ),
    (all) => ({ detail: `${all.filter((s) => s.healthy).length} of ${all.length} healthy` }),
  );
  return { services };
}

interface LeaseRead {
  read: RemoteLockRead | null;
}

async function leaseOf(remote: EnvironmentRemote | null): Promise<LeaseRead> {
  return { read: remote ? await readRemoteLock(remote.store, remote.lockKey) : null };
}

function leaseView(read: RemoteLockRead | null, now: number): LeaseView | null {
  if (read === null || read.state === "released") return null;
  if (read.state === "malformed") return { state: "malformed", holder: null, ageMs: read.ageMs, until: null };
  const until = read.state === "held" ? new Date(now + Math.max(0, read.record.leaseMs - read.ageMs)).toISOString() : null;
  return { state: read.state, holder: read.record.holder, ageMs: read.ageMs, until };
}

/** This machine's lock file and the bucket's lease; the lease unknown when the bucket could not be read. */
async function lockSection(
  ctx: RunContext,
  env: ResolvedEnvironment,
  lease: Section<LeaseRead> | null,
  noBucket: string | null,
): Promise<StatusReport["lock"]> {
  if (noBucket) return { state: "unknown", reason: noBucket };
  if (lease?.state === "unknown") return { state: "unknown", reason: `the lease could not be read: ${lease.reason}` };
  return read(ctx, async () => ({
    local: await readHolder(localHolderFile(await stateDir(ctx.config, "locks"), env.name)),
    remote: leaseView(lease?.read ?? null, Date.now()),
  }));
}

async function pendingOf(remote: EnvironmentRemote, lock: RemoteLockRead | null): Promise<PendingView[]> {
  const pending = await remote.ledger.pending();
  return pending.map((r) => ({
    id: r.id,
    kind: r.kind,
    actor: r.actor,
    host: r.host,
    createdAt: r.createdAt,
    abandoned: isAbandoned(r, lock),
  }));
}

async function unfinishedRotation(latest: Promise<RotationRecord | null>): Promise<RotationView | null> {
  const r = await latest.catch((err: unknown) => {
    // No rotation folder on this machine: no rotation was ever run from here.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  });
  if (r === null || isFinished(r.step)) return null;
  return {
    id: r.id,
    step: r.step,
    secrets: r.secrets.map((s) => s.name),
    actor: r.actor,
    host: r.host,
    startedAt: r.startedAt,
    updatedAt: r.updatedAt,
  };
}

async function backupsOf(
  ctx: RunContext,
  env: ResolvedEnvironment,
  outputs: Record<string, OutputValue>,
  now: number,
): Promise<{ instanceId: string; database: string; tiers: TierBackup[] }> {
  const scw = await scalewayFor(ctx);
  const db = databaseOutputs(env.name, outputs, scw.defaultRegion ?? "fr-par");
  const api = await scw.rdb();
  const backups = await step(ctx, "backups", () => listBackups(api, env.name, db.instance, db.databaseName));
  const tiers: TierBackup[] = (["daily", "weekly", "monthly"] as const).map((tier) => {
    const of: readonly BackupTier[] = tier === "daily" ? DAILY_TIERS : [tier];
    // listBackups answers newest first.
    const newest: BackupView | undefined = backups.find((b) => of.includes(b.tier));
    if (!newest) return { tier, newest: null };
    const ageMs = newest.created === null ? null : Math.max(0, now - Date.parse(newest.created));
    return { tier, newest: { id: newest.id, name: newest.name, status: newest.status, created: newest.created, ageMs } };
  });
  return { instanceId: `${db.instance.region}/${db.instance.id}`, database: db.databaseName, tiers };
}

function secretAges(secrets: Awaited<ReturnType<typeof listSecrets>>["secrets"]): SecretAge[] {
  return secrets.map((s) => ({
    name: s.name,
    latestEnabled: s.latestEnabled,
    ageMs: s.ageMs,
    maxAgeMs: s.maxAgeMs,
    due: s.due,
    current: s.current,
    missing: s.missing,
  }));
}
