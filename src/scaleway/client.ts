import type { Client } from "@scaleway/sdk-client";
import type { Accountv3 } from "@scaleway/sdk-account";
import type { Cockpitv1 } from "@scaleway/sdk-cockpit";
import type { Rdbv1 } from "@scaleway/sdk-rdb";
import type { Secretv1beta1 } from "@scaleway/sdk-secret";
import { VERSION } from "../cli/version.js";
import type { EventSink } from "../events/types.js";
import type { RetryPolicy } from "../retry/backoff.js";
import { configDefaults, retryPolicy } from "../config/schema.js";
import { prerequisite, scalewayProfile } from "./profile.js";
import { retryingFetch } from "./retry.js";

export interface ScalewayClientOptions {
  /** The config's `retry` section (operations' retryPolicy); default: 5 attempts from 1 s up to 30 s, 10 min in all. */
  policy?: RetryPolicy;
  /** Where `retry.scheduled` events go; default: nowhere. */
  events?: EventSink;
  signal?: AbortSignal;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ScalewayConnection {
  client: Client;
  /** The API base URL requests go to (the default when SCW_API_URL is unset). */
  apiURL: string;
  secrets(): Promise<Secretv1beta1.API>;
  projects(): Promise<Accountv3.ProjectAPI>;
  /** Cockpit's regional API (data sources, for the alert rules step). */
  cockpit(): Promise<Cockpitv1.RegionalAPI>;
  /** Managed databases (a rotation sets a database user's password). */
  rdb(): Promise<Rdbv1.API>;
  /** The profile's secret key, for the APIs the SDK does not cover (Cockpit's ruler takes it as X-Auth-Token). Never print it. */
  secretKey: string;
  /** The profile's default project and region, when set. */
  defaultProjectId: string | undefined;
  defaultRegion: string | undefined;
  /** The retrying fetch the SDK uses, for those other APIs. */
  fetch: typeof fetch;
}

const DEFAULT_API_URL = "https://api.scaleway.com";

/**
 * A Scaleway SDK client for the profile (environment over the scw config file), with the evalap-infra user agent and the
 * retry layer as its HTTP client. The SDK modules are imported here, on first use only, so commands
 * that never call the Scaleway API never load them.
 */
export async function scalewayClient(env: NodeJS.ProcessEnv = process.env, opts: ScalewayClientOptions = {}): Promise<ScalewayConnection> {
  const profile = scalewayProfile(env);
  const sdk = await import("@scaleway/sdk-client");
  const httpClient = retryingFetch({
    policy: opts.policy ?? retryPolicy(configDefaults()),
    events: opts.events ?? { emit: () => undefined },
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.random === undefined ? {} : { random: opts.random }),
    ...(opts.sleep === undefined ? {} : { sleep: opts.sleep }),
  });
  let client: Client;
  try {
    client = sdk.createAdvancedClient(
      sdk.withProfile(profile),
      sdk.withUserAgent(`evalap-infra/${VERSION}`),
      sdk.withHTTPClient(httpClient),
    );
  } catch (err) {
    // Our checks mirror the SDK's; should they drift, say so without echoing any value.
    throw prerequisite(
      `the Scaleway profile was refused by the SDK: ${err instanceof Error ? err.name : "error"}`,
      "check the SCW_* variables and the scw config file",
    );
  }
  return {
    client,
    apiURL: profile.apiURL ?? DEFAULT_API_URL,
    secrets: async () => new (await import("@scaleway/sdk-secret")).Secretv1beta1.API(client),
    projects: async () => new (await import("@scaleway/sdk-account")).Accountv3.ProjectAPI(client),
    cockpit: async () => new (await import("@scaleway/sdk-cockpit")).Cockpitv1.RegionalAPI(client),
    rdb: async () => new (await import("@scaleway/sdk-rdb")).Rdbv1.API(client),
    secretKey: profile.secretKey,
    defaultProjectId: profile.defaultProjectId,
    defaultRegion: profile.defaultRegion,
    fetch: httpClient,
  };
}
