import { UsageError } from "../core/errors.js";
import { scalewayFor } from "./scaleway.js";
import { secretKind } from "../secrets/catalogue.js";
import { generateToken } from "../secrets/generate.js";
import { createVersion, fingerprint, listVersions } from "../secrets/versions.js";
import { audited } from "./audit-trail.js";
import { step, type RunContext } from "./context.js";
import { unchangedReleaseVars } from "./deploy-release.js";
import { abandonedReleases, PendingReleaseError } from "./pending.js";
import { runReleaseFlow, type ReleaseFlowResult } from "./release-flow.js";
import { ensureSecretShells } from "./secret-shells.js";
import { withRegion } from "../secrets/outputs.js";
import { withEnvironment, type EnvironmentRemote } from "./remote.js";
import { imagesOf } from "./release-inputs.js";
import type { ResolvedEnvironment } from "../config/load.js";
import { rotateSecrets, type RotateResult } from "./secrets-rotate.js";

/** Secret Manager's limit on a version's data (64 KiB). */
export const MAX_SECRET_BYTES = 65_536;

export interface SetOptions {
  environment: string;
  name: string;
  /** The value, or "generate" for a generated secret. */
  value: { given: string } | "generate";
  /** Roll the new version out: through a rotation when a previous version exists (health-gated, undone on failure), else a deploy. */
  deploy: boolean;
  yes: boolean;
  autoRollback: boolean;
  graceMs?: number;
  lockTimeoutMs?: number;
}

export interface SetResult {
  name: string;
  revision: number | null;
  fingerprint: string;
  /** The release that rolled it out (--deploy on a secret that had no version yet). */
  release?: ReleaseFlowResult;
  /** --deploy on a secret that had a version: the rotation that replaced it. */
  rotation?: RotateResult;
  summary: string;
}

/**
 * secrets set: checks the name and the value before anything (nothing is written for a bad one),
 * then under the environment's lease creates the secret's shell if the environment does not have
 * it yet and writes a new version. The value is registered with the redactor first; only its
 * fingerprint is ever shown or recorded.
 */
export async function setSecret(ctx: RunContext, opts: SetOptions): Promise<SetResult> {
  const value = checkedValue(ctx, opts);
  ctx.redactor.add(value);
  const print = fingerprint(value);
  const generated = ctx.config.secrets.generated;
  if (opts.deploy) {
    const rotated = await rotateIfPresent(ctx, opts, value);
    if (rotated) return rotated;
  }
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, (locked, { env, remote, holder, lockTimeoutMs }) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      "secrets.set",
      async (): Promise<SetResult> => {
        const outputs = await ensureSecretShells(locked, env, lockTimeoutMs, await shellVars(env, remote));
        const ref = outputs.secrets[opts.name];
        if (!ref) {
          throw new UsageError(
            `${env.name} does not declare ${opts.name}: it is not in the root's app_secret_names`,
            `add "${opts.name}" to app_secret_names in ${env.rootDir}/terraform.tfvars, then run this again`,
          );
        }
        const scw = await scalewayFor(locked);
        const api = await scw.secrets();
        const at = withRegion(ref, scw.defaultRegion ?? "fr-par");
        const revision = await step(
          locked,
          "write version",
          () => createVersion(api, at, value, `evalap-infra secrets set by ${holder.user}@${holder.host}`),
          (rev) => ({ detail: `${opts.name} revision ${rev} (sha256 ${print})` }),
        );
        const written = `${opts.name} revision ${revision} (sha256 ${print})`;
        if (!opts.deploy) {
          return {
            name: opts.name,
            revision,
            fingerprint: print,
            summary: `${env.name}: wrote ${written}; \`evalap-infra deploy ${env.name}\` rolls it out`,
          };
        }
        if (remote) {
          const abandoned = await abandonedReleases(locked, remote);
          if (abandoned[0]) throw new PendingReleaseError(env.name, abandoned[0]);
        }
        const { vars, resumed } = await unchangedReleaseVars(locked, env.name, remote, env.images, false);
        const flow = { ctx: locked, env, remote, holder, lockTimeoutMs, allowDestroy: [], startedAt: Date.now() };
        const release = await runReleaseFlow(flow, {
          kind: "deploy",
          inputs: { vars },
          yes: opts.yes,
          autoRollback: opts.autoRollback,
          resumed,
        });
        return { name: opts.name, revision, fingerprint: print, release, summary: `${env.name}: wrote ${written}; ${release.summary}` };
      },
      (r) => ({
        outcome: r.release && r.release.outcome !== "healthy" ? (r.release.outcome === "rolled_back" ? "rolled_back" : "failed") : "ok",
        ...(r.release?.release ? { releaseId: r.release.release.id } : {}),
        detail: `${r.name} revision ${r.revision ?? "?"} (sha256 ${r.fingerprint})${generated.includes(r.name) ? ", generated" : ""}`,
      }),
    ),
  );
}

/** The value to write, or a usage error naming what is wrong with it (never the value itself). */
function checkedValue(ctx: RunContext, opts: SetOptions): string {
  const kind = secretKind(opts.name, ctx.config.secrets.generated);
  if (kind.kind === "unknown" || kind.kind === "derived") {
    throw new UsageError(kind.why, `\`evalap-infra secrets list ${opts.environment}\` shows the environment's secrets`);
  }
  if (kind.kind === "db-credentials") {
    throw new UsageError(
      `${opts.name} is the database user and password the containers connect with: only a rotation changes it (it sets the password on the database first)`,
      `run \`evalap-infra secrets rotate ${opts.environment} ${opts.name}\``,
    );
  }
  if (opts.value === "generate") {
    if (!kind.generated) {
      throw new UsageError(
        `${opts.name} is an external credential: evalap-infra cannot generate it`,
        `give its value on standard input or with --file (or list it in the config's secrets.generated if it is a random token EvalAP only compares)`,
      );
    }
    return generateToken();
  }
  const value = opts.value.given;
  if (value.trim() === "")
    throw new UsageError(
      `the value given for ${opts.name} is empty`,
      "give the value on standard input or with --file; an empty secret is refused",
    );
  if (Buffer.byteLength(value, "utf8") > MAX_SECRET_BYTES) {
    throw new UsageError(`the value given for ${opts.name} is larger than Secret Manager's 64 KiB`, "check that the right file was given");
  }
  return value;
}

/**
 * --deploy on a secret that already has an enabled version is a rotation with the given value:
 * new version, release, health gate, previous disabled after the grace period, undone on a failed
 * gate. Null when it has none yet (a first value, deployed as a plain deploy).
 */
async function rotateIfPresent(ctx: RunContext, opts: SetOptions, value: string): Promise<SetResult | null> {
  const hasVersion = await withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, async (locked, { env, remote, lockTimeoutMs }) => {
    const outputs = await ensureSecretShells(locked, env, lockTimeoutMs, await shellVars(env, remote));
    const ref = outputs.secrets[opts.name];
    if (!ref) return false;
    const scw = await scalewayFor(locked);
    const at = withRegion(ref, scw.defaultRegion ?? "fr-par");
    return (await listVersions(await scw.secrets(), at)).some((v) => v.status === "enabled");
  });
  if (!hasVersion) return null;
  const rotation = await rotateSecrets(ctx, {
    environment: opts.environment,
    names: [opts.name],
    all: false,
    due: false,
    resume: false,
    undo: false,
    yes: opts.yes,
    values: { [opts.name]: value },
    ...(opts.graceMs !== undefined ? { graceMs: opts.graceMs } : {}),
    ...(opts.lockTimeoutMs !== undefined ? { lockTimeoutMs: opts.lockTimeoutMs } : {}),
  });
  const created = rotation.record?.secrets[0]?.created ?? null;
  return { name: opts.name, revision: created, fingerprint: fingerprint(value), rotation, summary: rotation.summary };
}

/**
 * The variables the shells' plan needs besides the environment's: the root requires `images` (a
 * plan evaluates every variable, even one the targeted resources do not use), taken as a deploy
 * takes them: the last healthy release's, else the environment's first images.
 */
async function shellVars(env: ResolvedEnvironment, remote: EnvironmentRemote | null): Promise<Record<string, unknown>> {
  const last = remote ? await remote.ledger.lastHealthy() : null;
  const images = { ...env.images, ...(last ? imagesOf(last.inputs.vars) : {}) };
  return Object.keys(images).length > 0 ? { images } : {};
}
