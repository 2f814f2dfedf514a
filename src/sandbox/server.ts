import { mkdir } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { accountRoutes, seedDefaultProject } from "./apis/account.js";
import { rdbRoutes, resumeRdb } from "./apis/rdb/index.js";
import { secretRoutes } from "./apis/secret.js";
import { registryRoutes } from "./apis/registry.js";
import { containerRoutes, resumeContainers } from "./apis/container/index.js";
import { cockpitRoutes } from "./apis/cockpit/index.js";
import { vpcRoutes } from "./apis/vpc.js";
import { ipamRoutes } from "./apis/ipam.js";
import { iamRoutes } from "./apis/iam.js";
import { isUuid } from "./clock.js";
import { lockDataDir } from "./datalock.js";
import type { SandboxContext } from "./context.js";
import { deniedAuthentication, invalidArgument, type JsonObject, ScwError, tooManyRequests } from "./errors.js";
import { type ApiRequest, Router } from "./router.js";
import { Store } from "./store.js";

export interface SandboxOptions {
  /** Where the state lives (`state.json`); a new sandbox on the same folder finds it again. */
  dataDir: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Delay before a `provisioning`/`pending` resource becomes `ready` (default 0). */
  readyDelayMs?: number;
  /** The only secret key accepted in X-Auth-Token; without it, any key shaped as a Scaleway secret key (a UUID). */
  token?: string;
  /** The account's organization and default project, created on first start (ids are UUIDs). */
  account?: { organizationId: string; defaultProjectId: string };
  /** Called once per answered request (tests use it to see which endpoints a client calls). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface RequestLogEntry {
  method: string;
  /** The path with its query string. */
  url: string;
  status: number;
  /** The error type of an error answer (`not_found`, `invalid_arguments`...); `route` marks an unserved route. */
  error?: string;
}

export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`: what SCW_API_URL should be. */
  url: string;
  stop(): Promise<void>;
}

/** Answers injected before the normal ones, for tests of clients' retries (see `POST /_sandbox/faults`). */
interface Fault {
  status: 429;
  retryAfterSeconds: number;
  remaining: number;
  pathPrefix: string;
}

const MAX_BODY = 10 * 1024 * 1024;

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const delay = opts.readyDelayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0) throw new Error(`sandbox readyDelayMs must be a number of milliseconds ≥ 0, not ${delay}`);
  await mkdir(opts.dataDir, { recursive: true });
  const unlock = await lockDataDir(opts.dataDir);
  try {
    return await serve(opts, unlock);
  } catch (err) {
    await unlock();
    throw err;
  }
}

async function serve(opts: SandboxOptions, unlock: () => Promise<void>): Promise<Sandbox> {
  const store = await Store.open(opts.dataDir);
  const stopHooks: (() => Promise<void>)[] = [];
  const ctx: SandboxContext = {
    store,
    readyDelayMs: opts.readyDelayMs ?? 0,
    dataDir: opts.dataDir,
    onStop: (fn) => void stopHooks.unshift(fn),
    acceptsKey: (key) => (opts.token !== undefined ? key === opts.token : isUuid(key)),
    url: "",
  };
  if (opts.account) {
    const { organizationId, defaultProjectId } = opts.account;
    if (!isUuid(organizationId) || !isUuid(defaultProjectId)) {
      throw new Error("sandbox account: organizationId and defaultProjectId must be UUIDs (as SCW_DEFAULT_ORGANIZATION_ID/PROJECT_ID)");
    }
    if (seedDefaultProject(ctx, organizationId, defaultProjectId)) await store.flush();
  }
  const router = new Router();
  accountRoutes(router, ctx);
  secretRoutes(router, ctx);
  rdbRoutes(router, ctx);
  registryRoutes(router, ctx);
  containerRoutes(router, ctx);
  cockpitRoutes(router, ctx);
  vpcRoutes(router, ctx);
  ipamRoutes(router, ctx);
  iamRoutes(router, ctx);
  const faults: Fault[] = [];
  adminRoutes(router, store, faults);

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const log = (status: number, error?: string) => opts.onRequest?.({ method: req.method ?? "GET", url: req.url ?? "/", status, error });
    try {
      const url = new URL(req.url ?? "/", "http://sandbox");
      // `/_sandbox/public/` serves what a presigned URL points at (backup downloads): its handler checks the URL's own key.
      if (!url.pathname.startsWith("/_sandbox/public/")) checkToken(req.headers["x-auth-token"], opts.token);
      const method = req.method ?? "GET";
      const admin = url.pathname.startsWith("/_sandbox/");
      const fault = admin ? undefined : faults.find((f) => f.remaining > 0 && url.pathname.startsWith(f.pathPrefix));
      if (fault) {
        fault.remaining--;
        throw tooManyRequests(fault.retryAfterSeconds);
      }
      const { handler, params, rawBody } = router.match(method, url.pathname);
      const text = await readText(req);
      const body = rawBody ? {} : parseBody(text);
      const apiReq: ApiRequest = { method, path: url.pathname, params, query: url.searchParams, body, text };
      const out = await handler(apiReq);
      // Logged before the answer leaves, so a client that got it finds its entry.
      log(out.status ?? 200);
      if (out.raw) {
        res
          .writeHead(out.status ?? 200, { "Content-Type": out.raw.contentType, "Content-Length": Buffer.byteLength(out.raw.text) })
          .end(out.raw.text);
      } else send(res, out.status ?? 200, out.body);
    } catch (err) {
      if (err instanceof ScwError) {
        log(err.status, err.body.resource === "route" ? "route" : typeof err.body.type === "string" ? err.body.type : String(err.status));
        send(res, err.status, err.body, err.headers);
      } else {
        log(500, err instanceof Error ? err.message : String(err));
        send(res, 500, { message: "internal error", type: "internal_error" });
      }
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  ctx.url = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | undefined;
  const close = async () => {
    await new Promise<void>((resolve, reject) => {
      server.close((err) => (err ? reject(err) : resolve()));
      server.closeAllConnections();
    });
    // Every hook runs even when one fails (a process already gone); the first error is reported after.
    const failures: unknown[] = [];
    for (const hook of stopHooks) await hook().catch((err: unknown) => void failures.push(err));
    // Nothing is left half-written: the last flush finishes before stop resolves.
    await store.flush();
    await unlock();
    if (failures.length > 0) throw failures[0];
  };
  // Real processes behind resources start again from the stored state; on failure the sandbox stops.
  // PostgreSQL first: a container's stand-in connects to its database as it starts.
  try {
    await resumeRdb(ctx);
    await resumeContainers(ctx);
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    // Idempotent: a second stop (a test's cleanup after a failed step) waits for the first.
    stop: () => (stopping ??= close()),
  };
}

function checkToken(header: string | string[] | undefined, expected: string | undefined): void {
  const token = Array.isArray(header) ? header[0] : header;
  if (!token) throw deniedAuthentication(401, "not_found");
  const ok = expected !== undefined ? token === expected : isUuid(token);
  if (!ok) throw deniedAuthentication(403, "invalid_argument");
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw invalidArgument("body", "constraint", `must be at most ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function parseBody(raw: string): JsonObject {
  const text = raw.trim();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalidArgument("body", "format", "must be a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw invalidArgument("body", "format", "must be a JSON object");
  return parsed as JsonObject;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  if (Buffer.isBuffer(body)) {
    res.writeHead(status, { "Content-Type": "application/octet-stream", "Content-Length": body.length, ...headers }).end(body);
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers }).end(text);
}

/**
 * The sandbox's own endpoints, under `/_sandbox/` (no Scaleway API lives there): what it holds, and
 * faults to inject. They need the token like any other call.
 */
function adminRoutes(router: Router, store: Store, faults: Fault[]): void {
  router.add("GET", "/_sandbox/resources", () => ({ body: { counts: store.counts() } }));
  router.add("POST", "/_sandbox/faults", (req) => {
    const count = req.body.count ?? 1;
    const retryAfter = req.body.retry_after ?? 1;
    const prefix = req.body.path_prefix ?? "/";
    if (req.body.status !== 429) throw invalidArgument("status", "constraint", "only 429 can be injected");
    if (typeof count !== "number" || !Number.isInteger(count) || count < 1)
      throw invalidArgument("count", "constraint", "must be an integer ≥ 1");
    if (typeof retryAfter !== "number" || !Number.isInteger(retryAfter) || retryAfter < 0) {
      throw invalidArgument("retry_after", "constraint", "must be a whole number of seconds ≥ 0");
    }
    if (typeof prefix !== "string" || !prefix.startsWith("/")) throw invalidArgument("path_prefix", "format", "must start with /");
    faults.push({ status: 429, retryAfterSeconds: retryAfter, remaining: count, pathPrefix: prefix });
    return { status: 204 };
  });
}
