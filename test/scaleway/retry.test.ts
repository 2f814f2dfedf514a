import { readdir, readFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { EvalapError } from "../../src/core/errors.js";
import { EventRecorder } from "../../src/events/bus.js";
import type { RetryPolicy } from "../../src/retry/backoff.js";
import { RetriesExhaustedError } from "../../src/retry/retry.js";
import { retryAfter, scalewayClient } from "../../src/scaleway/index.js";
import { rejection } from "../helpers/rejection.js";

/**
 * Answers the sandbox cannot inject (5xx, transient_state, a permanent type on a 503), from a real
 * HTTP server on 127.0.0.1 through the real SDK: the retry layer's rules per method and type.
 */
const TOKEN = "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a";
const FAST: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 5, budgetMs: 30_000 };
const SECRET_ID = "5f0c3c1e-9d7b-4c7e-8a55-0b3a1d2e4f60";

interface Seen {
  method: string;
  agent: string | undefined;
}

let server: http.Server | undefined;

afterEach(async () => {
  const s = server;
  server = undefined;
  if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
});

/** Serves `answers` in turn (the last one again once they run out), recording each request. */
async function serve(answers: Array<{ status: number; body: Record<string, unknown> }>): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", agent: req.headers["user-agent"] });
    const answer = answers[Math.min(seen.length - 1, answers.length - 1)];
    req.resume();
    req.on("end", () => {
      res.writeHead(answer?.status ?? 500, { "Content-Type": "application/json" });
      res.end(JSON.stringify(answer?.body ?? {}));
    });
  });
  const s = server;
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, seen };
}

async function secretsAt(url: string, events: EventRecorder) {
  const env = { SCW_ACCESS_KEY: "SCWABCDEFGHIJ0123456", SCW_SECRET_KEY: TOKEN, SCW_API_URL: url, SCW_DEFAULT_REGION: "fr-par" };
  return (await scalewayClient(env, { policy: FAST, events })).secrets();
}

const SECRET = { id: SECRET_ID, name: "s", project_id: SECRET_ID, status: "ready", type: "opaque", region: "fr-par" };
const boom = { status: 500, body: { message: "boom" } };

describe("the retry layer under the SDK", () => {
  it("retries a 500 on a GET, sending the evalap-infra user agent", async () => {
    const { url, seen } = await serve([boom, { status: 200, body: SECRET }]);
    const events = new EventRecorder();
    const secret = await (await secretsAt(url, events)).getSecret({ secretId: SECRET_ID });
    expect(secret.id).toBe(SECRET_ID);
    expect(seen.map((s) => s.method)).toEqual(["GET", "GET"]);
    expect(seen[0]?.agent).toMatch(/^evalap-infra\/\d+\.\d+\.\d+/);
    expect(events.ofType("retry.scheduled").map((e) => e.reason)).toEqual(["server error 500"]);
  });

  it("does not retry a 500 on a POST (it may have been processed), but retries a 503 and a transient_state", async () => {
    const post = await serve([boom, { status: 200, body: SECRET }]);
    const events = new EventRecorder();
    const err = await rejection((await secretsAt(post.url, events)).createSecret({ name: "s", protected: false, projectId: SECRET_ID }));
    expect((err as { status?: number }).status).toBe(500);
    expect(post.seen).toHaveLength(1);
    await new Promise<void>((resolve) => server?.close(() => resolve()));

    const busy = { status: 409, body: { type: "transient_state", resource: "secret", resource_id: SECRET_ID, current_state: "locked" } };
    const retried = await serve([{ status: 503, body: { message: "unavailable" } }, busy, { status: 200, body: SECRET }]);
    const created = await (await secretsAt(retried.url, events)).createSecret({ name: "s", protected: false, projectId: SECRET_ID });
    expect(created.id).toBe(SECRET_ID);
    expect(retried.seen.map((s) => s.method)).toEqual(["POST", "POST", "POST"]);
    expect(events.ofType("retry.scheduled").map((e) => e.reason)).toEqual(["service unavailable", "resource in a transient state"]);
  });

  it("answers a permanent type at once, even on a 503, and gives up on a 5xx after the policy's attempts", async () => {
    const stock = await serve([{ status: 503, body: { type: "out_of_stock", resource: "secret", message: "out of stock" } }]);
    const events = new EventRecorder();
    const err = await rejection((await secretsAt(stock.url, events)).getSecret({ secretId: SECRET_ID }));
    expect((err as Error).name).toBe("OutOfStockError");
    expect(stock.seen).toHaveLength(1);
    await new Promise<void>((resolve) => server?.close(() => resolve()));

    const down = await serve([boom]);
    const exhausted = await rejection((await secretsAt(down.url, events)).getSecret({ secretId: SECRET_ID }));
    expect(exhausted).toBeInstanceOf(RetriesExhaustedError);
    expect((exhausted as RetriesExhaustedError).message).toContain(
      `GET ${down.url}/secret-manager/v1beta1/regions/fr-par/secrets/${SECRET_ID}`,
    );
    expect(down.seen).toHaveLength(FAST.attempts);
  });

  it("retries a connection closed before any answer on a GET, not on a POST (which fails naming the URL)", async () => {
    let hangUps = 0;
    const seen: string[] = [];
    server = http.createServer((req, res) => {
      seen.push(req.method ?? "");
      if (hangUps++ % 2 === 0) {
        req.socket.destroy();
        return;
      }
      req.resume();
      req.on("end", () => {
        res.writeHead(200, { "Content-Type": "application/json" });
        res.end(JSON.stringify(SECRET));
      });
    });
    const s = server;
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const events = new EventRecorder();
    const secrets = await secretsAt(url, events);
    expect((await secrets.getSecret({ secretId: SECRET_ID })).id).toBe(SECRET_ID);
    expect(events.ofType("retry.scheduled").map((e) => e.reason)).toEqual(["connection reset"]);
    const err = await rejection(secrets.createSecret({ name: "s", protected: false, projectId: SECRET_ID }));
    expect(err).toBeInstanceOf(EvalapError);
    expect((err as EvalapError).message).toContain(`${url}/secret-manager/v1beta1/regions/fr-par/secrets`);
    expect((err as EvalapError).message).not.toContain(TOKEN);
    expect(seen).toEqual(["GET", "GET", "POST"]);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfter("2")).toBe(2_000);
    expect(retryAfter(null)).toBeUndefined();
    expect(retryAfter("soon")).toBeUndefined();
    expect(retryAfter(new Date(10_000).toUTCString(), 7_000)).toBe(3_000);
  });

  it("loads the SDK lazily: src/scaleway imports only its types statically", async () => {
    const folder = path.join(import.meta.dirname, "../../src/scaleway");
    for (const file of await readdir(folder)) {
      const text = await readFile(path.join(folder, file), "utf8");
      expect(text, file).not.toMatch(/^import (?!type )[^;]*from "@scaleway\//m);
    }
  });
});
