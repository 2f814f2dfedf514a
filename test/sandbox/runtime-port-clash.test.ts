import { createServer, type Server } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { portHolder } from "../../src/sandbox/apis/container/listeners.js";
import { ContainerRuntime, type Outcome } from "../../src/sandbox/apis/container/runtime.js";
import { freePort } from "../../src/sandbox/ports.js";

/**
 * A revision's internal port is chosen free, then taken by the program the revision starts. When
 * another program of the machine takes it in between (many sandboxes run at once in a test suite),
 * the answer on that port is not the container's: before this was checked, the deploy was reported
 * ready while its own program had exited on EADDRINUSE, and the endpoint answered 502 for good (a
 * migration runner polled for 30 minutes). Real stand-in processes and real ports on 127.0.0.1.
 */
describe("a revision whose internal port another program took", () => {
  let dir: string;
  let foreign: Server;
  let foreignPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "evalap-port-clash-"));
    foreign = createServer((_req, res) => res.writeHead(200, { "content-type": "text/plain" }).end("not the container"));
    foreignPort = await freePort();
    await new Promise<void>((resolve) => foreign.listen(foreignPort, "127.0.0.1", resolve));
  });

  afterAll(async () => {
    foreign.closeAllConnections();
    await new Promise((r) => foreign.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it("portHolder tells the listening process from another one and from nobody", async () => {
    expect(await portHolder(foreignPort, process.pid)).toBe("it");
    expect(await portHolder(foreignPort)).toBe("another");
    const idle = await freePort();
    expect(await portHolder(idle, process.pid)).toBe("nobody");
  });

  it("is not taken for the container: the deploy starts again on another port and its endpoint answers as the container", async () => {
    const picked: number[] = [];
    const outcomes: Outcome[] = [];
    // The first port offered is the one the foreign server holds; later ones are free.
    const pickPort = async () => {
      const port = picked.length === 0 ? foreignPort : await freePort();
      picked.push(port);
      return port;
    };
    let reported!: () => void;
    const settled = new Promise<void>((resolve) => (reported = resolve));
    const runtime = new ContainerRuntime(
      path.join(dir, "logs"),
      path.join(dir, "data"),
      () => true,
      (_id, outcome) => {
        outcomes.push(outcome);
        reported();
      },
      pickPort,
    );
    const listenPort = await freePort();
    try {
      await runtime.start({
        containerId: "c1",
        generation: "g1",
        image: "rg.fr-par.scw.cloud/evalap/evalap:v1",
        port: 8000,
        listenPort,
        healthPath: "/openapi.json",
        env: { ADMIN_TOKEN: "clash-test-admin-token" },
        secretKeys: ["ADMIN_TOKEN"],
        command: [],
        args: [],
        private: false,
        startupBudgetMs: 30_000,
      });
      await settled;
      expect(outcomes).toEqual([{ generation: "g1", status: "ready" }]);
      expect(picked.length).toBeGreaterThanOrEqual(2);
      expect(picked[0]).toBe(foreignPort);
      const res = await fetch(`http://127.0.0.1:${listenPort}/openapi.json`);
      expect(await res.text()).toContain("EvalAP (sandbox stand-in)"); // not the foreign server's answer
      expect(res.status).toBe(200);
      const pid = runtime.pid("c1");
      expect(pid).toBeDefined();
      expect(await portHolder(picked.at(-1) ?? 0, pid)).toBe("it");
    } finally {
      await runtime.stopAll();
    }
  }, 60_000);
});
