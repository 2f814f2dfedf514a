/** One version as Secret Manager lists it (no data: listing never returns a value). */
export interface VersionInfo {
  revision: number;
  status: string;
  createdAt: Date | undefined;
}

/** Who reads a secret's value: the containers (secret_revisions names it), nothing (the DB passwords), or unknown (a root without secret_revisions). */
export type SecretUse = "containers" | "none" | "unknown";

/** One row of `secrets list`: never a value, only revisions, counts and dates. */
export interface SecretStatus {
  /** The environment variable name (secret_ids' key). */
  name: string;
  /** `fr-par/<uuid>`, as the root outputs it. */
  secretId: string;
  /** The secret's name and path in Secret Manager; null when it is missing there. */
  secretName: string | null;
  path: string | null;
  protected: boolean | null;
  createdAt: string | null;
  updatedAt: string | null;
  /** The root names it but Secret Manager does not have it (deleted by hand). */
  missing: boolean;
  latestEnabled: number | null;
  latestEnabledAt: string | null;
  /** Age of the latest enabled version, in ms. */
  ageMs: number | null;
  versions: { enabled: number; disabled: number; total: number };
  usedBy: SecretUse;
  /** The revision the running containers were given; null when nothing reads it or it is unknown. */
  inUse: number | null;
  /** inUse is the latest enabled revision; null when inUse is null. */
  current: boolean | null;
  maxAgeMs: number | null;
  /** Its latest enabled version is older than maxAgeMs (or it has none while a maximum is set). */
  due: boolean;
}

export interface StatusInput {
  name: string;
  secretId: string;
  secret: { name: string; path: string; protected: boolean; createdAt: Date | undefined; updatedAt: Date | undefined } | null;
  versions: VersionInfo[];
  /** secret_revisions of the root, null when it has none. */
  revisions: Record<string, number> | null;
  maxAgeMs: number | null;
  now: number;
}

/** The row of one secret: the latest enabled version, its age, the counts, whether the containers run it and whether it is due. */
export function secretStatus(input: StatusInput): SecretStatus {
  const { versions, revisions, maxAgeMs, now } = input;
  const enabled = versions.filter((v) => v.status === "enabled");
  const latest = enabled.reduce<VersionInfo | undefined>((a, v) => (a === undefined || v.revision > a.revision ? v : a), undefined);
  const ageMs = latest?.createdAt === undefined ? null : Math.max(0, now - latest.createdAt.getTime());
  const usedBy: SecretUse = revisions === null ? "unknown" : input.name in revisions ? "containers" : "none";
  const inUse = revisions?.[input.name] ?? null;
  return {
    name: input.name,
    secretId: input.secretId,
    secretName: input.secret?.name ?? null,
    path: input.secret?.path ?? null,
    protected: input.secret?.protected ?? null,
    createdAt: input.secret?.createdAt?.toISOString() ?? null,
    updatedAt: input.secret?.updatedAt?.toISOString() ?? null,
    missing: input.secret === null,
    latestEnabled: latest?.revision ?? null,
    latestEnabledAt: latest?.createdAt?.toISOString() ?? null,
    ageMs,
    versions: { enabled: enabled.length, disabled: versions.filter((v) => v.status === "disabled").length, total: versions.length },
    usedBy,
    inUse,
    current: inUse === null ? null : inUse === latest?.revision,
    maxAgeMs,
    due: isDue(ageMs, maxAgeMs),
  };
}

/** Due when a maximum is set and the latest enabled version is older than it, or there is none to be young. */
export function isDue(ageMs: number | null, maxAgeMs: number | null): boolean {
  if (maxAgeMs === null) return false;
  return ageMs === null || ageMs > maxAgeMs;
}
