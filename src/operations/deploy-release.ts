import type { ResolvedEnvironment } from "../config/load.js";
import type { ReleaseRecord } from "../ledger/types.js";
import { alertsAfterDeploy, alertsLine, type AlertsStepResult } from "./alerts-step.js";
import { audited } from "./audit-trail.js";
import { migrateBeforeRoll } from "../migrate/deploy-step.js";
import { imagesOf } from "./release-inputs.js";
import { auditOfRelease, runReleaseFlow, type ReleaseFlowResult } from "./release-flow.js";
import { abandonedReleases, assertStatePersisted, PendingReleaseError } from "./pending.js";
import { openRemote, withEnvironment, type EnvironmentRemote } from "./remote.js";
import type { RunContext } from "./context.js";

export interface DeployReleaseOptions {
  environment: string;
  yes: boolean;
  allowDestroy: string[];
  lockTimeoutMs?: number;
  /** Run-level variables (--var). */
  vars: Record<string, unknown>;
  /** Image references per service (--image name=ref), merged over the last release's. */
  images: Record<string, string>;
  /** Roll back automatically when the health gate fails (config rollback.automatic, --no-rollback). */
  autoRollback: boolean;
  /** Finish a release left pending by a run that died, with its inputs. */
  resume: boolean;
}

/**
 * `outcome` says how it ended (healthy, rolled_back, failed); the CLI maps it to the exit code.
 * `alerts`: the alert-rules step, after a healthy release only.
 */
export type DeployReleaseResult = ReleaseFlowResult & { alerts?: AlertsStepResult };

/** What one deploy run is about, for choosing the release's variables. */
interface DeployRun {
  ctx: RunContext;
  environment: string;
  remote: EnvironmentRemote | null;
  opts: DeployReleaseOptions;
  /** The environment's `images`: used for a service no release and no --image names (a first deploy). */
  firstImages: Record<string, string>;
}

/**
 * deploy: preflight ─► locks ─► (unsaved state? abandoned release? decide) ─► record ─► init,
 * plan, guard, apply ─► health gate ─► healthy, or roll back to the last healthy release and gate again.
 * One audit entry for the whole run, written from its result or from the error that stopped it.
 */
export async function deployRelease(ctx: RunContext, opts: DeployReleaseOptions): Promise<DeployReleaseResult> {
  const startedAt = Date.now();
  return withEnvironment(ctx, opts.environment, opts.lockTimeoutMs, (locked, { env, remote, holder, lockTimeoutMs }) =>
    audited(
      locked,
      { environment: env.name, remote, holder },
      "deploy",
      async () => {
        await assertStatePersisted(locked, env.name, remote);
        const { vars, resumed } = await releaseVars({ ctx: locked, environment: env.name, remote, opts, firstImages: env.images });
        // The schema first: new instances find it at head (their start-up upgrade is a no-op); a failed migration stops here.
        const migrated = await migrateBeforeRoll(locked, { env, remote, holder, lockTimeoutMs }, vars);
        const flow = { ctx: locked, env, remote, holder, lockTimeoutMs, allowDestroy: opts.allowDestroy, startedAt };
        const result = await runReleaseFlow(flow, {
          kind: "deploy",
          inputs: { vars },
          yes: opts.yes,
          autoRollback: opts.autoRollback,
          resumed,
          notes: migrated ? [migrated] : [],
        });
        if (result.outcome !== "healthy") return result;
        const alerts = await alertsAfterDeploy(locked, env, result.deploy.outputs);
        const detail = alerts.status === "failed" ? `alert rules not synced: ${alerts.error.message}` : result.detail;
        return { ...result, alerts, summary: `${result.summary}${alertsLine(alerts)}`, ...(detail !== undefined ? { detail } : {}) };
      },
      auditOfRelease,
    ),
  );
}

/**
 * The variables of a release that changes no input (a secret rotation): the last healthy release's
 * images, or a pending release's inputs when `resume` (the release it supersedes).
 */
export function unchangedReleaseVars(
  ctx: RunContext,
  environment: string,
  remote: EnvironmentRemote | null,
  firstImages: Record<string, string>,
  resume: boolean,
): Promise<{ vars: Record<string, unknown>; resumed: ReleaseRecord[] }> {
  const opts = { environment, yes: false, allowDestroy: [], vars: {}, images: {}, autoRollback: false, resume };
  return releaseVars({ ctx, environment, remote, opts, firstImages });
}

/**
 * What plan and cost give tofu: the --var given over the inputs the environment runs now, its
 * images carried forward from the last healthy release as a deploy would (else its first images),
 * so a plan shows what a deploy would change. Read-only: a release left pending lends its inputs
 * (the state was applied with them), as drift does.
 */
export async function runningInputs(
  ctx: RunContext,
  env: ResolvedEnvironment,
  vars: Record<string, unknown>,
  opened?: EnvironmentRemote | null,
): Promise<Record<string, unknown>> {
  const remote = opened === undefined ? await openRemote(ctx, env) : opened;
  const running = (await unchangedReleaseVars(ctx, env.name, remote, env.images, true)).vars;
  return { ...running, ...vars };
}

/**
 * The release's variables: --var over a resumed release's; images from --image, else the last
 * healthy release's, else the environment's first images.
 */
async function releaseVars(run: DeployRun): Promise<{ vars: Record<string, unknown>; resumed: ReleaseRecord[] }> {
  const { remote, opts, firstImages } = run;
  if (!remote) {
    const merged = { ...firstImages, ...imagesOf(opts.vars), ...opts.images };
    const vars = Object.keys(merged).length > 0 ? { ...opts.vars, images: merged } : opts.vars;
    return { vars, resumed: [] };
  }
  const abandoned = await abandonedReleases(run.ctx, remote);
  const newest = abandoned[0];
  if (newest && !opts.resume) throw new PendingReleaseError(run.environment, newest);
  const vars = newest ? { ...newest.inputs.vars, ...opts.vars } : opts.vars;
  return { vars: await withImages(remote, vars, opts.images, firstImages), resumed: abandoned };
}

/** Images carry forward: a deploy that names one service keeps the others as the last release had them. */
async function withImages(
  remote: EnvironmentRemote,
  vars: Record<string, unknown>,
  images: Record<string, string>,
  firstImages: Record<string, string>,
): Promise<Record<string, unknown>> {
  if (Object.keys(images).length === 0 && "images" in vars) return vars;
  const last = await remote.ledger.lastHealthy();
  const carried = { ...firstImages, ...(last ? imagesOf(last.inputs.vars) : {}) };
  const merged = { ...carried, ...imagesOf(vars), ...images };
  return Object.keys(merged).length > 0 ? { ...vars, images: merged } : vars;
}
