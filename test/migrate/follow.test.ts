import { createServer, type Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { followRunner, type RunnerState } from "../../src/migrate/runner.js";
import { freePort } from "../../src/sandbox/ports.js";

/**
 * How the CLI reads the migration runner (src/migrate/runner.ts), against real HTTP servers on
 * 127.0.0.1 standing for the runner's endpoint: the log streamed once and in order, and a runner that
 * stops answering for its run given up after `unansweredMs`, not polled until the run's deadline.
 */
describe("following the migration runner", () => {
  let server: Server | undefined;

  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => (server ? server.close(r) : r(undefined)));
    server = undefined;
  });

  /** An endpoint whose nth GET is answered by `answer(n)`: a status and a body. */
  async function endpoint(answer: (n: number, token: string | undefined) => { status: number; body: unknown }): Promise<string> {
    let n = 0;
    server = createServer((req, res) => {
      const { status, body } = answer(n++, req.headers["x-auth-token"] as string | undefined);
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server?.listen(port, "127.0.0.1", resolve));
    return `http://127.0.0.1:${port}/`;
  }

  const state = (over: Partial<RunnerState>): RunnerState => ({
    id: "m1",
    status: "running",
    exit_code: null,
    args: ["upgrade", "head"],
    log: [],
    ...over,
  });
  const ctx = { signal: new AbortController().signal };

  it("streams each new log line once, in order, sends the key, and ends with the runner's final state", async () => {
    const tokens = new Set<string | undefined>();
    const url = await endpoint((n, token) => {
      tokens.add(token);
      if (n === 0) return { status: 200, body: state({ status: "waiting", log: ["a"] }) };
      if (n === 1) return { status: 200, body: state({ log: ["a", "b"] }) };
      return { status: 200, body: state({ status: "succeeded", exit_code: 0, log: ["a", "b", "c"] }) };
    });
    const lines: string[] = [];
    const final = await followRunner(
      ctx,
      { id: "m1", url, key: "runner-key" },
      { timeoutMs: 30_000, pollMs: 10, onLine: (l) => lines.push(l) },
    );
    expect(final).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(lines).toEqual(["a", "b", "c"]);
    expect([...tokens]).toEqual(["runner-key"]);
  });

  it("gives up on a runner that answers 502 for longer than unansweredMs, naming what it got", async () => {
    const url = await endpoint(() => ({ status: 502, body: { message: "no revision serving" } }));
    const started = Date.now();
    const err = await followRunner(ctx, { id: "m1", url, key: "k" }, { timeoutMs: 60_000, pollMs: 10, unansweredMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: "migration_runner_unreachable" });
    expect((err as Error).message).toContain("has not answered for run m1");
    expect((err as Error).message).toContain("last: HTTP 502");
    expect(Date.now() - started).toBeLessThan(30_000); // the unanswered window, not the run's 60 s deadline
  });

  it("gives up on a runner that answers for another run, and on one that went away", async () => {
    const url = await endpoint(() => ({ status: 200, body: state({ id: "m0" }) }));
    const other = await followRunner(ctx, { id: "m1", url, key: "k" }, { timeoutMs: 60_000, pollMs: 10, unansweredMs: 200 }).catch(
      (e: unknown) => e,
    );
    expect((other as Error).message).toContain("it answers for run m0, not m1");
    const gone = await followRunner(
      ctx,
      { id: "m1", url: `http://127.0.0.1:${await freePort()}/`, key: "k" },
      { timeoutMs: 60_000, pollMs: 10, unansweredMs: 200 },
    ).catch((e: unknown) => e);
    expect(gone).toMatchObject({ code: "migration_runner_unreachable" });
  });

  it("keeps following a runner that answers, however long it waits for the migration lock", async () => {
    const url = await endpoint((n) =>
      n < 30 ? { status: 200, body: state({ status: "waiting" }) } : { status: 200, body: state({ status: "failed", exit_code: 1 }) },
    );
    const final = await followRunner(ctx, { id: "m1", url, key: "k" }, { timeoutMs: 60_000, pollMs: 20, unansweredMs: 200 });
    expect(final.status).toBe("failed");
  });
});
