// A stand-in for the sandbox, for the harness's own tests: an HTTP server on 127.0.0.1 that answers the replayed
// cassettes' requests with their recorded answers, as an emulator would: it makes its own id for every create
// and answers 404 to a request that still carries a recorded id it replaced (so a replay that forgets to map ids
// fails), and it answers 418 to a request that is not the recorded one (wrong order, path, query or body).
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { type AddressInfo } from "node:net";
import { isDeepStrictEqual } from "node:util";
import { createdId, type Cassette } from "./cassettes.js";
import { parseJson, type JsonValue } from "./fidelity-compare.js";
import { rewriteIds } from "./cassette-replay.js";

export interface StandIn {
  url: string;
  /** Requests answered with a recorded answer. */
  answered(): number;
  close(): Promise<void>;
}

export interface StandInOptions {
  token: string;
  /** Changes an answer before it is sent: to prove the harness reports a wrong answer. */
  mutate?: (cassette: string, interaction: number, body: JsonValue) => JsonValue;
  /** Recorded id → stand-in id of resources that exist before the replay (the harness's foreignIds). */
  foreignIds?: Record<string, string>;
}

export async function startStandIn(cassettes: Cassette[], options: StandInOptions): Promise<StandIn> {
  const queue = cassettes.flatMap((c) => c.interactions.map((interaction, n) => ({ cassette: `${c.service}/${c.name}`, n, interaction })));
  let cursor = 0;
  let answered = 0;
  const mine = new Map<string, string>(); // recorded id → stand-in id
  const recordedOf = new Map<string, string>(); // stand-in id → recorded id
  for (const [recorded, id] of Object.entries(options.foreignIds ?? {})) {
    mine.set(recorded, id);
    recordedOf.set(id, recorded);
  }

  const reply = (res: ServerResponse, code: number, body: string): void => {
    res.writeHead(code, body === "" ? {} : { "Content-Type": "application/json" }).end(body);
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    if (req.headers["x-auth-token"] !== options.token) {
      reply(res, 401, JSON.stringify({ message: "authentication is denied", type: "denied_authentication" }));
      return;
    }
    const next = queue[cursor++];
    if (next === undefined) return reply(res, 418, JSON.stringify({ message: "no recorded interaction left" }));
    const target = req.url ?? "/";
    for (const recorded of mine.keys()) {
      if (target.includes(recorded) || body.includes(recorded)) {
        return reply(res, 404, JSON.stringify({ message: "resource is not found", resource_id: recorded, type: "not_found" }));
      }
    }
    const { request, response } = next.interaction;
    const expected = new URL(request.url);
    const sameBody =
      request.body === "" ? body === "" : isDeepStrictEqual(parseJson(rewriteIds(body, recordedOf)), parseJson(request.body));
    if (req.method !== request.method || rewriteIds(target, recordedOf) !== expected.pathname + expected.search || !sameBody) {
      const got = `${req.method} ${rewriteIds(target, recordedOf)} ${rewriteIds(body, recordedOf)}`;
      return reply(res, 418, JSON.stringify({ message: `expected ${request.method} ${expected.pathname}${expected.search}, got ${got}` }));
    }
    const created = createdId(next.interaction);
    if (created !== undefined && !mine.has(created)) {
      const id = randomUUID();
      mine.set(created, id);
      recordedOf.set(id, created);
    }
    let answer = rewriteIds(response.body, mine);
    const json = parseJson(answer);
    if (options.mutate && json !== undefined) answer = JSON.stringify(options.mutate(next.cassette, next.n, json));
    answered++;
    reply(res, response.code, answer);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    answered: () => answered,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
