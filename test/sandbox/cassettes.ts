// Finds and reads the go-vcr (v2) cassettes of real Scaleway traffic that the Scaleway provider's Go module
// ships in internal/services/<service>/testdata/, and decides which ones the sandbox can replay.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

export const PROVIDER_VERSION = process.env.EVALAP_SCALEWAY_PROVIDER_VERSION ?? "2.81.0";
export const RECORDED_HOST = "api.scaleway.com";

export interface RecordedRequest {
  method: string;
  /** Absolute, with the query: https://api.scaleway.com/account/v3/projects?page=1 */
  url: string;
  body: string;
  headers: Record<string, string[]>;
}

export interface RecordedResponse {
  code: number;
  body: string;
  headers: Record<string, string[]>;
}

export interface Interaction {
  request: RecordedRequest;
  response: RecordedResponse;
}

export interface Cassette {
  service: string;
  /** File name without `.cassette.yaml`. */
  name: string;
  interactions: Interaction[];
}

/** The API paths the sandbox serves, per provider service directory (the cassettes' `<service>`). */
export const SERVED_PATHS: Record<string, RegExp[]> = {
  account: [/^\/account\/v3\/projects(\/|$)/],
  secret: [/^\/secret-manager\/v1beta1\/regions\/[a-z]+-[a-z]+\/secrets(\/|$)/],
  container: [
    /^\/containers\/v1\/regions\/[a-z]+-[a-z]+\/(namespaces|containers)(\/|$)/,
    // Container tokens (v1beta1), as scaleway_container_token calls them (token-basic.cassette.yaml).
    /^\/containers\/v1beta1\/regions\/[a-z]+-[a-z]+\/tokens(\/|$)/,
  ],
  registry: [/^\/registry\/v1\/regions\/[a-z]+-[a-z]+\/(namespaces|images|tags)(\/|$)/],
  cockpit: [
    /^\/cockpit\/v1\/(grafana|plans|current-plan)(\/|$)/,
    /^\/cockpit\/v1\/regions\/[a-z]+-[a-z]+\/(data-sources|tokens|alert-manager|alerts|rules|config|products)(\/|$)/,
  ],
  rdb: [
    /^\/rdb\/v1\/regions\/[a-z]+-[a-z]+\/(database-engines|backups|endpoints)(\/|$)/,
    /^\/rdb\/v1\/regions\/[a-z]+-[a-z]+\/instances(\/[^/]+(\/(certificate|settings|acls|users|databases|privileges|endpoints|upgrade|restart|renew-certificate|purge-logs)(\/[^/]+)?)?)?$/,
  ],
  vpc: [/^\/vpc\/v2\/regions\/[a-z]+-[a-z]+\/(vpcs|private-networks|vpc-connectors|routes|routes-with-nexthop|ingress-rules)(\/|$)/],
  ipam: [/^\/ipam\/v1\/regions\/[a-z]+-[a-z]+\/ips(\/|$)/],
  iam: [
    /^\/iam\/v1alpha1\/(applications|policies|rules|permission-sets|api-keys|users|groups|ssh-keys|saml|saml-certificates|scim|scim-tokens|organizations\/[0-9a-f-]{36}\/(saml|scim))(\/|$)/,
  ],
};

/** The paths the sandbox serves for these services: what a replay that touches other APIs too declares served. */
export function servedPathsOf(...services: string[]): RegExp[] {
  return services.flatMap((s) => SERVED_PATHS[s] ?? []);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export class CassettesMissingError extends Error {}

function goModCache(): string {
  try {
    const out = execFileSync("go", ["env", "GOMODCACHE"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    if (out !== "") return out;
  } catch {
    // No go on PATH: fall back on go's own defaults below.
  }
  return process.env.GOMODCACHE ?? join(process.env.GOPATH ?? join(homedir(), "go"), "pkg", "mod");
}

/** internal/services of the provider's module in the Go module cache; a clear error when it is not there. */
export function providerServicesDir(modCache = goModCache()): string {
  const dir = join(modCache, "github.com", "scaleway", `terraform-provider-scaleway`, `v2@v${PROVIDER_VERSION}`, "internal", "services");
  if (!existsSync(dir)) {
    throw new CassettesMissingError(
      `the Scaleway provider's recorded traffic (go-vcr cassettes) is not in the Go module cache: ${dir} does not exist. ` +
        `Run \`bash scripts/toolchain.sh\` (it downloads the provider v${PROVIDER_VERSION} module), then run the test again.`,
    );
  }
  return dir;
}

interface RawCassette {
  interactions?: {
    request?: { method?: string; url?: string; body?: string; headers?: Record<string, string[]> };
    response?: { code?: number; body?: string; headers?: Record<string, string[]> };
  }[];
}

export function parseCassette(service: string, name: string, text: string): Cassette {
  const raw = (parse(text) ?? {}) as RawCassette;
  const interactions = (raw.interactions ?? []).map((i, n): Interaction => {
    const { request, response } = i;
    if (!request?.method || !request.url || typeof response?.code !== "number") {
      throw new Error(`cassette ${service}/${name}: interaction ${n} lacks a method, a url or a response code`);
    }
    return {
      request: { method: request.method, url: request.url, body: request.body ?? "", headers: request.headers ?? {} },
      response: { code: response.code, body: response.body ?? "", headers: response.headers ?? {} },
    };
  });
  return { service, name, interactions };
}

/** Every cassette of the services, sorted by service then name so that a replay is always in one order. */
export function loadCassettes(services: string[], servicesDir = providerServicesDir()): Cassette[] {
  const cassettes: Cassette[] = [];
  for (const service of services) {
    const dir = join(servicesDir, service, "testdata");
    if (!existsSync(dir)) throw new CassettesMissingError(`no cassettes for service "${service}": ${dir} does not exist`);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith(".cassette.yaml"))
      .sort()) {
      cassettes.push(parseCassette(service, file.replace(/\.cassette\.yaml$/, ""), readFileSync(join(dir, file), "utf8")));
    }
  }
  return cassettes;
}

/**
 * The id a create's answer gives: its top-level `id`, or else the `id` of its one nested object that has one (IAM's
 * CreateScimToken answers `{"token": {"id": ...}, "bearer_token": ...}`).
 */
export function answerId(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return undefined;
  const record = body as Record<string, unknown>;
  const own = record.id;
  if (own !== undefined) return typeof own === "string" && own !== "" ? own : undefined;
  const nested = Object.values(record)
    .filter((v): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v))
    .map((v) => v.id)
    .filter((id): id is string => typeof id === "string" && id !== "");
  return nested.length === 1 ? nested[0] : undefined;
}

/** The id of a create's recorded answer (a POST answered 2xx, see answerId), the ids the replay learns. */
export function createdId(interaction: Interaction): string | undefined {
  const { request, response } = interaction;
  if (request.method !== "POST" || response.code < 200 || response.code >= 300) return undefined;
  try {
    return answerId(JSON.parse(response.body));
  } catch {
    return undefined;
  }
}

/**
 * Why a cassette cannot be replayed against the sandbox, or undefined when it can: it is empty, calls another
 * host or an API path outside the served ones, or reads by path a resource it did not create (one that existed
 * in the recording's account, like its default project) and that `foreignIds` does not map to a sandbox one.
 */
export function skipReason(cassette: Cassette, servedPaths: RegExp[], foreignIds: Record<string, string> = {}): string | undefined {
  if (cassette.interactions.length === 0) return "no recorded interaction";
  const created = new Set<string>();
  for (const [n, interaction] of cassette.interactions.entries()) {
    const url = new URL(interaction.request.url);
    const what = `${interaction.request.method} ${url.pathname}`;
    if (url.host !== RECORDED_HOST) return `interaction ${n} calls ${url.host} (${what}), not the Scaleway API`;
    if (!servedPaths.some((p) => p.test(url.pathname))) return `interaction ${n} calls ${what}, outside the served APIs`;
    for (const id of url.pathname.match(UUID) ?? []) {
      if (!created.has(id) && !(id in foreignIds)) {
        return `interaction ${n} reads ${id}, a resource that existed before the recording (map it in foreignIds to replay)`;
      }
    }
    const id = createdId(interaction);
    if (id !== undefined) created.add(id);
  }
  return undefined;
}
