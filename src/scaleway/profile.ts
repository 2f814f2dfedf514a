import { readFileSync } from "node:fs";
import path from "node:path";
import { EvalapError } from "../core/errors.js";
import { UUID_PATTERN } from "../core/ids.js";
import { ExitCode } from "../core/exit-codes.js";

/** The profile as Scaleway's tools read it (the SDK's Profile fields). */
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

type Field = keyof ScalewayProfile;

/** Each field: its environment variable and its key in the scw config file. */
const FIELDS: ReadonlyArray<{ field: Field; variable: string; key: string }> = [
  { field: "accessKey", variable: "SCW_ACCESS_KEY", key: "access_key" },
  { field: "secretKey", variable: "SCW_SECRET_KEY", key: "secret_key" },
  { field: "apiURL", variable: "SCW_API_URL", key: "api_url" },
  { field: "defaultProjectId", variable: "SCW_DEFAULT_PROJECT_ID", key: "default_project_id" },
  { field: "defaultOrganizationId", variable: "SCW_DEFAULT_ORGANIZATION_ID", key: "default_organization_id" },
  { field: "defaultRegion", variable: "SCW_DEFAULT_REGION", key: "default_region" },
  { field: "defaultZone", variable: "SCW_DEFAULT_ZONE", key: "default_zone" },
];

/** The SDK's own checks (sdk-client's profile validation), done here so the error names where the value came from. */
const SHAPES: Partial<Record<Field, { pattern: RegExp; expected: string }>> = {
  accessKey: { pattern: /^SCW[A-Z0-9]{17}$/i, expected: "SCW followed by 17 letters or digits" },
  secretKey: { pattern: UUID_PATTERN, expected: "a UUID" },
  defaultProjectId: { pattern: UUID_PATTERN, expected: "a UUID" },
  defaultOrganizationId: { pattern: UUID_PATTERN, expected: "a UUID" },
  defaultRegion: { pattern: /^[a-z]{2}-[a-z]{3}$/, expected: "a region such as fr-par" },
  defaultZone: { pattern: /^[a-z]{2}-[a-z]{3}-[1-9]$/, expected: "a zone such as fr-par-1" },
};

export function prerequisite(message: string, hint: string): EvalapError {
  return new EvalapError("scaleway_credentials", message, { exitCode: ExitCode.Prerequisite, hint });
}

/** Where one value of the profile came from, for error messages (never the value). */
type Source = { kind: "env"; variable: string } | { kind: "file"; key: string; file: string; profile: string };
const describe = (s: Source): string => (s.kind === "env" ? s.variable : `${s.key} of profile "${s.profile}" in ${s.file}`);

/**
 * Reads and checks the Scaleway profile as Scaleway's tools do: the scw config file
 * (`$SCW_CONFIG_PATH`, else `$XDG_CONFIG_HOME/scw/config.yaml`, else `~/.config/scw/config.yaml`;
 * the profile `$SCW_PROFILE`, else its `active_profile`, over its top-level default), with each
 * `SCW_*` variable overriding the file. Errors name the variable or the file's key and what it
 * should look like, never a value.
 */
export function scalewayProfile(env: NodeJS.ProcessEnv = process.env): ScalewayProfile {
  const values = new Map<Field, { value: string; source: Source }>();
  for (const [field, entry] of fileProfile(env)) values.set(field, entry);
  for (const { field, variable } of FIELDS) {
    const v = env[variable]?.trim();
    if (v !== undefined && v !== "") values.set(field, { value: v, source: { kind: "env", variable } });
  }
  const accessKey = values.get("accessKey");
  const secretKey = values.get("secretKey");
  if (accessKey === undefined || secretKey === undefined) {
    const missing = [accessKey === undefined ? "SCW_ACCESS_KEY" : null, secretKey === undefined ? "SCW_SECRET_KEY" : null].filter(
      (v): v is string => v !== null,
    );
    const only = missing.length === 1 ? ` (${missing[0] === "SCW_ACCESS_KEY" ? "SCW_SECRET_KEY" : "SCW_ACCESS_KEY"} is set)` : "";
    throw prerequisite(
      `no Scaleway API credentials: ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} not set${only}`,
      "export SCW_ACCESS_KEY and SCW_SECRET_KEY (an API key from the Scaleway console, IAM > API keys), or run `scw init`; both are needed",
    );
  }
  for (const [field, { value, source }] of values) {
    const shape = SHAPES[field];
    if (shape && !shape.pattern.test(value)) {
      throw prerequisite(`${describe(source)} is malformed: it should be ${shape.expected}`, `fix ${describe(source)}`);
    }
  }
  const profile: ScalewayProfile = { accessKey: accessKey.value, secretKey: secretKey.value };
  for (const [field, { value, source }] of values) {
    if (field === "accessKey" || field === "secretKey") continue;
    profile[field] = field === "apiURL" ? checkedApiURL(value, describe(source)) : value;
  }
  return profile;
}

/** The config file's values for the chosen profile; none when there is no file. */
function fileProfile(env: NodeJS.ProcessEnv): Map<Field, { value: string; source: Source }> {
  const out = new Map<Field, { value: string; source: Source }>();
  const file = configFilePath(env);
  if (file === undefined) return out;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" && env.SCW_CONFIG_PATH === undefined) return out;
    throw prerequisite(`the scw config file ${file} cannot be read (${code ?? "error"})`, "fix SCW_CONFIG_PATH or the file's permissions");
  }
  const { top, profiles } = parseConfigFile(text);
  const wanted = env.SCW_PROFILE?.trim() || top.get("active_profile") || "default";
  const named = wanted === "default" ? undefined : profiles.get(wanted);
  if (wanted !== "default" && named === undefined) {
    const from = env.SCW_PROFILE?.trim() ? "SCW_PROFILE" : `active_profile in ${file}`;
    throw prerequisite(`the scw profile "${wanted}" (${from}) is not in ${file}`, `add it under "profiles:" there, or change ${from}`);
  }
  // A named profile inherits the file's top-level values, as the scw CLI and the Go SDK merge them.
  for (const [source, map] of [
    ["default", top],
    [wanted, named ?? new Map<string, string>()],
  ] as const) {
    for (const { field, key } of FIELDS) {
      const v = map.get(key);
      if (v !== undefined && v !== "") out.set(field, { value: v, source: { kind: "file", key, file, profile: source } });
    }
  }
  return out;
}

function configFilePath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.SCW_CONFIG_PATH) return env.SCW_CONFIG_PATH;
  if (env.XDG_CONFIG_HOME) return path.join(env.XDG_CONFIG_HOME, "scw", "config.yaml");
  return env.HOME ? path.join(env.HOME, ".config", "scw", "config.yaml") : undefined;
}

/**
 * The scw config file is flat YAML: `key: value` pairs at the top level, and under `profiles:` one
 * mapping per profile name. This reads that shape (scalars, optional quotes, comments), nothing more.
 */
export function parseConfigFile(text: string): { top: Map<string, string>; profiles: Map<string, Map<string, string>> } {
  const top = new Map<string, string>();
  const profiles = new Map<string, Map<string, string>>();
  let inProfiles = false;
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/(^|\s)#.*$/, "");
    if (line.trim() === "") continue;
    const indent = /^\s*/.exec(line)?.[0].length ?? 0;
    const m = /^\s*([A-Za-z0-9_.-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const key = m[1] ?? "";
    const value = (m[2] ?? "").replace(/^(["'])(.*)\1$/, "$2");
    if (indent === 0) {
      inProfiles = key === "profiles" && value === "";
      current = undefined;
      if (!inProfiles) top.set(key, value);
    } else if (inProfiles && value === "") {
      current = new Map();
      profiles.set(key, current);
    } else if (inProfiles && current) {
      current.set(key, value);
    }
  }
  return { top, profiles };
}

/** An http(s) URL; trailing slashes are dropped (the SDK refuses them). The value is not echoed: it may hold user:password. */
function checkedApiURL(raw: string, where: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw prerequisite(`${where} is malformed: it is not a URL`, `set ${where} to an http(s) URL such as https://api.scaleway.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw prerequisite(`${where} is malformed: its scheme must be http or https, not ${url.protocol}`, `fix ${where}`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw prerequisite(`${where} is malformed: it must not have a query or a fragment`, `fix ${where}`);
  }
  return raw.replace(/\/+$/, "");
}
