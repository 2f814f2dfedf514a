import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { pipeline } from "node:stream";

/** One revision's stand-in as the proxy sees it: where it listens and how many requests it is answering. */
export interface Upstream {
  port: number;
  inflight: number;
  /** Called each time inflight drops to 0 (a retiring revision waits for it). */
  onIdle?: () => void;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business with each side, not forwarded.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

function endToEnd(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

function answer(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ message });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
}

/**
 * A container's public endpoint: an HTTP proxy on the container's port of 127.0.0.1 that sends each
 * request to the revision serving at that moment (`current`), so that a redeploy switches revisions
 * between two requests instead of closing the port. Each request gets its own connection upstream
 * (no pooled keep-alive socket that the stand-in could close under a request); bodies stream both ways;
 * a client that goes away only cancels its own upstream request.
 */
export class EndpointProxy {
  current: Upstream | undefined;
  /**
   * A private container's check of X-Auth-Token (an IAM API secret key whose principal holds
   * ContainersPrivateAccess; a call without it gets 403: Scaleway's docs, serverless-containers
   * how-to/create-auth-token-from-console and migrate-jwt-to-iam-authentication). Unset: public.
   */
  guard: ((token: string | undefined) => boolean) | undefined;
  private server: Server | undefined;

  constructor(readonly port: number) {}

  get listening(): boolean {
    return this.server?.listening ?? false;
  }

  /** Listens on the public port; retries while a process left from before still holds it (about 5 s). */
  async listen(): Promise<void> {
    if (this.server) return;
    const server = createServer((req, res) => this.forward(req, res));
    this.server = server;
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(this.port, "127.0.0.1", () => {
            server.off("error", reject);
            resolve();
          });
        });
        // A listening server's later errors (none expected) must not crash the sandbox.
        server.on("error", () => undefined);
        // Closed while it was opening: close it now, or the port would stay taken by nobody's server.
        if (this.server !== server) await new Promise<void>((resolve) => server.close(() => resolve()));
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== "EADDRINUSE" || attempt >= 50) {
          this.server = undefined;
          throw new Error(`cannot listen on the container's port 127.0.0.1:${this.port}: ${(err as Error).message}`, { cause: err });
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.current = undefined;
    if (!server?.listening) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }

  private forward(req: IncomingMessage, res: ServerResponse): void {
    const token = req.headers["x-auth-token"];
    if (this.guard && !this.guard(Array.isArray(token) ? token[0] : token)) {
      req.resume();
      return answer(res, 403, "this container is private: call it with X-Auth-Token (an API secret key allowed ContainersPrivateAccess)");
    }
    const up = this.current;
    if (!up) return answer(res, 503, "the container has no running instance");
    up.inflight++;
    res.once("close", () => {
      up.inflight--;
      if (up.inflight === 0) up.onIdle?.();
    });
    const upstream = request(
      { host: "127.0.0.1", port: up.port, method: req.method, path: req.url, headers: endToEnd(req.headers), agent: false },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.statusMessage, endToEnd(ur.headers));
        pipeline(ur, res, () => undefined);
      },
    );
    upstream.on("error", (err) => {
      if (!res.headersSent) answer(res, 502, `the container's instance did not answer: ${err.message}`);
      else res.destroy();
    });
    // A client that aborts (or whose body fails) cancels the upstream request, nothing more.
    res.once("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
    pipeline(req, upstream, (err) => {
      if (err) upstream.destroy();
    });
  }
}
