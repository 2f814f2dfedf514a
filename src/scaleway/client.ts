import type { Client } from "@scaleway/sdk-client";
import type { Accountv3 } from "@scaleway/sdk-account";
import type { Secretv1beta1 } from "@scaleway/sdk-secret";
import { VERSION } from "../cli/version.js";
import { EvalapError } from "../core/errors.js";
import { UUID_PATTERN } from "../core/ids.js";
import { ExitCode } from "../core/exit-codes.js";
import type { EventSink } from "../events/types.js";
import type { RetryPolicy } from "../retry/backoff.js";
import { configDefaults, retryPolicy } from "../config/schema.js";
import { retryingFetch } from "./retry.js";

/** The profile as Scaleway's tools read it from the environment (the SDK's Profile fields). */
export interface ScalewayProfile {
  accessKey: string;
  secretKey: string;
  /** No trailing slash (the SDK refuses one). */
  apiURL?: string;
  defaultProjectId?: string;
  defaultOrganizationId?: string;
  defaultRegion?: string;
  defaultZone?: string;
}

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
}

const DEFAULT_API_URL = "https://api.scaleway.com";

/** The SDK's own checks (sdk-client's profile validation), done here so the error names the variable. */
const SHAPES: ReadonlyArray<{ variable: string; field: keyof ScalewayProfile; pattern: RegExp; expected: string }> = [
  { variable: "SCW_ACCESS_KEY", field: "accessKey", pattern: /^SCW[A-Z0-9]{17}$/i, expected: "SCW followed by 17 letters or digits" },
  { variable: "SCW_SECRET_KEY", field: "secretKey", pattern: UUID_PATTERN, expected: "a UUID" },
  { variable: "SCW_DEFAULT_PROJECT_ID", field: "defaultProjectId", pattern: UUID_PATTERN, expected: "a UUID" },
  { variable: "SCW_DEFAULT_ORGANIZATION_ID", field: "defaultOrganizationId", pattern: UUID_PATTERN, expected: "a UUID" },
  { variable: "SCW_DEFAULT_REGION", field: "defaultRegion", pattern: /^[a-z]{2}-[a-z]{3}$/, expected: "a region such as fr-par" },
  { variable: "SCW_DEFAULT_ZONE", field: "defaultZone", pattern: /^[a-z]{2}-[a-z]{3}-[1-9]$/, expected: "a zone such as fr-par-1" },
];

function prerequisite(message: string, hint: string): EvalapError {
  return new EvalapError("scaleway_credentials", message, { exitCode: ExitCode.Prerequisite, hint });
}

/**
 * Reads and checks the Scaleway profile from the environment. Errors name the variable and what it
 * should look like, never its value. (The scw config file, ~/.config/scw/config.yaml and SCW_PROFILE,
 * is not read: the environment is what tofu and CI use.)
 */
export function profileFromEnv(env: NodeJS.ProcessEnv = process.env): ScalewayProfile {
  const value = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const accessKey = value("SCW_ACCESS_KEY");
  const secretKey = value("SCW_SECRET_KEY");
  if (accessKey === undefined || secretKey === undefined) {
    const missing = [accessKey === undefined ? "SCW_ACCESS_KEY" : null, secretKey === undefined ? "SCW_SECRET_KEY" : null].filter(
      (v): v is string => v !== null,
    );
    const only = missing.length === 1 ? ` (${missing[0] === "SCW_ACCESS_KEY" ? "SCW_SECRET_KEY" : "SCW_ACCESS_KEY"} is set)` : "";
    throw prerequisite(
      `no Scaleway API credentials: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set${only}`,
      "export SCW_ACCESS_KEY and SCW_SECRET_KEY (an API key from the Scaleway console, IAM > API keys); both are needed",
    );
  }
  const profile: ScalewayProfile = { accessKey, secretKey };
  const apiURL = value("SCW_API_URL");
  if (apiURL !== undefined) profile.apiURL = checkedApiURL(apiURL);
  const optional: Array<[keyof ScalewayProfile, string]> = [
    ["defaultProjectId", "SCW_DEFAULT_PROJECT_ID"],
    ["defaultOrganizationId", "SCW_DEFAULT_ORGANIZATION_ID"],
    ["defaultRegion", "SCW_DEFAULT_REGION"],
    ["defaultZone", "SCW_DEFAULT_ZONE"],
  ];
  for (const [field, variable] of optional) {
    const v = value(variable);
    if (v !== undefined) profile[field] = v;
  }
  for (const shape of SHAPES) {
    const v = profile[shape.field];
    if (v !== undefined && !shape.pattern.test(v)) {
      throw prerequisite(`${shape.variable} is malformed: it should be ${shape.expected}`, `fix ${shape.variable} in the environment`);
    }
  }
  return profile;
}

/** An http(s) URL; trailing slashes are dropped (the SDK refuses them). The value is not echoed: it may hold user:password. */
function checkedApiURL(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw prerequisite("SCW_API_URL is malformed: it is not a URL", "set SCW_API_URL to an http(s) URL such as https://api.scaleway.com");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw prerequisite(`SCW_API_URL is malformed: its scheme must be http or https, not ${url.protocol}`, "fix SCW_API_URL");
  }
  if (url.search !== "" || url.hash !== "") {
    throw prerequisite("SCW_API_URL is malformed: it must not have a query or a fragment", "fix SCW_API_URL");
  }
  return raw.replace(/\/+$/, "");
}

/**
 * A Scaleway SDK client for the environment's profile, with the evalap-infra user agent and the
 * retry layer as its HTTP client. The SDK modules are imported here, on first use only, so commands
 * that never call the Scaleway API never load them.
 */
export async function scalewayClient(env: NodeJS.ProcessEnv = process.env, opts: ScalewayClientOptions = {}): Promise<ScalewayConnection> {
  const profile = profileFromEnv(env);
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
      `the Scaleway profile from the environment was refused by the SDK: ${err instanceof Error ? err.name : "error"}`,
      "check the SCW_* variables",
    );
  }
  return {
    client,
    apiURL: profile.apiURL ?? DEFAULT_API_URL,
    secrets: async () => new (await import("@scaleway/sdk-secret")).Secretv1beta1.API(client),
    projects: async () => new (await import("@scaleway/sdk-account")).Accountv3.ProjectAPI(client),
  };
}
