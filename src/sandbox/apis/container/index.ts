import { readFile } from "node:fs/promises";
import path from "node:path";
import { timestamp, newId, isUuid, nowMs } from "../../clock.js";
import { checkRegion, type SandboxContext } from "../../context.js";
import { alreadyExists, invalidArgument, notFound, type JsonObject } from "../../errors.js";
import { Fields } from "../../fields.js";
import { findInRegion } from "../../lookup.js";
import { ordersBy, paginate, sameAsQuery } from "../../pagination.js";
import type { Router } from "../../router.js";
import { PROJECTS, type Project } from "../account.js";
import { parseImageRef, resolveImage } from "../registry.js";
import { findPrivateNetwork } from "../vpc.js";
import { argon2idHash } from "./argon2.js";
import { expireDeleted, forgetLater } from "./expire.js";
import { freePort } from "../../ports.js";
import { ContainerRuntime, type Outcome } from "./runtime.js";
import { tokenRoutes } from "./tokens.js";

/**
 * Serverless Containers v1 (`/containers/v1/regions/{region}/`): namespaces and containers, field for
 * field as recorded (container/testdata/*.cassette.yaml). Behind each deployed container runs the
 * EvalAP stand-in (runtime.ts) on 127.0.0.1; its `public_endpoint` is `http://127.0.0.1:<port>`.
 * Secret environment variables are answered as argon2id hashes (argon2.ts), their values kept in
 * the state (0600) for the stand-in's environment.
 */

interface Probe {
  failure_threshold: number;
  interval: string;
  timeout: string;
  http?: { path: string };
  tcp?: Record<string, never>;
}

type ScalingOption = Partial<Record<"concurrent_requests_threshold" | "cpu_usage_threshold" | "memory_usage_threshold", number>>;

interface StoredNamespace {
  id: string;
  name: string;
  organization_id: string;
  project_id: string;
  description: string;
  environment_variables: Record<string, string>;
  secret_environment_variables: Record<string, string>;
  tags: string[];
  created_at: string;
  updated_at: string;
  region: string;
  _secret_values: Record<string, string>;
  _deleted_at?: string;
}

interface StoredContainer {
  id: string;
  name: string;
  namespace_id: string;
  description: string;
  created_at: string;
  updated_at: string;
  min_scale: number;
  max_scale: number;
  memory_limit_bytes: number;
  mvcpu_limit: number;
  timeout: string;
  privacy: "public" | "private";
  image: string;
  protocol: "http1" | "h2c";
  port: number;
  https_connections_only: boolean;
  sandbox: "v1" | "v2";
  local_storage_limit_bytes: number;
  scaling_option: ScalingOption;
  tags: string[];
  private_network_id: string | null;
  command: string[];
  args: string[];
  environment_variables: Record<string, string>;
  public_endpoint: string;
  liveness_probe: Probe;
  startup_probe: Probe | null;
  secret_environment_variables: Record<string, string>;
  region: string;
  _secret_values: Record<string, string>;
  /** A deploy: its id, when it started and what the container is meanwhile (`creating`, `updating`). */
  _generation: string;
  _deploy_at: string;
  _phase: "creating" | "updating";
  _outcome?: Outcome;
  _listen_port: number;
  /** The stand-ins' process ids (older states: `_pid`), to stop those a sandbox killed without its stop hooks left behind. */
  _pid?: number;
  _pids?: number[];
  _deleted_at?: string;
}

export const CONTAINER_NAMESPACES = "container.namespaces";
export const CONTAINERS = "container.containers";

/** Scaleway reports a failed deploy after minutes (its startup probe); the sandbox waits at most this long. */
const startupCapMs = (): number => Number(process.env.EVALAP_SANDBOX_STARTUP_BUDGET_MS ?? "30000");

const runtimes = new WeakMap<SandboxContext, ContainerRuntime>();

function runtimeOf(ctx: SandboxContext): ContainerRuntime {
  let rt = runtimes.get(ctx);
  if (!rt) {
    const created = new ContainerRuntime(
      path.join(ctx.dataDir, "container", "logs"),
      ctx.dataDir,
      (key) => ctx.acceptsKey?.(key) ?? false,
      (id, outcome) => {
        const c = ctx.store.collection<StoredContainer>(CONTAINERS).get(id);
        if (!c || c._generation !== outcome.generation || c._deleted_at) return;
        ctx.store.collection<StoredContainer>(CONTAINERS).put(id, { ...c, _outcome: outcome, updated_at: timestamp() });
        void ctx.store.flush().catch(() => undefined);
      },
    );
    ctx.onStop(() => created.stopAll());
    runtimes.set(ctx, created);
    rt = created;
  }
  return rt;
}

/** "300.000000000s" → "300s", "1.5s" → "1.500s": protobuf's JSON form of a duration, as answered. */
export function duration(raw: unknown): string | undefined {
  if (typeof raw !== "string") return undefined;
  const m = /^(\d+)(?:\.(\d{1,9}))?s$/.exec(raw);
  if (!m) return undefined;
  const nanos = Number((m[2] ?? "").padEnd(9, "0"));
  if (nanos === 0) return `${m[1]}s`;
  const frac = String(nanos).padStart(9, "0");
  const digits = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  return `${m[1]}.${frac.slice(0, digits)}s`;
}

const seconds = (d: string): number => Number(d.slice(0, -1));

function stringMap(f: Fields, body: JsonObject, name: string): Record<string, string> | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) {
    f.fail(name, "format", "must be a map of strings");
    return {};
  }
  return v as Record<string, string>;
}

/** A create sets the secrets; an update's map replaces them, "" keeping a value as it was (the provider sends "" for unchanged ones). */
function applySecrets(
  values: Record<string, string>,
  hashes: Record<string, string>,
  incoming: Record<string, string>,
): { values: Record<string, string>; hashes: Record<string, string> } {
  const out = { values: {} as Record<string, string>, hashes: {} as Record<string, string> };
  for (const [k, v] of Object.entries(incoming)) {
    if (v === "") {
      if (values[k] === undefined) continue;
      out.values[k] = values[k];
      out.hashes[k] = hashes[k] ?? argon2idHash(values[k]);
    } else {
      out.values[k] = v;
      out.hashes[k] = values[k] === v && hashes[k] ? hashes[k] : argon2idHash(v);
    }
  }
  return out;
}

function probeOf(f: Fields, raw: unknown, name: string, base?: Probe): Probe | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) return (f.fail(name, "format", "must be an object"), undefined);
  const p = raw as JsonObject;
  const interval = p.interval === undefined ? base?.interval : duration(p.interval);
  const timeout = p.timeout === undefined ? base?.timeout : duration(p.timeout);
  const threshold = p.failure_threshold ?? base?.failure_threshold;
  if (interval === undefined) f.fail(`${name}.interval`, "format", "must be a duration such as 10s");
  if (timeout === undefined) f.fail(`${name}.timeout`, "format", "must be a duration such as 1s");
  if (typeof threshold !== "number" || !Number.isInteger(threshold) || threshold < 1)
    f.fail(`${name}.failure_threshold`, "constraint", "must be an integer ≥ 1");
  const http = p.http as { path?: unknown } | undefined | null;
  const out: Probe = { failure_threshold: Number(threshold), interval: interval ?? "10s", timeout: timeout ?? "1s" };
  if (http && typeof http === "object") {
    if (typeof http.path !== "string" || !http.path.startsWith("/")) f.fail(`${name}.http.path`, "format", "must start with /");
    out.http = { path: String(http.path) };
  } else if (p.tcp && typeof p.tcp === "object") {
    out.tcp = {};
  } else if (base?.http) out.http = base.http;
  else out.tcp = {};
  return out;
}

function scalingOf(f: Fields, raw: unknown): ScalingOption | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) return (f.fail("scaling_option", "format", "must be an object"), undefined);
  const set = Object.entries(raw as JsonObject).filter(([, v]) => v !== null && v !== undefined);
  if (set.length === 0) return { concurrent_requests_threshold: 50 };
  if (set.length > 1) f.fail("scaling_option", "constraint", "only one scaling option can be set");
  const [k, v] = set[0] ?? ["", 0];
  if (!["concurrent_requests_threshold", "cpu_usage_threshold", "memory_usage_threshold"].includes(k) || typeof v !== "number") {
    f.fail("scaling_option", "format", "must set one of concurrent_requests_threshold, cpu_usage_threshold, memory_usage_threshold");
    return undefined;
  }
  return { [k]: v };
}

function intField(f: Fields, body: JsonObject, name: string, min: number, max: number): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    f.fail(name, "constraint", `must be an integer between ${min} and ${max}`);
    return undefined;
  }
  return v;
}

/** An enum field where `unknown_*` (what the SDK sends for "unset") leaves the value as it was. */
function enumField<T extends string>(f: Fields, body: JsonObject, name: string, allowed: readonly T[]): T | undefined {
  const v = body[name];
  if (v === undefined || v === null || (typeof v === "string" && v.startsWith("unknown_"))) return undefined;
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    f.fail(name, "constraint", `must be one of: ${allowed.join(", ")}`);
    return undefined;
  }
  return v as T;
}

export function containerRoutes(router: Router, ctx: SandboxContext): void {
  const namespaces = () => ctx.store.collection<StoredNamespace>(CONTAINER_NAMESPACES);
  const containers = () => ctx.store.collection<StoredContainer>(CONTAINERS);
  const base = "/containers/v1/regions/{region}";
  expireDeleted(ctx, CONTAINER_NAMESPACES);
  expireDeleted(ctx, CONTAINERS);
  const orgOf = (projectId: string) => ctx.store.collection<Project>(PROJECTS).get(projectId)?.organization_id ?? projectId;
  const gone = (deletedAt: string | undefined) => deletedAt !== undefined && nowMs() - Date.parse(deletedAt) >= ctx.readyDelayMs;

  const nsStatus = (n: StoredNamespace): string => {
    if (n._deleted_at) return "deleting";
    return nowMs() - Date.parse(n.created_at) >= ctx.readyDelayMs ? "ready" : "creating";
  };
  const nsWire = (n: StoredNamespace) => ({
    id: n.id,
    name: n.name,
    organization_id: n.organization_id,
    project_id: n.project_id,
    description: n.description,
    status: nsStatus(n),
    environment_variables: n.environment_variables,
    secret_environment_variables: n.secret_environment_variables,
    tags: n.tags,
    created_at: n.created_at,
    updated_at: n.updated_at,
    region: n.region,
  });
  const findNs = (region: string | undefined, id: string | undefined): StoredNamespace =>
    findInRegion(
      (i) => namespaces().get(i),
      region,
      id,
      () => notFound("namespace", id ?? ""),
      (n) => !gone(n._deleted_at),
    );

  const status = (c: StoredContainer): { status: string; error_message?: string } => {
    if (c._deleted_at) return { status: "deleting" };
    if (nowMs() - Date.parse(c._deploy_at) < ctx.readyDelayMs) return { status: c._phase };
    const o = c._outcome;
    if (!o || o.generation !== c._generation) return { status: c._phase };
    return o.status === "ready" ? { status: "ready", error_message: "" } : { status: "error", error_message: o.message };
  };
  const wire = (c: StoredContainer) => {
    const s = status(c);
    return {
      id: c.id,
      name: c.name,
      namespace_id: c.namespace_id,
      description: c.description,
      status: s.status,
      // As recorded: error_message only once a deploy is over.
      ...(s.error_message !== undefined ? { error_message: s.error_message } : {}),
      created_at: c.created_at,
      updated_at: c.updated_at,
      min_scale: c.min_scale,
      max_scale: c.max_scale,
      memory_limit_bytes: c.memory_limit_bytes,
      mvcpu_limit: c.mvcpu_limit,
      timeout: c.timeout,
      privacy: c.privacy,
      image: c.image,
      protocol: c.protocol,
      port: c.port,
      https_connections_only: c.https_connections_only,
      sandbox: c.sandbox,
      local_storage_limit_bytes: c.local_storage_limit_bytes,
      scaling_option: c.scaling_option,
      tags: c.tags,
      // As recorded: absent when the container has no private network.
      ...(c.private_network_id ? { private_network_id: c.private_network_id } : {}),
      command: c.command,
      args: c.args,
      environment_variables: c.environment_variables,
      public_endpoint: c.public_endpoint,
      liveness_probe: c.liveness_probe,
      startup_probe: c.startup_probe,
      secret_environment_variables: c.secret_environment_variables,
      region: c.region,
    };
  };
  const findContainer = (region: string | undefined, id: string | undefined): StoredContainer =>
    findInRegion(
      (i) => containers().get(i),
      region,
      id,
      () => notFound("container", id ?? ""),
      (c) => !gone(c._deleted_at),
    );

  /** A container joins a private network of its region that exists (VPC v2). */
  const checkPrivateNetwork = (region: string, id: string | undefined): void => {
    if (id && !findPrivateNetwork(ctx, region, id)) throw notFound("private_network", id);
  };

  /** Starts a deploy: the image must be in the sandbox registry, then the stand-in runs it. */
  const deploy = async (c: StoredContainer): Promise<StoredContainer> => {
    // The revision serving keeps serving through a redeploy, also one that fails (runtime.ts).
    runtimeOf(ctx).cancelPending(c.id);
    if (!resolveImage(ctx, c.image)) {
      const ref = parseImageRef(c.image);
      const where = ref
        ? `HEAD https://rg.${ref.region}.scw.cloud/v2/${ref.namespace}/${ref.image}/manifests/${ref.tag}: unexpected status code 404 Not Found (HEAD responses have no body, use GET for details)`
        : "the sandbox runs only images pushed to its registry (rg.<region>.scw.cloud/<namespace>/<image>:<tag>)";
      return {
        ...c,
        _outcome: {
          generation: c._generation,
          status: "error",
          message: `Unable to fetch image "${c.image}": failed to resolve image to digest: ${where}`,
        },
      };
    }
    try {
      await startInstance(ctx, c);
    } catch (err) {
      // The sandbox cannot run it (the stand-in is not built): the deploy fails, saying why.
      const message = err instanceof Error ? err.message : String(err);
      return { ...c, _outcome: { generation: c._generation, status: "error", message } };
    }
    // An outcome may already be stored by the runtime: the stored record is the latest.
    return containers().get(c.id) ?? c;
  };

  router.add("POST", `${base}/namespaces`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const name = f.string("name", { required: true, min: 1, max: 34 });
    const projectId = f.uuid("project_id", { required: true });
    const description = f.string("description") ?? "";
    const tags = f.strings("tags") ?? [];
    const env = stringMap(f, req.body, "environment_variables") ?? {};
    const secrets = stringMap(f, req.body, "secret_environment_variables") ?? {};
    f.check();
    const clash = namespaces()
      .all()
      .find((n) => !n._deleted_at && n.region === region && n.project_id === projectId && n.name === name);
    if (clash) throw alreadyExists("namespace", clash.id, `a namespace named ${name} already exists`);
    const now = timestamp();
    const s = applySecrets({}, {}, secrets);
    const ns: StoredNamespace = {
      id: newId(),
      name,
      organization_id: orgOf(projectId),
      project_id: projectId,
      description,
      environment_variables: env,
      secret_environment_variables: s.hashes,
      tags,
      created_at: now,
      updated_at: now,
      region,
      _secret_values: s.values,
    };
    namespaces().put(ns.id, ns);
    await ctx.store.flush();
    return { body: nsWire(ns) };
  });

  router.add("GET", `${base}/namespaces`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const matches = namespaces()
      .all()
      .filter((n) => n.region === region && !gone(n._deleted_at))
      .filter(sameAsQuery(q, "project_id", "organization_id", "name"));
    const page = paginate(
      q,
      matches,
      ordersBy<StoredNamespace>({ created_at: (n) => n.created_at, name: (n) => n.name }),
      "created_at_asc",
    );
    return { body: { namespaces: page.items.map(nsWire), total_count: page.total } };
  });

  router.add("GET", `${base}/namespaces/{namespace_id}`, (req) => ({ body: nsWire(findNs(req.params.region, req.params.namespace_id)) }));

  router.add("PATCH", `${base}/namespaces/{namespace_id}`, async (req) => {
    const ns = findNs(req.params.region, req.params.namespace_id);
    const f = new Fields(req.body);
    const description = f.string("description");
    const tags = f.strings("tags");
    const env = stringMap(f, req.body, "environment_variables");
    const secrets = stringMap(f, req.body, "secret_environment_variables");
    f.check();
    const s = secrets ? applySecrets(ns._secret_values, ns.secret_environment_variables, secrets) : undefined;
    const updated: StoredNamespace = {
      ...ns,
      description: description ?? ns.description,
      tags: tags ?? ns.tags,
      environment_variables: env ?? ns.environment_variables,
      secret_environment_variables: s?.hashes ?? ns.secret_environment_variables,
      _secret_values: s?.values ?? ns._secret_values,
      updated_at: timestamp(),
    };
    namespaces().put(ns.id, updated);
    await ctx.store.flush();
    return { body: nsWire(updated) };
  });

  router.add("DELETE", `${base}/namespaces/{namespace_id}`, async (req) => {
    const ns = findNs(req.params.region, req.params.namespace_id);
    const now = timestamp();
    // Its containers go with it.
    for (const c of containers()
      .all()
      .filter((x) => x.namespace_id === ns.id && !x._deleted_at)) {
      await runtimeOf(ctx).stop(c.id);
      containers().put(c.id, { ...c, _deleted_at: now, updated_at: now });
      forgetLater(ctx, CONTAINERS, c.id, now);
    }
    const deleting = { ...ns, _deleted_at: now, updated_at: now };
    namespaces().put(ns.id, deleting);
    forgetLater(ctx, CONTAINER_NAMESPACES, ns.id, now);
    await ctx.store.flush();
    return { body: nsWire(deleting) };
  });

  router.add("POST", `${base}/containers`, async (req) => {
    const region = checkRegion(req.params.region);
    const b = req.body;
    const f = new Fields(b);
    const namespaceId = f.uuid("namespace_id", { required: true });
    const name = f.string("name", { required: true, min: 1, max: 34 });
    const image = f.string("image", { required: true, min: 1 });
    const description = f.string("description") ?? "";
    const env = stringMap(f, b, "environment_variables") ?? {};
    const secrets = stringMap(f, b, "secret_environment_variables") ?? {};
    const minScale = intField(f, b, "min_scale", 0, 50) ?? 0;
    const maxScale = intField(f, b, "max_scale", 1, 50) ?? 5;
    const memory = intField(f, b, "memory_limit_bytes", 128_000_000, 32_000_000_000) ?? 2_048_000_000;
    const cpu = intField(f, b, "mvcpu_limit", 70, 8000) ?? 1000;
    const storage = intField(f, b, "local_storage_limit_bytes", 0, 100_000_000_000) ?? 1_000_000_000;
    const port = intField(f, b, "port", 1, 65535) ?? 8080;
    const timeout = b.timeout === undefined || b.timeout === null ? "300s" : duration(b.timeout);
    if (timeout === undefined) f.fail("timeout", "format", "must be a duration such as 300s");
    const privacy = enumField(f, b, "privacy", ["public", "private"] as const) ?? "public";
    const protocol = enumField(f, b, "protocol", ["http1", "h2c"] as const) ?? "http1";
    const sandbox = enumField(f, b, "sandbox", ["v1", "v2"] as const) ?? "v2";
    const https = f.boolean("https_connections_only") ?? false;
    const scaling = scalingOf(f, b.scaling_option) ?? { concurrent_requests_threshold: 50 };
    const liveness = probeOf(f, b.liveness_probe, "liveness_probe") ?? { failure_threshold: 30, interval: "10s", timeout: "1s", tcp: {} };
    const startup = probeOf(f, b.startup_probe, "startup_probe") ?? null;
    const tags = f.strings("tags") ?? [];
    const command = f.strings("command") ?? [];
    const args = f.strings("args") ?? [];
    const pn = f.uuid("private_network_id");
    f.check();
    if (minScale > maxScale) throw invalidArgument("min_scale", "constraint", "must be at most max_scale");
    const ns = findNs(region, namespaceId);
    checkPrivateNetwork(region, pn);
    const clash = containers()
      .all()
      .find((c) => !c._deleted_at && c.namespace_id === ns.id && c.name === name);
    if (clash) throw alreadyExists("container", clash.id, `a container named ${name} already exists in this namespace`);
    // Hashing comes first: the deploy starts (and its delay counts) once the container is recorded.
    const s = applySecrets({}, {}, secrets);
    const listenPort = await freePort();
    const now = timestamp();
    let c: StoredContainer = {
      id: newId(),
      name,
      namespace_id: ns.id,
      description,
      created_at: now,
      updated_at: now,
      min_scale: minScale,
      max_scale: maxScale,
      memory_limit_bytes: memory,
      mvcpu_limit: cpu,
      timeout: timeout ?? "300s",
      privacy,
      image,
      protocol,
      port,
      https_connections_only: https,
      sandbox,
      local_storage_limit_bytes: storage,
      scaling_option: scaling,
      tags,
      private_network_id: pn ?? null,
      command,
      args,
      environment_variables: env,
      public_endpoint: `http://127.0.0.1:${listenPort}`,
      liveness_probe: liveness,
      startup_probe: startup,
      secret_environment_variables: s.hashes,
      region,
      _secret_values: s.values,
      _generation: newId(),
      _deploy_at: now,
      _phase: "creating",
      _listen_port: listenPort,
    };
    containers().put(c.id, c);
    c = await deploy(c);
    containers().put(c.id, c);
    await ctx.store.flush();
    return { body: wire(c) };
  });

  router.add("GET", `${base}/containers`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const nsOf = (c: StoredContainer) => namespaces().get(c.namespace_id);
    const matches = containers()
      .all()
      .filter((c) => c.region === region && !gone(c._deleted_at))
      .filter(sameAsQuery(q, "namespace_id", "name"))
      .filter((c) => !q.get("project_id") || nsOf(c)?.project_id === q.get("project_id"))
      .filter((c) => !q.get("organization_id") || nsOf(c)?.organization_id === q.get("organization_id"));
    const page = paginate(
      q,
      matches,
      ordersBy<StoredContainer>({ created_at: (c) => c.created_at, name: (c) => c.name }),
      "created_at_asc",
    );
    return { body: { containers: page.items.map(wire), total_count: page.total } };
  });

  router.add("GET", `${base}/containers/{container_id}`, (req) => ({
    body: wire(findContainer(req.params.region, req.params.container_id)),
  }));

  router.add("PATCH", `${base}/containers/{container_id}`, async (req) => {
    const old = findContainer(req.params.region, req.params.container_id);
    if (old._deleted_at) throw notFound("container", old.id);
    const b = req.body;
    const f = new Fields(b);
    const description = f.string("description");
    const image = f.string("image", { min: 1 });
    const env = stringMap(f, b, "environment_variables");
    const secrets = stringMap(f, b, "secret_environment_variables");
    const minScale = intField(f, b, "min_scale", 0, 50);
    const maxScale = intField(f, b, "max_scale", 1, 50);
    const memory = intField(f, b, "memory_limit_bytes", 128_000_000, 32_000_000_000);
    const cpu = intField(f, b, "mvcpu_limit", 70, 8000);
    const storage = intField(f, b, "local_storage_limit_bytes", 0, 100_000_000_000);
    const port = intField(f, b, "port", 1, 65535);
    const timeout = b.timeout === undefined || b.timeout === null ? undefined : duration(b.timeout);
    if (b.timeout !== undefined && b.timeout !== null && timeout === undefined)
      f.fail("timeout", "format", "must be a duration such as 300s");
    const privacy = enumField(f, b, "privacy", ["public", "private"] as const);
    const protocol = enumField(f, b, "protocol", ["http1", "h2c"] as const);
    const sandbox = enumField(f, b, "sandbox", ["v1", "v2"] as const);
    // The update request names it https_connection_only (sic, UpdateContainerRequest); accept both.
    const https = f.boolean("https_connection_only") ?? f.boolean("https_connections_only");
    const scaling = scalingOf(f, b.scaling_option);
    const liveness = probeOf(f, b.liveness_probe, "liveness_probe", old.liveness_probe);
    const startup = probeOf(f, b.startup_probe, "startup_probe", old.startup_probe ?? undefined);
    const tags = f.strings("tags");
    const command = f.strings("command");
    const args = f.strings("args");
    const pnRaw = b.private_network_id;
    // "" detaches the container from its private network.
    const pn = typeof pnRaw === "string" ? (pnRaw === "" ? null : pnRaw) : undefined;
    if (pnRaw !== undefined && pnRaw !== null && pnRaw !== "" && (typeof pnRaw !== "string" || !isUuid(pnRaw)))
      f.fail("private_network_id", "format", "must be a UUID");
    f.check();
    const s = secrets ? applySecrets(old._secret_values, old.secret_environment_variables, secrets) : undefined;
    const now = timestamp();
    let c: StoredContainer = {
      ...old,
      description: description ?? old.description,
      image: image ?? old.image,
      environment_variables: env ?? old.environment_variables,
      secret_environment_variables: s?.hashes ?? old.secret_environment_variables,
      _secret_values: s?.values ?? old._secret_values,
      min_scale: minScale ?? old.min_scale,
      max_scale: maxScale ?? old.max_scale,
      memory_limit_bytes: memory ?? old.memory_limit_bytes,
      mvcpu_limit: cpu ?? old.mvcpu_limit,
      local_storage_limit_bytes: storage ?? old.local_storage_limit_bytes,
      port: port ?? old.port,
      timeout: timeout ?? old.timeout,
      privacy: privacy ?? old.privacy,
      protocol: protocol ?? old.protocol,
      sandbox: sandbox ?? old.sandbox,
      https_connections_only: https ?? old.https_connections_only,
      scaling_option: scaling ?? old.scaling_option,
      liveness_probe: liveness ?? old.liveness_probe,
      startup_probe: startup ?? old.startup_probe,
      tags: tags ?? old.tags,
      command: command ?? old.command,
      args: args ?? old.args,
      private_network_id: pn === undefined ? old.private_network_id : pn,
      updated_at: now,
      // Every update is a new deploy (a new revision): the container is `updating` until it is ready again.
      _generation: newId(),
      _deploy_at: now,
      _phase: "updating",
      _outcome: undefined,
    };
    if (c.min_scale > c.max_scale) throw invalidArgument("min_scale", "constraint", "must be at most max_scale");
    checkPrivateNetwork(c.region, pn ?? undefined);
    containers().put(c.id, c);
    c = await deploy(c);
    containers().put(c.id, c);
    await ctx.store.flush();
    return { body: wire(c) };
  });

  router.add("DELETE", `${base}/containers/{container_id}`, async (req) => {
    const c = findContainer(req.params.region, req.params.container_id);
    await runtimeOf(ctx).stop(c.id);
    const now = timestamp();
    const deleting = { ...c, _deleted_at: now, updated_at: now };
    containers().put(c.id, deleting);
    forgetLater(ctx, CONTAINERS, c.id, now);
    await ctx.store.flush();
    return { body: wire(deleting) };
  });

  tokenRoutes(router, ctx, {
    container: (region, id) => {
      const c = containers().get(id);
      return c !== undefined && c.region === region && !c._deleted_at;
    },
    namespace: (region, id) => {
      const n = namespaces().get(id);
      return n !== undefined && n.region === region && !n._deleted_at;
    },
  });

  // Test hook: which process answers behind a container (tests check it is gone after a delete).
  router.add("GET", "/_sandbox/containers/{container_id}", (req) => {
    const c = containers().get(req.params.container_id ?? "");
    if (!c || gone(c._deleted_at)) throw notFound("container", req.params.container_id ?? "");
    return {
      body: {
        id: c.id,
        pid: runtimeOf(ctx).pid(c.id) ?? null,
        listen_port: c._listen_port,
        log: path.join(ctx.dataDir, "container", "logs", `${c.id}.log`),
      },
    };
  });
}

/** The stand-in for one container: its namespace's variables, then its own; PORT set as Scaleway does. */
async function startInstance(ctx: SandboxContext, c: StoredContainer): Promise<void> {
  const ns = ctx.store.collection<StoredNamespace>(CONTAINER_NAMESPACES).get(c.namespace_id);
  const probe = c.startup_probe ?? c.liveness_probe;
  const budget = Math.min(probe.failure_threshold * seconds(probe.interval) * 1000, startupCapMs());
  await runtimeOf(ctx).start({
    containerId: c.id,
    generation: c._generation,
    image: c.image,
    port: c.port,
    listenPort: c._listen_port,
    healthPath: c.startup_probe?.http?.path ?? c.liveness_probe.http?.path ?? "/",
    env: { ...ns?.environment_variables, ...ns?._secret_values, ...c.environment_variables, ...c._secret_values },
    secretKeys: [...new Set([...Object.keys(ns?._secret_values ?? {}), ...Object.keys(c._secret_values)])],
    command: c.command,
    args: c.args,
    private: c.privacy === "private",
    startupBudgetMs: budget,
  });
  const all = ctx.store.collection<StoredContainer>(CONTAINERS);
  const latest = all.get(c.id);
  if (latest) all.put(c.id, { ...latest, _pid: undefined, _pids: runtimeOf(ctx).pids(c.id) });
}

/** A stand-in left running by a sandbox that was killed (its stop hooks never ran) is stopped, freeing its port. */
async function stopLeftover(pid: number | undefined): Promise<boolean> {
  if (!pid) return false;
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return false; // gone (or no /proc): nothing to stop
  }
  // The pid was reused by another program unless it is a stand-in or a container's own python3 command.
  if (!cmdline.includes(`standin${path.sep}main.js`) && !cmdline.startsWith("/usr/bin/python3\0")) return false;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    return false;
  }
  // Gone, or a zombie (its parent died: nobody may reap it here), has released its port.
  for (let i = 0; i < 50; i++) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    if (stat === "" || / Z /.test(stat)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/**
 * Restarts the stand-ins of the containers that were deployed (ready, or still starting) when the
 * sandbox stopped, on the same port when it is free (else another, and the public endpoint follows).
 */
export async function resumeContainers(ctx: SandboxContext): Promise<void> {
  const all = ctx.store.collection<StoredContainer>(CONTAINERS);
  const started: string[] = [];
  runtimeOf(ctx);
  let changed = false;
  for (const c of all.all()) {
    if (c._deleted_at) continue;
    let killed = false;
    for (const pid of [...(c._pids ?? []), ...(c._pid ? [c._pid] : [])]) killed = (await stopLeftover(pid)) || killed;
    const o = c._outcome;
    if (o && o.generation === c._generation && o.status === "error") continue;
    if (!resolveImage(ctx, c.image)) continue;
    let port = await freePort(c._listen_port);
    // The port of a stand-in just killed can take a moment to be released by the kernel.
    for (let i = 0; killed && port !== c._listen_port && i < 30; i++) {
      await new Promise((r) => setTimeout(r, 100));
      port = await freePort(c._listen_port);
    }
    const resumed = port === c._listen_port ? c : { ...c, _listen_port: port, public_endpoint: `http://127.0.0.1:${port}` };
    if (resumed !== c) {
      all.put(c.id, resumed);
      changed = true;
    }
    await startInstance(ctx, resumed);
    started.push(resumed.id);
  }
  // The sandbox answers once its containers do again (or are known to have failed).
  await Promise.all(started.map((id) => runtimeOf(ctx).settled(id)));
  if (changed) await ctx.store.flush();
}
