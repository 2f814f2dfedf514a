import { scalewayClient, type ScalewayConnection } from "../scaleway/client.js";
import { retryPolicy, type RunContext } from "./context.js";

/** The run's Scaleway SDK connection: the config's retry policy, the run's events and signal; its secret key redacted from every output. */
export async function scalewayFor(ctx: RunContext): Promise<ScalewayConnection> {
  const scw = await scalewayClient(process.env, { policy: retryPolicy(ctx.config), events: ctx.events, signal: ctx.signal });
  ctx.redactor.add(scw.secretKey);
  return scw;
}
