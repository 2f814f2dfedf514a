import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EvalapError, InterruptedError } from "../../src/core/errors.js";
import { EventRecorder } from "../../src/events/bus.js";
import {
  DEFAULT_HEALTH_POLICY,
  healthGate,
  servicesFromOutputs,
  type BodyExpectation,
  type HealthPolicy,
  type ServiceEndpoint,
} from "../../src/health/index.js";

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          // Hanging handlers keep sockets open; close them or close() never returns.
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

interface Served {
  url: string;
  port: number;
  /** Request paths, in order. */
  paths: string[];
  /** performance.now() of each request's arrival. */
  arrivals: number[];
}

/** A real HTTP server on 127.0.0.1 whose handler gets the 1-based request number. */
async function serve(handler: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<Served> {
  const paths: string[] = [];
  const arrivals: number[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    arrivals.push(performance.now());
    handler(paths.length, req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, port, paths, arrivals };
}

function answer(res: ServerResponse, status: number, body = '{"ok":true}'): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(body);
}

const FAST: HealthPolicy = { consecutive: 3, intervalMs: 20, requestTimeoutMs: 1000, latencyBudgetMs: 1000, deadlineMs: 500 };
/** FAST with a deadline far away, for gates expected to end healthy: a loaded machine must not turn them into deadline failures. */
const PATIENT: HealthPolicy = { ...FAST, deadlineMs: 10_000 };

function endpoint(name: string, url: string, healthPath = "/health", expect?: BodyExpectation): ServiceEndpoint {
  return { name, url, healthPath, ...(expect ? { expect } : {}) };
}

/** A virtual clock: sleeps advance it at once, so a policy of seconds runs in milliseconds. */
function virtualClock(): { now: () => number; sleep: (ms: number) => Promise<void>; sleeps: number[] } {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: (ms) => {
      sleeps.push(ms);
      t += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

describe("healthGate", () => {
  it("is healthy after 3 consecutive 200s and emits one event per check and per service", async () => {
    const s = await serve((_n, _req, res) => answer(res, 200));
    const events = new EventRecorder();
    const report = await healthGate([endpoint("api", s.url)], PATIENT, { events });

    expect(report.healthy).toBe(true);
    const api = report.services[0];
    expect(api).toMatchObject({ name: "api", url: `${s.url}/health`, healthy: true, attempts: 3, consecutive: 3, lastStatus: 200 });
    expect(api?.reason).toBeUndefined();
    expect(api?.latencyMs.max).toBeGreaterThanOrEqual(api?.latencyMs.p50 ?? Infinity);
    const checks = events.ofType("health.check");
    expect(checks).toHaveLength(3);
    expect(checks.map((c) => [c.attempt, c.ok, c.status])).toEqual([
      [1, true, 200],
      [2, true, 200],
      [3, true, 200],
    ]);
    expect(events.ofType("health.service")).toEqual([
      expect.objectContaining({ service: "api", url: `${s.url}/health`, healthy: true, attempts: 3 }),
    ]);
  });

  it("resets the consecutive count on a bad answer: 500, 500, then 200s is healthy after 5 attempts", async () => {
    const s = await serve((n, _req, res) => answer(res, n <= 2 ? 500 : 200));
    const events = new EventRecorder();
    const report = await healthGate([endpoint("api", s.url)], PATIENT, { events });
    expect(report.healthy).toBe(true);
    expect(report.services[0]).toMatchObject({ healthy: true, attempts: 5, consecutive: 3 });
    expect(events.ofType("health.check").map((c) => c.ok)).toEqual([false, false, true, true, true]);
    expect(events.ofType("health.check")[0]?.error).toBe("answered 500");
  });

  it("resets after a good answer too: 200, 500, 200, 200, 200 needs 5 attempts", async () => {
    const s = await serve((n, _req, res) => answer(res, n === 2 ? 500 : 200));
    const report = await healthGate([endpoint("api", s.url)], PATIENT, { events: new EventRecorder() });
    expect(report.services[0]).toMatchObject({ healthy: true, attempts: 5 });
  });

  it("gives up on a service that always answers 500 once the deadline would pass", async () => {
    const s = await serve((_n, _req, res) => answer(res, 500, "boom"));
    const events = new EventRecorder();
    const t0 = performance.now();
    const report = await healthGate([endpoint("api", s.url)], FAST, { events });
    const elapsed = performance.now() - t0;

    expect(elapsed).toBeLessThan(FAST.deadlineMs + 1000);
    expect(report.healthy).toBe(false);
    const api = report.services[0];
    expect(api?.healthy).toBe(false);
    expect(api?.consecutive).toBe(0);
    expect(api?.lastStatus).toBe(500);
    expect(api?.attempts).toBeGreaterThan(3);
    expect(api?.attempts).toBe(s.paths.length);
    expect(api?.reason).toMatch(/^0 of 3 consecutive good answers reached within 500ms \(\d+ attempts\); last failure: answered 500$/);
    const done = events.ofType("health.service");
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ healthy: false, reason: api?.reason });
  });

  it("does not count a 200 slower than the latency budget", async () => {
    const s = await serve((_n, _req, res) => {
      setTimeout(() => answer(res, 200), 300);
    });
    const policy: HealthPolicy = { consecutive: 2, intervalMs: 20, requestTimeoutMs: 2000, latencyBudgetMs: 100, deadlineMs: 800 };
    const t0 = performance.now();
    const report = await healthGate([endpoint("api", s.url)], policy, { events: new EventRecorder() });
    expect(performance.now() - t0).toBeLessThan(policy.deadlineMs + 1000);
    const api = report.services[0];
    expect(api).toMatchObject({ healthy: false, lastStatus: 200, consecutive: 0 });
    expect(api?.reason).toMatch(/last failure: answered 200 in \d+ms, over the 100ms latency budget$/);
    // Slow answers are still answers: their latency is reported.
    expect(api?.latencyMs.p50).toBeGreaterThanOrEqual(250);
  });

  it("times out a request that never gets an answer", async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const policy: HealthPolicy = { ...FAST, requestTimeoutMs: 100 };
    const events = new EventRecorder();
    const t0 = performance.now();
    const report = await healthGate([endpoint("api", s.url)], policy, { events });
    expect(performance.now() - t0).toBeLessThan(policy.deadlineMs + 1000);
    const api = report.services[0];
    expect(api?.healthy).toBe(false);
    expect(api?.lastStatus).toBeUndefined();
    expect(api?.reason).toMatch(/last failure: timeout after 100ms$/);
    expect(events.ofType("health.check")[0]).toMatchObject({ ok: false, error: "timeout after 100ms" });
    // A timeout is not an answer: no latency to report.
    expect(api?.latencyMs).toEqual({ p50: 0, max: 0 });
  });

  it("reports a refused connection clearly", async () => {
    const s = await serve((_n, _req, res) => answer(res, 200));
    const closed = servers.pop();
    await new Promise<void>((resolve) => closed?.close(() => resolve()));
    const report = await healthGate([endpoint("api", s.url)], { ...FAST, deadlineMs: 200 }, { events: new EventRecorder() });
    expect(report.services[0]).toMatchObject({ healthy: false, lastError: "connection refused" });
    expect(report.services[0]?.reason).toMatch(/last failure: connection refused$/);
  });

  it("checks services in parallel and reports each one", async () => {
    const good = await serve((_n, _req, res) => {
      setTimeout(() => answer(res, 200), 150);
    });
    const bad = await serve((_n, _req, res) => {
      setTimeout(() => answer(res, 503), 150);
    });
    const policy: HealthPolicy = { consecutive: 3, intervalMs: 10, requestTimeoutMs: 1000, latencyBudgetMs: 1000, deadlineMs: 600 };
    const t0 = performance.now();
    const report = await healthGate([endpoint("ui", good.url), endpoint("api", bad.url)], policy, { events: new EventRecorder() });
    const elapsed = performance.now() - t0;

    expect(report.healthy).toBe(false);
    expect(report.services.map((r) => [r.name, r.healthy])).toEqual([
      ["ui", true],
      ["api", false],
    ]);
    expect(report.services[0]?.attempts).toBe(3);
    expect(report.services[1]?.reason).toMatch(/answered 503$/);
    // Sequential would take ~480 ms + ~750 ms; in parallel the total is the longer of the two.
    expect(Math.abs((good.arrivals[0] ?? 0) - (bad.arrivals[0] ?? Infinity))).toBeLessThan(100);
    expect(elapsed).toBeLessThan(1100);
    expect(report.durationMs).toBeGreaterThanOrEqual(Math.max(...report.services.map((r) => r.durationMs)) - 1);
  });

  it("rejects promptly with the signal's reason when aborted between checks", async () => {
    const s = await serve((_n, _req, res) => answer(res, 500));
    const controller = new AbortController();
    const reason = new InterruptedError("SIGINT");
    setTimeout(() => controller.abort(reason), 150);
    const t0 = performance.now();
    await expect(
      healthGate(
        [endpoint("api", s.url)],
        { ...FAST, intervalMs: 50, deadlineMs: 10_000 },
        { events: new EventRecorder(), signal: controller.signal },
      ),
    ).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("rejects promptly when aborted during a request that hangs", async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const controller = new AbortController();
    const reason = new InterruptedError("SIGTERM");
    setTimeout(() => controller.abort(reason), 100);
    const t0 = performance.now();
    await expect(
      healthGate(
        [endpoint("api", s.url), endpoint("ui", s.url)],
        { ...FAST, requestTimeoutMs: 5000, deadlineMs: 10_000 },
        {
          events: new EventRecorder(),
          signal: controller.signal,
        },
      ),
    ).rejects.toBe(reason);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it("joins the base URL and the health path with one slash and sends one request per attempt", async () => {
    const s = await serve((n, _req, res) => answer(res, n === 1 ? 502 : 200));
    const report = await healthGate([endpoint("evalap", `${s.url}/`, "/openapi.json")], PATIENT, { events: new EventRecorder() });
    expect(report.services[0]?.url).toBe(`${s.url}/openapi.json`);
    expect(report.services[0]?.attempts).toBe(4);
    expect(s.paths).toEqual(["/openapi.json", "/openapi.json", "/openapi.json", "/openapi.json"]);
  });

  it("keeps a path prefix of the base URL", async () => {
    const s = await serve((_n, _req, res) => answer(res, 200));
    await healthGate([endpoint("ui", `${s.url}/app/`, "/_stcore/health")], { ...PATIENT, consecutive: 1 }, { events: new EventRecorder() });
    expect(s.paths).toEqual(["/app/_stcore/health"]);
  });

  it("drains answer bodies so the connection is reused, and cuts off a huge one", async () => {
    // Bodies larger than the socket buffers: an unread one would pin its connection.
    const medium = "x".repeat(512 * 1024);
    const big = "x".repeat(3 * 1024 * 1024);
    const s = await serve((n, _req, res) => answer(res, 200, n === 2 ? big : medium));
    let connections = 0;
    servers.at(-1)?.on("connection", () => connections++);
    const report = await healthGate(
      [endpoint("api", s.url)],
      { ...PATIENT, consecutive: 4, intervalMs: 5 },
      { events: new EventRecorder() },
    );
    expect(report.services[0]).toMatchObject({ healthy: true, attempts: 4 });
    // Answers 1, 3 and 4 are read to their end, so their socket goes back to the pool; the 3 MiB one
    // is cancelled, closing its socket. Undrained, every answer would pin its own socket: 4
    // connections. Drained: 2, or 3 when the pool gets a drained socket back a moment after the
    // next attempt started (seen on a loaded machine), so "fewer than 4" is what says draining works.
    expect(connections).toBeLessThan(4);
  });

  it("is healthy with no services", async () => {
    const report = await healthGate([], DEFAULT_HEALTH_POLICY, { events: new EventRecorder() });
    expect(report).toMatchObject({ healthy: true, services: [] });
  });

  it("refuses an invalid policy", async () => {
    await expect(healthGate([], { ...FAST, consecutive: 0 }, { events: new EventRecorder() })).rejects.toThrow(
      /consecutive must be an integer >= 1/,
    );
  });
});

describe("healthGate: failing fast", () => {
  /** Fail fast from the first check; a deadline far away, so only the threshold can end the gate early. */
  const FAIL_FAST: HealthPolicy = { ...FAST, deadlineMs: 60_000, failureThreshold: 3, graceMs: 0 };

  it("ends at the threshold: 3 answers of 500 make the service unhealthy at once, with the reason", async () => {
    const s = await serve((_n, _req, res) => answer(res, 500, "boom"));
    const events = new EventRecorder();
    const report = await healthGate([endpoint("api", s.url)], FAIL_FAST, { events });
    expect(report.healthy).toBe(false);
    expect(report.services[0]).toMatchObject({ healthy: false, attempts: 3, consecutive: 0, lastStatus: 500, lastError: "answered 500" });
    expect(report.services[0]?.reason).toBe("3 consecutive definite failures (answered 500), in 3 attempts");
    expect(s.paths).toHaveLength(3);
    expect(events.ofType("health.check").map((c) => [c.ok, c.status])).toEqual([
      [false, 500],
      [false, 500],
      [false, 500],
    ]);
    const reason = report.services[0]?.reason;
    expect(events.ofType("health.service")).toEqual([expect.objectContaining({ healthy: false, attempts: 3, reason })]);
  });

  it("with the default policy, a service answering 500 is unhealthy 8 s after the gate starts (virtual clock)", async () => {
    // The default config's promise: rollback within 10 s of the end of apply. Checks at 0 and 2 s
    // fall in the 3 s grace; those at 4, 6 and 8 s are the 3 definite failures.
    const s = await serve((_n, _req, res) => answer(res, 500));
    const clock = virtualClock();
    const report = await healthGate([endpoint("api", s.url)], DEFAULT_HEALTH_POLICY, { events: new EventRecorder(), ...clock });
    expect(report.services[0]).toMatchObject({ healthy: false, attempts: 5 });
    expect(report.services[0]?.reason).toMatch(/^3 consecutive definite failures \(answered 500\) after the 3s start-up grace/);
    expect(clock.now()).toBe(8000);
    expect(clock.now()).toBeLessThanOrEqual(10_000);
  });

  it("does not count failures during the grace", async () => {
    const s = await serve((_n, _req, res) => answer(res, 503));
    const clock = virtualClock();
    const policy: HealthPolicy = { ...FAIL_FAST, intervalMs: 1000, graceMs: 4500, failureThreshold: 2 };
    const report = await healthGate([endpoint("api", s.url)], policy, { events: new EventRecorder(), ...clock });
    // Sent at 0, 1, 2, 3, 4 s: in the grace; at 5 and 6 s: counted.
    expect(report.services[0]).toMatchObject({ healthy: false, attempts: 7 });
    expect(report.services[0]?.reason).toBe(
      "2 consecutive definite failures (answered 503) after the 4500ms start-up grace, in 7 attempts",
    );
  });

  it("a good answer resets the count of definite failures", async () => {
    const statuses = [500, 500, 200, 500, 502, 500];
    const s = await serve((n, _req, res) => answer(res, statuses[n - 1] ?? 500));
    const report = await healthGate([endpoint("api", s.url)], FAIL_FAST, { events: new EventRecorder() });
    expect(report.services[0]).toMatchObject({ healthy: false, attempts: 6 });
    expect(report.services[0]?.reason).toMatch(/^3 consecutive definite failures \(answered 500, answered 502\)/);
  });

  it("a refused connection is definite", async () => {
    const s = await serve((_n, _req, res) => answer(res, 200));
    const closed = servers.pop();
    await new Promise<void>((resolve) => closed?.close(() => resolve()));
    const report = await healthGate([endpoint("api", s.url)], { ...FAIL_FAST, failureThreshold: 2 }, { events: new EventRecorder() });
    expect(report.services[0]).toMatchObject({ healthy: false, attempts: 2, lastError: "connection refused" });
    expect(report.services[0]?.reason).toMatch(/^2 consecutive definite failures \(connection refused\)/);
  });

  it("a timeout is not definite: the deadline decides", async () => {
    const s = await serve(() => {
      /* never answers */
    });
    const policy: HealthPolicy = { ...FAST, requestTimeoutMs: 50, deadlineMs: 300, failureThreshold: 1, graceMs: 0 };
    const report = await healthGate([endpoint("api", s.url)], policy, { events: new EventRecorder() });
    expect(report.services[0]?.attempts).toBeGreaterThan(1);
    expect(report.services[0]?.reason).toMatch(/reached within 300ms .*; last failure: timeout after 50ms$/);
  });

  it("429 asks to try again: not definite, while 404 is", async () => {
    const busy = await serve((n, _req, res) => answer(res, n <= 3 ? 429 : 200));
    const missing = await serve((_n, _req, res) => answer(res, 404));
    const report = await healthGate([endpoint("busy", busy.url)], { ...FAIL_FAST, failureThreshold: 2 }, { events: new EventRecorder() });
    expect(report.services[0]).toMatchObject({ healthy: true, attempts: 6 });
    const gone = await healthGate([endpoint("gone", missing.url)], { ...FAIL_FAST, failureThreshold: 2 }, { events: new EventRecorder() });
    expect(gone.services[0]?.reason).toMatch(/^2 consecutive definite failures \(answered 404\)/);
  });

  it("one service failing definitively ends the gate for all; the others say why they were not checked to the end", async () => {
    const slow = await serve((_n, _req, res) => {
      setTimeout(() => answer(res, 200), 100);
    });
    const bad = await serve((_n, _req, res) => answer(res, 500));
    const policy: HealthPolicy = { ...FAIL_FAST, consecutive: 50, failureThreshold: 2 };
    const events = new EventRecorder();
    const report = await healthGate([endpoint("ui", slow.url), endpoint("api", bad.url)], policy, { events });
    expect(report.healthy).toBe(false);
    const [ui, api] = report.services;
    expect(api).toMatchObject({ healthy: false, attempts: 2 });
    expect(ui).toMatchObject({ healthy: false, lastError: "not checked to the end: api failed" });
    expect(ui?.reason).toMatch(/^not checked to the end: api failed definitively \(\d+ of 50 good answers in \d+ attempts?\)$/);
    expect(ui?.attempts).toBeLessThan(5);
    expect(events.ofType("health.service").map((e) => [e.service, e.healthy])).toEqual(
      expect.arrayContaining([
        ["ui", false],
        ["api", false],
      ]),
    );
  });

  it("a service that was already healthy stays healthy when another fails later", async () => {
    const good = await serve((_n, _req, res) => answer(res, 200));
    const bad = await serve((_n, _req, res) => answer(res, 500));
    const policy: HealthPolicy = { ...FAIL_FAST, consecutive: 1, failureThreshold: 4 };
    const report = await healthGate([endpoint("ui", good.url), endpoint("api", bad.url)], policy, { events: new EventRecorder() });
    expect(report.services.map((r) => [r.name, r.healthy])).toEqual([
      ["ui", true],
      ["api", false],
    ]);
  });
});

describe("healthGate: body checks", () => {
  const html = "<!DOCTYPE html><html><body>502 Bad Gateway</body></html>";
  const ONCE: HealthPolicy = { ...FAST, consecutive: 1, deadlineMs: 60_000, failureThreshold: 2, graceMs: 0 };

  function serveBody(body: string, type: string): Promise<Served> {
    return serve((_n, _req, res) => {
      res.writeHead(200, { "content-type": type });
      res.end(body);
    });
  }

  it("an HTML page on a JSON check is a definite failure", async () => {
    const s = await serveBody(html, "text/html; charset=utf-8");
    const events = new EventRecorder();
    const report = await healthGate([endpoint("api", s.url, "/openapi.json", { json: true })], ONCE, { events });
    expect(report.services[0]).toMatchObject({ healthy: false, attempts: 2, lastStatus: 200 });
    const problem = `answered 200 with a body that is not JSON (text/html, ${html.length} bytes)`;
    expect(report.services[0]?.lastError).toBe(problem);
    expect(report.services[0]?.reason).toBe(`2 consecutive definite failures (${problem}), in 2 attempts`);
    expect(events.ofType("health.check")[0]).toMatchObject({ ok: false, status: 200, error: problem });
    // The body is described, never quoted.
    expect(JSON.stringify(report)).not.toContain("Bad Gateway");
  });

  it("a body without the expected text is a definite failure", async () => {
    const s = await serveBody('{"status":"starting"}', "application/json");
    const report = await healthGate([endpoint("ui", s.url, "/_stcore/health", { contains: "ok" })], ONCE, { events: new EventRecorder() });
    expect(report.services[0]?.lastError).toBe('answered 200 with a body without "ok" (application/json, 21 bytes)');
    expect(report.services[0]?.healthy).toBe(false);
  });

  it("an empty body is not JSON", async () => {
    const s = await serveBody("", "application/json");
    const report = await healthGate([endpoint("api", s.url, "/h", { json: true })], ONCE, { events: new EventRecorder() });
    expect(report.services[0]?.lastError).toBe("answered 200 with an empty body, not JSON");
  });

  it("a 200 with the right body passes both checks", async () => {
    const s = await serveBody('{"openapi":"3.1.0","paths":{}}', "application/json");
    const api = endpoint("api", s.url, "/openapi.json", { json: true, contains: '"openapi"' });
    const report = await healthGate([api], { ...ONCE, consecutive: 3 }, { events: new EventRecorder() });
    expect(report.services[0]).toMatchObject({ healthy: true, attempts: 3, lastStatus: 200 });
    expect(report.services[0]?.lastError).toBeUndefined();
  });

  it("a text body with the expected text passes (Streamlit's health answers ok)", async () => {
    const s = await serveBody("ok", "text/html; charset=UTF-8");
    const report = await healthGate([endpoint("ui", s.url, "/_stcore/health", { contains: "ok" })], ONCE, { events: new EventRecorder() });
    expect(report.services[0]?.healthy).toBe(true);
  });

  it("a body over the 1 MiB read cannot be checked as JSON; text is searched in its first MiB", async () => {
    const big = `{"a":"${"x".repeat(2 * 1024 * 1024)}"}`;
    const s = await serveBody(big, "application/json");
    const json = await healthGate([endpoint("api", s.url, "/h", { json: true })], ONCE, { events: new EventRecorder() });
    expect(json.services[0]?.lastError).toBe("answered 200 with a body too large to check as JSON (application/json, over 1 MiB)");
    const text = await healthGate([endpoint("api", s.url, "/h", { contains: '{"a":"xxx' })], ONCE, { events: new EventRecorder() });
    expect(text.services[0]?.healthy).toBe(true);
  });

  it("a failing status is reported as such, not as a wrong body", async () => {
    const s = await serve((_n, _req, res) => answer(res, 500, html));
    const report = await healthGate([endpoint("api", s.url, "/h", { json: true })], ONCE, { events: new EventRecorder() });
    expect(report.services[0]?.lastError).toBe("answered 500");
  });
});

describe("servicesFromOutputs", () => {
  const out = (value: unknown, sensitive = false) => ({ services: { sensitive, value } });

  function failure(fn: () => unknown): EvalapError {
    try {
      fn();
    } catch (err) {
      if (err instanceof EvalapError) return err;
      throw err;
    }
    throw new Error("expected an EvalapError");
  }

  it("reads a valid map", () => {
    const services = servicesFromOutputs({
      environment: { sensitive: false, value: "staging" },
      ...out({
        evalap: { url: "https://evalap-x.functions.fnc.fr-par.scw.cloud", health_path: "/openapi.json", id: "fr-par/1111" },
        "evalap-ui": { url: "http://127.0.0.1:8501/", health_path: "/_stcore/health" },
      }),
    });
    expect(services).toEqual([
      { name: "evalap", url: "https://evalap-x.functions.fnc.fr-par.scw.cloud", healthPath: "/openapi.json", id: "fr-par/1111" },
      { name: "evalap-ui", url: "http://127.0.0.1:8501/", healthPath: "/_stcore/health" },
    ]);
  });

  it("allows an empty map", () => {
    expect(servicesFromOutputs(out({}))).toEqual([]);
  });

  it("fails on a missing output, with the contract in the hint", () => {
    const err = failure(() => servicesFromOutputs({ environment: { sensitive: false, value: "staging" } }));
    expect(err.code).toBe("services_output_invalid");
    expect(err.message).toBe('the root has no output "services"');
    expect(err.hint).toMatch(/map\(object\(\{ url = string, health_path = string, id = string \}\)\).*infra\/README\.md/);
  });

  it("fails on a sensitive output", () => {
    const err = failure(() => servicesFromOutputs({ services: { sensitive: true } }));
    expect(err.code).toBe("services_output_invalid");
    expect(err.message).toMatch(/output "services" is sensitive; health URLs must not be secret/);
  });

  it.each([
    ["a list", ["x"], 'output "services" must be a map of objects, got a list'],
    ["a string", "x", 'output "services" must be a map of objects, got "x"'],
    ["no value", undefined, 'output "services" must be a map of objects, got nothing'],
    [
      "an entry that is not an object",
      { api: "https://x" },
      'output "services".api must be an object { url, health_path, id }, got "https://x"',
    ],
    ["a missing url", { api: { health_path: "/health" } }, 'output "services".api.url must be a non-empty string, got nothing'],
    [
      "a relative url",
      { api: { url: "/x", health_path: "/health" } },
      'output "services".api.url must be an absolute http(s) URL, got "/x"',
    ],
    ["an ftp url", { api: { url: "ftp://x", health_path: "/health" } }, 'output "services".api.url must be an http(s) URL, got "ftp://x"'],
    [
      "a url with a query",
      { api: { url: "https://x/?a=1", health_path: "/health" } },
      'output "services".api.url must not have a query or fragment, got "https://x/?a=1"',
    ],
    [
      "a missing health_path",
      { api: { url: "https://x" } },
      'output "services".api.health_path must be a string starting with "/", got nothing',
    ],
    [
      "a health_path without /",
      { api: { url: "https://x", health_path: "health" } },
      'output "services".api.health_path must be a string starting with "/", got "health"',
    ],
    ["a numeric id", { api: { url: "https://x", health_path: "/h", id: 3 } }, 'output "services".api.id must be a string, got 3'],
  ])("fails on %s", (_what, value, message) => {
    const err = failure(() => servicesFromOutputs(out(value)));
    expect(err.code).toBe("services_output_invalid");
    expect(err.message).toBe(message);
  });

  it("reads a service's body expectation; null attributes (as tofu outputs unset ones) mean no check", () => {
    const services = servicesFromOutputs(
      out({
        evalap: { url: "https://x", health_path: "/openapi.json", id: "fr-par/1", expect: { json: true, contains: '"openapi"' } },
        "evalap-ui": { url: "https://y", health_path: "/_stcore/health", id: "fr-par/2", expect: { json: false, contains: "ok" } },
        plain: { url: "https://z", health_path: "/h", id: null, expect: { json: null, contains: null } },
        bare: { url: "https://w", health_path: "/h", expect: null },
      }),
    );
    expect(services).toEqual([
      { name: "evalap", url: "https://x", healthPath: "/openapi.json", id: "fr-par/1", expect: { json: true, contains: '"openapi"' } },
      { name: "evalap-ui", url: "https://y", healthPath: "/_stcore/health", id: "fr-par/2", expect: { contains: "ok" } },
      { name: "plain", url: "https://z", healthPath: "/h" },
      { name: "bare", url: "https://w", healthPath: "/h" },
    ]);
  });

  it.each([
    ["an expect that is not an object", "json", 'output "services".api.expect must be an object { json, contains }, got "json"'],
    ["a json that is not a boolean", { json: "yes" }, 'output "services".api.expect.json must be true or false, got "yes"'],
    ["an empty contains", { contains: "" }, 'output "services".api.expect.contains must be a non-empty string, got ""'],
    ["a typo in expect", { jsn: true }, 'output "services".api.expect has an unknown key "jsn" (known: json, contains)'],
  ])("fails on %s", (_what, expectValue, message) => {
    const err = failure(() => servicesFromOutputs(out({ api: { url: "https://x", health_path: "/h", expect: expectValue } })));
    expect(err.code).toBe("services_output_invalid");
    expect(err.message).toBe(message);
    expect(err.hint).toMatch(/expect = \{ json = true, contains = "…" \}/);
  });

  it("refuses credentials in a URL without echoing them", () => {
    const err = failure(() => servicesFromOutputs(out({ api: { url: "https://user:hunter2@x", health_path: "/h" } })));
    expect(err.message).toBe('output "services".api.url must not contain credentials');
    expect(err.message).not.toContain("hunter2");
  });
});
