import { createHash } from "node:crypto";

/**
 * What infra/bootstrap makes on a real account, made on the sandbox at start: the environment's own
 * project, the registry namespace (in the default project, as bootstrap's) and a stand-in image in it
 * (the state bucket is made on the S3 server, see s3.ts). Through the
 * sandbox's own HTTP API, as any client would; a sandbox without the Registry API (or its image hook)
 * skips that step and says so in the log.
 */

export const REGISTRY_NAMESPACE = "evalap";
/** The sandbox environment's own project, as infra/bootstrap makes one per environment. */
export const ENVIRONMENT_PROJECT = "evalap-sandbox";
export const DEFAULT_IMAGES: Readonly<Record<string, string>> = { evalap: "rg.fr-par.scw.cloud/evalap/evalap:sandbox-1" };

export interface SandboxClient {
  url: string;
  token: string;
  projectId: string;
  region: string;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

async function call(c: SandboxClient, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await fetch(`${c.url}${path}`, {
    method,
    headers: { "X-Auth-Token": c.token, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? {} : JSON.parse(text);
  } catch {
    parsed = { message: text };
  }
  return { status: res.status, body: typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {} };
}

/** The sandbox's answer for a path it does not serve (errors.ts `unknownRoute`). */
const unserved = (a: Answer): boolean => a.status === 404 && a.body.resource === "route";

/** A refusal of the sandbox's API: its status and Scaleway's message, with each bad argument's help. */
export class SandboxApiError extends Error {
  constructor(
    what: string,
    readonly status: number,
    body: Record<string, unknown>,
  ) {
    const message = typeof body.message === "string" ? body.message : JSON.stringify(body);
    const details = Array.isArray(body.details)
      ? body.details
          .map((d) => d as { argument_name?: unknown; help_message?: unknown })
          .filter((d) => typeof d.argument_name === "string")
          .map((d) => `${String(d.argument_name)} ${typeof d.help_message === "string" ? d.help_message : "is invalid"}`)
      : [];
    super(`${what}: HTTP ${status}: ${message}${details.length > 0 ? ` (${details.join("; ")})` : ""}`);
    this.name = "SandboxApiError";
  }
}

const failure = (what: string, a: Answer): SandboxApiError => new SandboxApiError(what, a.status, a.body);

/** The project named `name` in the organization, created when missing (infra/bootstrap's projects.tf). */
export async function ensureProject(c: SandboxClient & { organizationId: string }, name: string): Promise<{ id: string; name: string }> {
  const base = "/account/v3/projects";
  const answer = await call(c, "GET", `${base}?organization_id=${c.organizationId}&name=${encodeURIComponent(name)}`);
  if (answer.status !== 200) throw failure("listing projects", answer);
  const found = listed(answer, "projects").find((p) => p.name === name);
  const project = found ?? (await created());
  if (typeof project.id !== "string") throw new Error(`the sandbox answered no id for the project ${name}`);
  return { id: project.id, name };

  async function created(): Promise<Record<string, unknown>> {
    const a = await call(c, "POST", base, { name, organization_id: c.organizationId, description: "EvalAP sandbox environment" });
    if (a.status !== 200) throw failure(`creating the project ${name}`, a);
    return a.body;
  }
}

/** The private registry namespace; "unserved" when this sandbox has no Registry API. */
export async function ensureNamespace(c: SandboxClient, name = REGISTRY_NAMESPACE): Promise<"created" | "existed" | "unserved"> {
  const base = `/registry/v1/regions/${c.region}/namespaces`;
  const listed = await call(c, "GET", `${base}?name=${encodeURIComponent(name)}&project_id=${c.projectId}`);
  if (unserved(listed)) return "unserved";
  if (listed.status !== 200) throw failure(`listing registry namespaces`, listed);
  const found = Array.isArray(listed.body.namespaces) && listed.body.namespaces.some((n) => (n as { name?: unknown }).name === name);
  if (found) return "existed";
  const created = await call(c, "POST", base, { name, description: "", project_id: c.projectId, is_public: false });
  if (unserved(created)) return "unserved";
  if (created.status !== 200) throw failure(`creating the registry namespace ${name}`, created);
  return "created";
}

/** Whether `image` (`rg.<region>.scw.cloud/<namespace>/<image>:<tag>`) already has its tag in the registry. */
export async function imageExists(c: SandboxClient, image: string): Promise<boolean> {
  const m = /^rg\.([a-z-]+)\.scw\.cloud\/([^/]+)\/(.+):([^:/]+)$/.exec(image);
  if (!m) return false;
  const [, region, namespace, name, tag] = m as unknown as [string, string, string, string, string];
  const base = `/registry/v1/regions/${region}`;
  const ns = await call(c, "GET", `${base}/namespaces?name=${encodeURIComponent(namespace)}`);
  const nsId = listed(ns, "namespaces").find((n) => n.name === namespace)?.id;
  if (typeof nsId !== "string") return false;
  const images = await call(c, "GET", `${base}/images?namespace_id=${nsId}&name=${encodeURIComponent(name)}`);
  const imageId = listed(images, "images").find((i) => i.name === name)?.id;
  if (typeof imageId !== "string") return false;
  const tags = await call(c, "GET", `${base}/images/${imageId}/tags?name=${encodeURIComponent(tag)}`);
  return listed(tags, "tags").some((t) => t.name === tag);
}

function listed(a: Answer, key: string): Record<string, unknown>[] {
  const items = a.status === 200 ? a.body[key] : undefined;
  return Array.isArray(items) ? items.filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null) : [];
}

/** The stand-in image's digest: derived from its reference, so a restart that pushes it again changes nothing. */
export function standinDigest(image: string): string {
  return `sha256:${createHash("sha256").update(image).digest("hex")}`;
}

/** Registers an image reference in the sandbox registry (`POST /_sandbox/registry/images`); "unserved" without the hook. */
export async function pushImage(c: Pick<SandboxClient, "url" | "token">, image: string, digest?: string): Promise<"pushed" | "unserved"> {
  const a = await call({ ...c, projectId: "", region: "" }, "POST", "/_sandbox/registry/images", { image, ...(digest ? { digest } : {}) });
  if (unserved(a)) return "unserved";
  if (a.status < 200 || a.status > 299) throw failure(`pushing ${image}`, a);
  return "pushed";
}

/** `GET /_sandbox/resources`: the number of resources per collection. */
export async function resourceCounts(c: Pick<SandboxClient, "url" | "token">, timeoutMs = 5000): Promise<Record<string, number>> {
  const res = await fetch(`${c.url}/_sandbox/resources`, { headers: { "X-Auth-Token": c.token }, signal: AbortSignal.timeout(timeoutMs) });
  const body = (await res.json()) as { counts?: Record<string, number> };
  if (res.status !== 200 || typeof body.counts !== "object")
    throw new Error(`the sandbox answered HTTP ${res.status} to GET /_sandbox/resources`);
  return body.counts;
}
