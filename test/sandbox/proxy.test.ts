import { Agent, createServer, request, type Server } from "node:http";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointProxy, type Upstream } from "../../src/sandbox/apis/container/proxy.js";
import { freePort } from "../../src/sandbox/ports.js";

/**
 * A container's public endpoint (apis/container/proxy.ts) in front of two real HTTP servers standing
 * for two revisions: a kept-alive client connection follows the switch, bodies stream both ways, and
 * a client that goes away releases its request.
 */
describe("the container endpoint proxy", () => {
  const servers: Server[] = [];
  let proxy: EndpointProxy;
  const revisions: Upstream[] = [];

  /** A revision: /echo streams the body back, /slow never answers, anything else names the revision. */
  const revision = async (name: string): Promise<Upstream> => {
    const server = createServer((req, res) => {
      if (req.url === "/echo") {
        res.writeHead(200, { "content-type": "text/plain", "x-revision": name });
        req.pipe(res);
      } else if (req.url === "/slow") {
        req.resume(); // never answered: the client gives up
      } else {
        res.writeHead(200, { "content-type": "text/plain" }).end(name);
      }
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    servers.push(server);
    return { port, inflight: 0 };
  };

  beforeAll(async () => {
    revisions.push(await revision("one"), await revision("two"));
    proxy = new EndpointProxy(await freePort());
    await proxy.listen();
  });

  afterAll(async () => {
    await proxy.close();
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  const get = (agent: Agent, p: string) =>
    new Promise<{ status: number; body: string; socket: unknown }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: proxy.port, path: p, agent }, (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => (body += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, socket: req.socket }));
      });
      req.on("error", reject);
      req.end();
    });

  it("answers 503 with no revision, then sends each request to the revision current when it arrives", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await get(agent, "/")).status).toBe(503);
      proxy.current = revisions[0];
      const first = await get(agent, "/");
      expect(first.body).toBe("one");
      proxy.current = revisions[1];
      const second = await get(agent, "/");
      // The same client connection, kept alive, reaches the new revision.
      expect(second.body).toBe("two");
      expect(second.socket).toBe(first.socket);
      expect(revisions.map((r) => r.inflight)).toEqual([0, 0]);
    } finally {
      agent.destroy();
    }
  });

  it("streams a request body to the revision and its answer back", async () => {
    proxy.current = revisions[1];
    const chunks = Array.from({ length: 64 }, (_, i) => `chunk-${i};`.repeat(512));
    const res = await fetch(`http://127.0.0.1:${proxy.port}/echo`, {
      method: "POST",
      body: Readable.toWeb(Readable.from(chunks)) as ReadableStream,
      duplex: "half",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-revision")).toBe("two");
    expect(await res.text()).toBe(chunks.join(""));
  });

  it("a client that aborts releases its request (the revision's count drains) and the proxy keeps serving", async () => {
    const up = revisions[0] as Upstream;
    proxy.current = up;
    let idle = 0;
    up.onIdle = () => idle++;
    const aborted = fetch(`http://127.0.0.1:${proxy.port}/slow`, { signal: AbortSignal.timeout(300) });
    await expect(aborted).rejects.toThrow();
    for (let n = 0; n < 50 && up.inflight > 0; n++) await new Promise((r) => setTimeout(r, 20));
    expect(up.inflight).toBe(0);
    expect(idle).toBe(1);
    expect(await (await fetch(`http://127.0.0.1:${proxy.port}/`)).text()).toBe("one");
  });

  it("answers 502 when the revision does not answer, and closes the port on close", async () => {
    proxy.current = { port: await freePort(), inflight: 0 };
    const res = await fetch(`http://127.0.0.1:${proxy.port}/`);
    expect(res.status).toBe(502);
    expect(((await res.json()) as { message: string }).message).toMatch(/ECONNREFUSED/);
    await proxy.close();
    await expect(fetch(`http://127.0.0.1:${proxy.port}/`)).rejects.toThrow();
  });
});
