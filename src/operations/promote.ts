import { resolveEnvironment, type ResolvedEnvironment } from "../config/load.js";
import { EvalapError, UsageError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { isSandboxEnvironment } from "../sandbox/environment.js";
import type { RunContext } from "./context.js";
import { openRemote } from "./remote.js";

/** A promotion refused before anything ran: the source environment does not run a healthy release now. */
export class PromotionRefusedError extends EvalapError {
  constructor(message: string, hint: string) {
    super("promotion_refused", message, { exitCode: ExitCode.GuardRefused, hint });
    this.name = "PromotionRefusedError";
  }
}

/**
 * The release the source environment runs now, when it is healthy: the newest release that was not
 * superseded (a resumed pending release is superseded by its resume, which is newer). A pending,
 * failed, rolled-back or unpersisted newest release means the source does not run a verified set of
 * images now, so nothing is promoted: production only ever gets what staging runs healthy.
 */
export function currentHealthyRelease(source: string, newestFirst: readonly ReleaseRecord[]): ReleaseRecord {
  const current = newestFirst.find((r) => r.status !== "superseded");
  if (!current) {
    throw new PromotionRefusedError(`${source} has no release to promote`, `deploy ${source} first: evalap-infra deploy ${source}`);
  }
  if (current.status !== "healthy") {
    const why = current.status === "pending" ? "is still pending (a deploy in progress, or one that died)" : `is ${current.status}`;
    throw new PromotionRefusedError(
      `${source}'s current release ${current.id} ${why}: ${source} does not run a healthy release now, so there is nothing verified to promote`,
      `wait for ${source}'s deploy to finish, or bring ${source} back to healthy (evalap-infra deploy ${source} or evalap-infra rollback ${source}), then promote again`,
    );
  }
  if (Object.keys(current.images).length === 0) {
    throw new PromotionRefusedError(
      `${source}'s current release ${current.id} names no image`,
      `deploy ${source} with --image service=reference, then promote again`,
    );
  }
  return current;
}

/**
 * `deploy <target> --images-from <source>`: the image reference of every service that the source
 * environment's current release runs healthy, read from the source's release ledger. The run's
 * credentials must be able to read the source's state bucket (on Scaleway: an IAM policy with
 * ObjectStorageBucketsRead and ObjectStorageObjectsRead on the source's project, which infra/bootstrap/iam.tf
 * grants each deployer on its own project only).
 */
export async function imagesFromEnvironment(
  ctx: RunContext,
  target: string,
  source: string,
): Promise<{ release: ReleaseRecord; images: Record<string, string> }> {
  if (source === target)
    throw new UsageError(
      `--images-from ${source} names the environment being deployed`,
      "name another environment, e.g. --images-from staging",
    );
  const env = sourceEnvironment(ctx, target, source);
  const remote = await openRemote(ctx, env);
  if (!remote) {
    throw new EvalapError("no_ledger", `${source} has no remote, so no release ledger to read its images from`, {
      exitCode: ExitCode.Usage,
      hint: `declare environments.${source}.remote (its state bucket) in evalap-infra.json`,
    });
  }
  const release = currentHealthyRelease(source, await remote.ledger.list());
  ctx.events.emit({
    type: "log",
    level: "info",
    message: `promoting ${source}'s release ${release.id} (healthy): ${Object.entries(release.images)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`,
  });
  return { release, images: { ...release.images } };
}

/**
 * The source as resolved for this run. A sandbox source shares the running sandbox's bucket, which
 * only the target's run attached: it is allowed only from another sandbox environment (a real
 * environment never promotes what ran on the emulator).
 */
function sourceEnvironment(ctx: RunContext, target: string, source: string): ResolvedEnvironment {
  const declared = resolveEnvironment(ctx.config, source);
  if (!isSandboxEnvironment(ctx.config, source)) return declared;
  const targetEnv = resolveEnvironment(ctx.config, target);
  if (!targetEnv.sandbox || !targetEnv.remote) {
    throw new UsageError(
      `${source} runs on the local sandbox: its images cannot be promoted to ${target}, which does not`,
      `promote from a real environment (e.g. --images-from staging)`,
    );
  }
  const { bucket, endpoint, region } = targetEnv.remote;
  const prefix = declared.remote?.prefix;
  return { ...declared, remote: { bucket, endpoint, region, ...(prefix ? { prefix } : {}) } };
}
