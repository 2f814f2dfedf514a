import path from "node:path";
import { scalewayFor } from "./scaleway.js";
import { randomUUID } from "node:crypto";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { withRetry } from "../retry/retry.js";
import { secretKind } from "../secrets/catalogue.js";
import { secretOutputs, withRegion, type SecretOutputs, type SecretRef } from "../secrets/outputs.js";
import { createVersion, fingerprint, listVersions } from "../secrets/versions.js";
import { withStateLock } from "../statelock/recover.js";
import * as tofu from "../tofu/commands.js";
import { ExitCode } from "../core/exit-codes.js";
import { classifyTofuError, reportDiagnostics, retryPolicy, stateDir, step, type RunContext } from "./context.js";
import { initStep } from "./plan.js";
import { declaresVariable } from "./preflight.js";

/** The secret-manager module of the roots: the application secrets' shells, and nothing else. */
export const SECRETS_TARGET = "module.platform.module.secrets";
/** The roots' list of the application secrets EvalAP gets (infra/README.md). */
export const SECRET_NAMES_VARIABLE = "app_secret_names";

/**
 * The application secrets' shells (name, path, tags: no value) as the root declares them, created
 * by a plan and apply limited to SECRETS_TARGET when some are missing: a new environment, or a name
 * just added to app_secret_names. Needs the environment's lease. The plan skips refreshing (it only
 * looks for what the state lacks) and may only create secrets: anything else stops it.
 */
export async function ensureSecretShells(
  ctx: RunContext,
  env: ResolvedEnvironment,
  lockTimeoutMs: number,
  runVars: Record<string, unknown> = {},
): Promise<SecretOutputs> {
  if (!(await declaresVariable(env.rootDir, SECRET_NAMES_VARIABLE))) {
    throw new EvalapError(
      "secrets_not_managed",
      `${env.name}'s root (${env.root}) declares no ${SECRET_NAMES_VARIABLE}: its secrets are not Secret Manager secrets this CLI manages`,
      {
        exitCode: ExitCode.Usage,
        hint: "secrets set and rotate work on roots built on infra/modules/evalap-platform (infra/staging, infra/production)",
      },
    );
  }
  await initStep(ctx, env);
  const planFile = path.join(await stateDir(ctx.config, "plans"), `${env.name}-secrets-${randomUUID()}.tfplan`);
  const retry = { policy: retryPolicy(ctx.config), classify: classifyTofuError, events: ctx.events, signal: ctx.signal };
  try {
    const planned = await step(
      ctx,
      "secret shells",
      () =>
        withRetry(
          () =>
            withStateLock(ctx, env, lockTimeoutMs, (timeout) =>
              tofu.plan(ctx.tofu, env.rootDir, {
                out: planFile,
                lockTimeoutMs: timeout,
                vars: { ...env.vars, ...runVars },
                varFiles: env.varFiles,
                targets: [SECRETS_TARGET],
                refresh: false,
              }),
            ),
          { step: "secret shells", ...retry },
        ),
      (p) => ({ detail: p.summary.hasChanges ? `${p.summary.counts.create} to create` : "all exist" }),
    );
    if (planned.summary.hasChanges) {
      const other = planned.summary.changes.filter(
        (c) => c.action !== "create" || !c.address.startsWith(`${SECRETS_TARGET}.scaleway_secret.`),
      );
      if (other.length > 0) {
        throw new EvalapError(
          "secret_shells_unexpected",
          `${env.name}: the plan of the secrets' shells would also ${other.map((c) => `${c.action} ${c.address}`).join(", ")}`,
          { hint: `run \`evalap-infra plan ${env.name}\` to see why, and deploy that first` },
        );
      }
      await step(
        ctx,
        "create secret shells",
        () =>
          withStateLock(ctx, env, lockTimeoutMs, (timeout) =>
            tofu.apply(ctx.tofu, env.rootDir, { ...planned.inputs, planFile, lockTimeoutMs: timeout }),
          ),
        () => ({ detail: planned.summary.changes.map((c) => c.address.replace(/^.*\["?|"?\]$/g, "")).join(", ") }),
      );
    }
  } catch (err) {
    reportDiagnostics(ctx, err);
    throw err;
  } finally {
    await tofu.removePlanFile(planFile);
  }
  return secretOutputs(env.name, await tofu.output(ctx.tofu, env.rootDir));
}

/** The application secrets of the root (not the database's, which tofu writes). */
export function appSecrets(outputs: SecretOutputs, generated: readonly string[]): Array<[string, SecretRef]> {
  return Object.entries(outputs.secrets)
    .filter(([name]) => secretKind(name, generated).kind === "app")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The sandbox's application secret values (src/sandbox/descriptor.ts), for a sandbox environment only. */
export function sandboxSeeds(env: ResolvedEnvironment, environ: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const raw = env.sandbox ? environ.EVALAP_SANDBOX_APP_SECRETS : undefined;
  if (!raw) return {};
  const parsed = JSON.parse(raw) as unknown;
  if (typeof parsed !== "object" || parsed === null) return {};
  return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/**
 * Before a deploy: every application secret exists and has an enabled version, else exit 9 naming
 * each missing one and the command that sets it (nothing was applied but the shells). On the
 * sandbox, a missing value is written from the sandbox's own (what `secrets set` would do).
 */
export async function assertSecretsSet(
  ctx: RunContext,
  env: ResolvedEnvironment,
  lockTimeoutMs: number,
  runVars: Record<string, unknown> = {},
): Promise<void> {
  // A root without the platform's application secrets (a test fixture, another project's root) has nothing to check.
  if (!(await declaresVariable(env.rootDir, SECRET_NAMES_VARIABLE))) return;
  const outputs = await ensureSecretShells(ctx, env, lockTimeoutMs, runVars);
  const generated = ctx.config.secrets.generated;
  const scw = await scalewayFor(ctx);
  const api = await scw.secrets();
  const seeds = sandboxSeeds(env);
  await step(
    ctx,
    "secrets set",
    async () => {
      const region = scw.defaultRegion ?? "fr-par";
      const missing: string[] = [];
      for (const [name, ref] of appSecrets(outputs, generated)) {
        const at = withRegion(ref, region);
        if ((await listVersions(api, at)).some((v) => v.status === "enabled")) continue;
        const seed = seeds[name];
        if (seed === undefined) {
          missing.push(name);
          continue;
        }
        const revision = await createVersion(api, at, seed, "evalap-infra sandbox seed");
        ctx.events.emit({
          type: "log",
          level: "info",
          message: `${name}: version ${revision} written from the sandbox's value (sha256 ${fingerprint(seed)})`,
        });
      }
      if (missing.length > 0) throw missingSecretsError(env.name, missing, generated);
      return outputs;
    },
    (o) => ({ detail: `${appSecrets(o, generated).length} application secret(s) have a value` }),
  );
}

function missingSecretsError(environment: string, missing: string[], generated: readonly string[]): EvalapError {
  const how = missing.map((name) => {
    const kind = secretKind(name, generated);
    return kind.kind === "app" && kind.generated
      ? `evalap-infra secrets set ${environment} ${name} --generate`
      : `evalap-infra secrets set ${environment} ${name} < ${name.toLowerCase()}.txt`;
  });
  return new EvalapError(
    "secrets_not_set",
    `${environment}: ${missing.join(", ")} ${missing.length === 1 ? "has" : "have"} no value in Secret Manager yet; nothing was deployed`,
    { exitCode: ExitCode.Prerequisite, hint: `set ${missing.length === 1 ? "it" : "each"} first: ${how.join("; ")}` },
  );
}
