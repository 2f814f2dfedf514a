/**
 * A fault-injecting HTTP proxy on 127.0.0.1, put in front of the S3 test server (versitygw) to make
 * the object store, tofu's s3 backend or the CLI meet the failures a real bucket has: server errors,
 * answers lost after the write was applied, outages, requests that hang.
 *
 * It forwards method, path, query, headers (Host included, as the client sent it, so that AWS SigV4
 * signatures stay valid) and bodies (streamed both ways) unchanged. Point the client's endpoint at
 * `proxy.endpoint` with path-style addressing.
 *
 * Usage:
 *   const proxy = await startFaultProxy({ upstream: s3.endpoint });
 *   proxy.endpoint;                                  // http://127.0.0.1:PORT
 *   proxy.fail({ match: requestTo('PUT', '/lock.json'), status: 503, times: 2 });  // answer, don't forward
 *   proxy.dropAnswer({ match, times: 1 });          // forward (the write happens), then cut the client off
 *   proxy.stall({ match });                         // hold the request unanswered until the client gives up
 *   proxy.outage(2000); proxy.down(); proxy.up();   // cut off every request for a window / until up()
 *   proxy.requests;                                  // [{ method, path, query, status | 'dropped' | 'refused' | 'stalled', at }]
 *   proxy.pendingRules();                            // rules not used up yet
 *   proxy.reset();                                   // no rules, no outage, empty log
 *   await proxy.close();
 *
 * Rules: each request takes the first pending rule (in the order they were added) whose `match`
 * accepts it (no `match`: every request); the rule's `times` (default 1) counts down and the rule is
 * gone at 0. `during`, when given, runs while the request is held, before the fault is applied (e.g.
 * another writer's write exactly then). An outage wins over rules. "Refused" and "dropped" both
 * destroy the client's socket: the client sees ECONNRESET / socket hang up.
 *
 * Bounded: it listens on 127.0.0.1 and only forwards to an upstream on 127.0.0.1 / localhost.
 */
import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";

export interface ProxiedRequest {
  method: string;
  /** Raw path, as sent (path-style S3: `/bucket/key`). */
  path: string;
  /** Raw query without `?` ('' when none). */
  query: string;
  headers: IncomingHttpHeaders;
}

/** 'pending': held or forwarded, no outcome yet. */
export type RequestOutcome = number | "dropped" | "refused" | "stalled" | "pending";

export interface LoggedRequest {
  method: string;
  path: string;
  query: string;
  /** The status the client got; 'dropped' (forwarded, answer cut off), 'refused' (outage), 'stalled', 'pending'. */
  status: RequestOutcome;
  /** For 'dropped': the status upstream answered, which the client never saw. */
  upstreamStatus?: number;
  /** Date.now() when the request arrived. */
  at: number;
}

export interface RuleOptions {
  match?: (r: ProxiedRequest) => boolean;
  /** How many requests the rule applies to (default 1). */
  times?: number;
  /** Runs while the request is held, before the fault (e.g. a competing write); awaited. */
  during?: () => Promise<unknown> | void;
}

export interface FailOptions extends RuleOptions {
  status: number;
  /** S3 error code of the XML body (default by status: ServiceUnavailable, InternalError, SlowDown...). */
  code?: string;
  /** Sent as Retry-After (seconds) when given. */
  retryAfterSeconds?: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  readonly port: number;
  /** Answer matching requests with `status` and an S3 error body, without forwarding them. */
  fail(opts: FailOptions): void;
  /** Forward matching requests and wait for upstream's whole answer, then destroy the client socket. */
  dropAnswer(opts?: RuleOptions): void;
  /** Hold matching requests without forwarding or answering, until the client gives up or close(). */
  stall(opts?: RuleOptions): void;
  /** Refuse every request for `ms` from now. */
  outage(ms: number): void;
  /** Refuse every request until up(). */
  down(): void;
  up(): void;
  /** Every request seen, in arrival order. */
  readonly requests: readonly LoggedRequest[];
  /** Rules not yet used up. */
  pendingRules(): number;
  /** Drops the rules and the outage, empties the log. */
  reset(): void;
  close(): Promise<void>;
}

export interface FaultProxyOptions {
  /** The server to forward to: http://127.0.0.1:PORT (or localhost). */
  upstream: string;
  /** Listen on this port (default: a free one). */
  port?: number;
}

type Fault =
  { kind: "fail"; status: number; code: string | undefined; retryAfterSeconds: number | undefined } | { kind: "drop" } | { kind: "stall" };

interface Rule {
  fault: Fault;
  match: ((r: ProxiedRequest) => boolean) | undefined;
  during: (() => Promise<unknown> | void) | undefined;
  left: number;
}

const DEFAULT_CODES: Record<number, string> = {
  429: "SlowDown",
  500: "InternalError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

/** Matches requests by method and by the end of the path (e.g. the object key). */
export function requestTo(method: string, pathEnd: string): (r: ProxiedRequest) => boolean {
  return (r) => r.method === method && decodeURIComponent(r.path).endsWith(pathEnd);
}

export async function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxy> {
  const upstream = localUpstream(opts.upstream);
  const agent = new Agent({ keepAlive: true });
  const rules: Rule[] = [];
  const log: LoggedRequest[] = [];
  let downUntil = 0;

  const addRule = (fault: Fault, o: RuleOptions = {}): void => {
    rules.push({ fault, match: o.match, during: o.during, left: o.times ?? 1 });
  };

  /** The first pending rule that takes this request, counted down. */
  const take = (r: ProxiedRequest): Rule | undefined => {
    const i = rules.findIndex((rule) => rule.match === undefined || rule.match(r));
    const rule = rules[i];
    if (rule === undefined) return undefined;
    if (--rule.left <= 0) rules.splice(i, 1);
    return rule;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => req.socket.destroy());
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const info: ProxiedRequest = {
      method: req.method ?? "GET",
      path: q < 0 ? url : url.slice(0, q),
      query: q < 0 ? "" : url.slice(q + 1),
      headers: req.headers,
    };
    const entry: LoggedRequest = { method: info.method, path: info.path, query: info.query, status: "pending", at: Date.now() };
    log.push(entry);
    if (Date.now() < downUntil) {
      entry.status = "refused";
      return void req.socket.destroy();
    }
    const rule = take(info);
    if (rule?.during) await rule.during();
    const fault = rule?.fault;
    if (fault?.kind === "stall") {
      entry.status = "stalled";
      return;
    }
    if (fault?.kind === "fail") return answerError(req, res, fault, entry);
    forward(req, res, entry, fault?.kind === "drop");
  }

  function forward(req: IncomingMessage, res: ServerResponse, entry: LoggedRequest, drop: boolean): void {
    const out = httpRequest({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      // Raw headers keep names, order and Host as the client signed them.
      headers: req.rawHeaders,
      agent,
    });
    out.on("response", (up) => {
      if (drop) return dropAfter(up, req, entry);
      entry.status = up.statusCode ?? 502;
      res.writeHead(up.statusCode ?? 502, up.statusMessage, up.rawHeaders);
      up.pipe(res);
    });
    out.on("error", () => {
      entry.status = 502;
      if (res.headersSent) return void req.socket.destroy();
      res.writeHead(502, { "content-type": "text/plain" }).end("upstream unreachable");
    });
    // The client gave up (timeout, reset): the upstream request goes too.
    res.on("close", () => {
      if (!res.writableFinished && !drop) out.destroy();
    });
    req.pipe(out);
  }

  /** Lets upstream finish its answer (the write is applied and acknowledged), then cuts the client off. */
  function dropAfter(up: IncomingMessage, req: IncomingMessage, entry: LoggedRequest): void {
    entry.status = "dropped";
    if (up.statusCode !== undefined) entry.upstreamStatus = up.statusCode;
    up.on("end", () => req.socket.destroy());
    up.resume();
  }

  function answerError(req: IncomingMessage, res: ServerResponse, fault: Extract<Fault, { kind: "fail" }>, entry: LoggedRequest): void {
    entry.status = fault.status;
    const code = fault.code ?? DEFAULT_CODES[fault.status] ?? `Http${fault.status}`;
    const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the fault proxy</Message></Error>`;
    const headers: Record<string, string | number> = { "content-type": "application/xml", "content-length": Buffer.byteLength(body) };
    if (fault.retryAfterSeconds !== undefined) headers["retry-after"] = fault.retryAfterSeconds;
    // Read the whole request first: answering mid-upload would make the client see a reset instead.
    req.resume();
    req.on("end", () => res.writeHead(fault.status, headers).end(req.method === "HEAD" ? undefined : body));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    fail: (o) => addRule({ kind: "fail", status: o.status, code: o.code, retryAfterSeconds: o.retryAfterSeconds }, o),
    dropAnswer: (o) => addRule({ kind: "drop" }, o),
    stall: (o) => addRule({ kind: "stall" }, o),
    outage: (ms) => {
      downUntil = Date.now() + ms;
    },
    down: () => {
      downUntil = Number.POSITIVE_INFINITY;
    },
    up: () => {
      downUntil = 0;
    },
    get requests() {
      return log;
    },
    pendingRules: () => rules.length,
    reset: () => {
      rules.length = 0;
      log.length = 0;
      downUntil = 0;
    },
    close: async () => {
      rules.length = 0;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}

function localUpstream(endpoint: string): URL {
  const url = new URL(endpoint);
  if (url.protocol !== "http:" || !["127.0.0.1", "localhost"].includes(url.hostname)) {
    throw new Error(`the fault proxy only forwards to http://127.0.0.1 or localhost, not ${endpoint}`);
  }
  return url;
}
