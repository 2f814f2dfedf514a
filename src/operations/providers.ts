import type { ResolvedEnvironment } from "../config/load.js";
import { AUTOMATION_ENV } from "../tofu/process.js";
import { startProviders, type ProviderReuse } from "../tofu/providers.js";
import type { RunContext } from "./context.js";
import { initStep } from "./plan.js";

/**
 * The providers one run's plan, show and apply reattach to (tofu/providers.ts). Started as soon as
 * the run knows its root, so their start-up overlaps the init check; restarted
 * when init did run (it may have installed another binary). Off with `tofu.reuseProviders: false`.
 */
export interface ProviderSession {
  /** Waits for the providers; `initRan`: init changed the root, start them again from what it installed. */
  ready(initRan: boolean): Promise<void>;
  /** The context whose tofu runs reattach to the providers (ctx itself when none runs). */
  context(ctx: RunContext): RunContext;
  /** Stops them; call it after the last tofu process of the run has stopped (tofu stops their work first). */
  stop(): Promise<void>;
}

function providerSession(ctx: RunContext, env: ResolvedEnvironment): ProviderSession {
  // Someone who set TF_REATTACH_PROVIDERS runs providers of their own (a provider under a debugger): keep theirs.
  const own = process.env.TF_REATTACH_PROVIDERS ?? ctx.tofu.env.TF_REATTACH_PROVIDERS;
  if (!ctx.config.tofu.reuseProviders || own !== undefined)
    return { ready: () => Promise.resolve(), context: (c) => c, stop: () => Promise.resolve() };
  let skipped: string[] = [];
  const start = (): Promise<ProviderReuse | null> => {
    skipped = [];
    return startProviders(env.rootDir, {
      env: { ...process.env, ...ctx.tofu.env, ...AUTOMATION_ENV },
      onSkip: (reason) => skipped.push(reason),
    }).catch((err: unknown) => {
      // startProviders reports its failures as reasons; this is for the unforeseen.
      skipped.push(err instanceof Error ? err.message : String(err));
      return null;
    });
  };
  let current = start();
  let reuse: ProviderReuse | null = null;
  const debug = (message: string) => ctx.events.emit({ type: "log", level: "debug", message });
  return {
    async ready(initRan) {
      if (initRan) {
        await (await current)?.stop();
        current = start();
      }
      reuse = await current;
      for (const reason of skipped) debug(`provider reuse: ${reason}`);
      for (const p of reuse?.providers ?? []) debug(`provider reuse: plan and apply reattach to ${p.address} (pid ${p.pid})`);
    },
    context(c) {
      const extra = reuse?.env() ?? {};
      return Object.keys(extra).length === 0 ? c : { ...c, tofu: { ...c.tofu, env: { ...c.tofu.env, ...extra } } };
    },
    async stop() {
      await (await current)?.stop();
    },
  };
}

/**
 * init (when the root needs it) with the run's providers starting beside it, then `body`, whose tofu
 * runs reattach to them through `providers.context(ctx)`; the providers stop once `body` is done,
 * after its last tofu process (an interrupted one too).
 */
export async function withProviders<T>(
  ctx: RunContext,
  env: ResolvedEnvironment,
  body: (providers: ProviderSession) => Promise<T>,
): Promise<T> {
  const providers = providerSession(ctx, env);
  try {
    const init = await initStep(ctx, env);
    await providers.ready(!init.skipped);
    return await body(providers);
  } finally {
    await providers.stop();
  }
}
