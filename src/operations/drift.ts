import { randomUUID } from "node:crypto";
import path from "node:path";
import { resolveEnvironment } from "../config/load.js";
import { currentHolder } from "../lock/holder.js";
import { withRetry } from "../retry/retry.js";
import { withStateLock } from "../statelock/recover.js";
import * as tofu from "../tofu/commands.js";
import type { Drift, DriftNoise } from "../tofu/plan-summary.js";
import { isComputedOnly, isNullZeroPair } from "../tofu/schema.js";
import { audited } from "./audit-trail.js";
import { runningInputs } from "./deploy-release.js";
import { classifyTofuError, reportDiagnostics, retryPolicy, stateDir, step, type RunContext } from "./context.js";
import { preflight } from "./preflight.js";
import { withProviders } from "./providers.js";
import { localLockStep, openRemote } from "./remote.js";

export interface DriftOptions {
  environment: string;
  lockTimeoutMs?: number;
}

export interface DriftReport extends Drift {
  environment: string;
  /**
   * A resource changed or disappeared outside tofu. tofu's own verdict (-detailed-exitcode 2: the
   * refreshed state differs at all) also counts values the provider computes, listed in `ignored`.
   */
  drifted: boolean;
}

/**
 * `drift <env>`: a refresh-only plan (`tofu plan -refresh-only -detailed-exitcode -out`) read with
 * `tofu show -json`. A plan never writes the state, refresh-only or not: nothing is changed, here or
 * on Scaleway. Under the local lock (one run per environment on this machine) and tofu's state lock,
 * like `plan`; one audit entry `drift.checked` with the counts and addresses, never a value.
 */
export async function checkDrift(ctx: RunContext, opts: DriftOptions): Promise<DriftReport> {
  const env = resolveEnvironment(ctx.config, opts.environment);
  // An unreachable bucket is exit 10 here, before tofu runs.
  const remote = await openRemote(ctx, env);
  // The inputs the state was applied with: a pending release's when a run died after its apply, else
  // the last healthy release's (images carried forward), else the environment's first images.
  const vars = await runningInputs(ctx, env, {}, remote);
  await preflight(ctx, env, vars, "plan");
  const holder = currentHolder(ctx.commandLine);
  const lockTimeoutMs = opts.lockTimeoutMs ?? ctx.config.lock.timeout;
  const local = await localLockStep(ctx, env.name, holder, lockTimeoutMs);
  try {
    return await audited(
      ctx,
      { environment: env.name, remote, holder },
      "drift.checked",
      () => withProviders(ctx, env, (providers) => refreshOnly(providers.context(ctx), env, vars, lockTimeoutMs)),
      (r) => ({ outcome: "ok", detail: auditDetail(r) }),
    );
  } finally {
    await local.release();
  }
}

async function refreshOnly(
  ctx: RunContext,
  env: ReturnType<typeof resolveEnvironment>,
  vars: Record<string, unknown>,
  lockTimeoutMs: number,
): Promise<DriftReport> {
  // The plan file holds the refreshed attributes, secrets included: a private file, removed on every path.
  const out = path.join(await stateDir(ctx.config, "plans"), `${env.name}-drift-${randomUUID()}.tfplan`);
  try {
    const planned = await step(
      ctx,
      "refresh",
      () =>
        withRetry(
          () =>
            withStateLock(ctx, env, lockTimeoutMs, (timeout) =>
              tofu.plan(ctx.tofu, env.rootDir, {
                out,
                lockTimeoutMs: timeout,
                refreshOnly: true,
                vars: { ...env.vars, ...vars },
                varFiles: env.varFiles,
              }),
            ),
          { step: "refresh", policy: retryPolicy(ctx.config), classify: classifyTofuError, events: ctx.events, signal: ctx.signal },
        ).catch((err: unknown) => {
          reportDiagnostics(ctx, err);
          throw err;
        }),
      (r) => ({ detail: r.summary.hasChanges ? "changes outside tofu found" : "no drift" }),
    );
    if (!planned.summary.hasChanges) return { environment: env.name, drifted: false, resources: [], outputChanges: [], ignored: [] };
    const schemas = await step(ctx, "schema", () => tofu.providersSchema(ctx.tofu, env.rootDir));
    const noise: DriftNoise = (type, at, before, after) => isNullZeroPair(before, after) || isComputedOnly(schemas, type, at);
    // The redactor learns the sensitive values first: from here on nothing may print them.
    const drift = await step(
      ctx,
      "show",
      () => tofu.showDrift(ctx.tofu, env.rootDir, out, ctx.redactor, noise),
      (d) => ({ detail: `${d.resources.length} drifted, ${d.ignored.length} with computed values only` }),
    );
    return { environment: env.name, drifted: drift.resources.length > 0, ...drift };
  } finally {
    await tofu.removePlanFile(out);
  }
}

/** Counts and addresses, no value: the audit trail is read by more people than the state. */
export function auditDetail(r: DriftReport): string {
  const quiet = r.ignored.length > 0 ? ` (${r.ignored.length} resource(s) with computed values only)` : "";
  if (!r.drifted) return `no drift${quiet}`;
  const parts = [
    `${r.resources.length} resource(s) drifted${r.resources.length > 0 ? `: ${r.resources.map((d) => d.address).join(", ")}` : ""}`,
  ];
  if (r.outputChanges.length > 0) parts.push(`${r.outputChanges.length} output(s) changed: ${r.outputChanges.join(", ")}`);
  return `${parts.join("; ")}${quiet}`;
}
