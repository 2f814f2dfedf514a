import { randomUUID } from "node:crypto";
import path from "node:path";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError, InterruptedError } from "../core/errors.js";
import { abortableSleep } from "../core/sleep.js";
import { withRetry } from "../retry/retry.js";
import { withStateLock } from "../statelock/recover.js";
import { scalewayProfile } from "../scaleway/profile.js";
import * as tofu from "../tofu/commands.js";
import { classifyTofuError, reportDiagnostics, retryPolicy, stateDir, step, type RunContext } from "../operations/context.js";
import { withProviders } from "../operations/providers.js";

/** The platform's runner module (infra/modules/migration-runner), the only thing the runner's applies may change. */
export const MIGRATION_TARGET = "module.platform.module.migration";

/** What the runner serves (runner.py.tftpl). */
export interface RunnerState {
  id: string;
  status: "starting" | "waiting" | "running" | "succeeded" | "failed";
  exit_code: number | null;
  args: string[];
  log: string[];
}

export interface RunnerEndpoint {
  id: string;
  url: string;
  /** The CLI's own API secret key: a private container takes it in X-Auth-Token (ContainersPrivateAccess). */
  key: string;
}

export interface RunnerOptions {
  /** The release's variables (images above all: the runner runs the API's image). */
  vars: Record<string, unknown>;
  /** Alembic's arguments. */
  args: string[];
  lockTimeoutMs: number;
  /** How long the run may take once the runner answers. */
  timeoutMs: number;
  pollMs?: number;
  /**
   * How long the runner may go without answering for this run (HTTP errors, no connection, another
   * run's state) before the run is given up: a crashed runner must not be polled until `timeoutMs`.
   */
  unansweredMs?: number;
  /** Each new line of the runner's log, in order. */
  onLine?: (line: string) => void;
}

/**
 * One run of the migration runner: apply the runner (`-target` the platform's migration module,
 * `migration = {id, args}`), read it with the CLI's API key until it ends, and always remove it
 * (apply with `migration = null`), after a failure or an interrupt too. Needs the environment's lease.
 */
export function runInRunner(ctx: RunContext, env: ResolvedEnvironment, opts: RunnerOptions): Promise<RunnerState> {
  const id = `m${Date.now().toString(36)}${randomUUID().slice(0, 4)}`;
  // The plans and applies reattach to providers started once for the run (as deploy's steps do).
  return withProviders(ctx, env, async (providers) => {
    const reusing = providers.context(ctx);
    try {
      await applyRunner(reusing, env, opts, { id, args: opts.args }, "runner up");
      const endpoint = await readEndpoint(reusing, env, id);
      return await step(
        ctx,
        "runner",
        () => followRunner(ctx, endpoint, opts),
        (s) => ({ outcome: s.status === "succeeded" ? "ok" : "failed", detail: `alembic ${opts.args.join(" ")}: ${s.status}` }),
      );
    } finally {
      // After an interrupt the run's signal is aborted: the removal still runs (a second SIGINT ends the
      // process), with providers of its own (a terminal's Ctrl-C reaches the shared ones too).
      const calm: RunContext = ctx.signal.aborted
        ? { ...ctx, signal: new AbortController().signal, tofu: { ...ctx.tofu, signal: undefined } }
        : reusing;
      await applyRunner(calm, env, opts, null, "runner down");
    }
  });
}

/** A plan limited to the runner module, refused if it would change anything else, then applied. */
async function applyRunner(
  ctx: RunContext,
  env: ResolvedEnvironment,
  opts: RunnerOptions,
  migration: { id: string; args: string[] } | null,
  name: string,
): Promise<void> {
  const planFile = path.join(await stateDir(ctx.config, "plans"), `${env.name}-migration-${randomUUID()}.tfplan`);
  const retry = { policy: retryPolicy(ctx.config), classify: classifyTofuError, events: ctx.events, signal: ctx.signal };
  const vars = { ...env.vars, ...opts.vars, migration };
  try {
    await step(
      ctx,
      name,
      async () => {
        const planned = await withRetry(
          () =>
            withStateLock(ctx, env, opts.lockTimeoutMs, (timeout) =>
              tofu.plan(ctx.tofu, env.rootDir, {
                out: planFile,
                lockTimeoutMs: timeout,
                vars,
                varFiles: env.varFiles,
                targets: [MIGRATION_TARGET],
                refresh: false,
              }),
            ),
          { step: name, ...retry },
        );
        const other = planned.summary.changes.filter((c) => !c.address.startsWith(`${MIGRATION_TARGET}[`));
        if (other.length > 0) {
          throw new EvalapError(
            "migration_runner_unexpected",
            `${env.name}: the migration runner's plan would also ${other.map((c) => `${c.action} ${c.address}`).join(", ")}`,
            { hint: `run \`evalap-infra plan ${env.name}\` to see why, and deploy that first` },
          );
        }
        if (!planned.summary.hasChanges) return 0;
        await withStateLock(ctx, env, opts.lockTimeoutMs, (timeout) =>
          tofu.apply(ctx.tofu, env.rootDir, { planFile, lockTimeoutMs: timeout }),
        );
        return planned.summary.changes.length;
      },
      (n) => ({ detail: n === 0 ? "nothing to change" : `${n} change(s)` }),
    );
  } catch (err) {
    reportDiagnostics(ctx, err);
    throw err;
  } finally {
    await tofu.removePlanFile(planFile);
  }
}

async function readEndpoint(ctx: RunContext, env: ResolvedEnvironment, id: string): Promise<RunnerEndpoint> {
  const outputs = await tofu.output(ctx.tofu, env.rootDir);
  const v = outputs.migration_runner?.value as { id?: unknown; url?: unknown } | null | undefined;
  if (!v || typeof v.url !== "string" || v.id !== id) {
    throw new EvalapError("migration_runner_missing", `${env.name}: the root has no migration_runner output for run ${id}`, {
      hint: "the root must pass module.platform's migration variable and migration_runner output through (infra/staging, infra/production)",
    });
  }
  const key = scalewayProfile(process.env).secretKey;
  ctx.redactor.add(key);
  return { id, url: v.url, key };
}

/** Without an answer from the runner for this long, the run is given up (RunnerOptions.unansweredMs). */
const UNANSWERED_MS = 3 * 60_000;

/**
 * Polls the runner (X-Auth-Token: the CLI's API key) and streams its new log lines until it ends,
 * the run's deadline passes, or the runner stops answering for this run (`unansweredMs`).
 */
export async function followRunner(
  ctx: Pick<RunContext, "signal">,
  runner: RunnerEndpoint,
  opts: Pick<RunnerOptions, "timeoutMs" | "pollMs" | "unansweredMs" | "onLine">,
): Promise<RunnerState> {
  const deadline = Date.now() + opts.timeoutMs;
  const unansweredMs = opts.unansweredMs ?? UNANSWERED_MS;
  let answeredAt = Date.now();
  let seen = 0;
  let lastProblem = "no answer yet";
  for (;;) {
    if (ctx.signal.aborted) throw ctx.signal.reason instanceof Error ? ctx.signal.reason : new InterruptedError("SIGINT");
    let state: RunnerState | null = null;
    try {
      const res = await fetch(runner.url, {
        headers: { "X-Auth-Token": runner.key },
        signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(10_000)]),
      });
      if (res.ok) state = (await res.json()) as RunnerState;
      else lastProblem = `HTTP ${res.status}`;
    } catch (err) {
      if (ctx.signal.aborted) continue;
      lastProblem = err instanceof Error ? err.message : String(err);
    }
    if (state && state.id === runner.id) {
      answeredAt = Date.now();
      for (const line of state.log.slice(seen)) opts.onLine?.(line);
      seen = Math.max(seen, state.log.length);
      if (state.status === "succeeded" || state.status === "failed") return state;
    } else if (state) {
      lastProblem = `it answers for run ${state.id}, not ${runner.id}`;
    }
    if (Date.now() >= deadline) {
      throw new EvalapError(
        "migration_timeout",
        `the migration runner did not finish within ${Math.round(opts.timeoutMs / 1000)} s (last: ${state?.status ?? lastProblem}); it was removed`,
        { hint: "a long migration needs a longer --timeout; the database keeps whatever Alembic committed" },
      );
    }
    if (Date.now() - answeredAt >= unansweredMs) {
      throw new EvalapError(
        "migration_runner_unreachable",
        `the migration runner has not answered for run ${runner.id} for ${Math.round(unansweredMs / 1000)} s (last: ${lastProblem}); it was removed`,
        {
          hint: "the runner container may have crashed: see its logs in Cockpit; `evalap-infra migrate status <env>` says where the database is, then migrate again",
        },
      );
    }
    await abortableSleep(opts.pollMs ?? 1000, ctx.signal).catch(() => undefined);
  }
}
