// The EvalAP stand-in: what answers behind a deployed Serverless Container in the sandbox. It starts
// the way EvalAP does (src: etalab-ia/evalap config.py, start_uvicorn.sh; notes in
// shared/docs/reference/evalap-app.md): ENV must be unittest|dev|prod (an assert otherwise),
// ENV=prod needs POSTGRES_URL, the database is POSTGRES_URL.rstrip('/') + '/' + DB_NAME and is
// connected to for real before the server listens (Alembic runs first in the real app), and
// ADMIN_TOKEN must be set. Only then does it listen: before, a client gets "connection refused".
//
// Environment: the container's environment_variables + secret_environment_variables, plus from the
// sandbox PORT (the container's declared port, as Scaleway sets it: 8501 serves Streamlit's paths,
// any other the API's), EVALAP_STANDIN_LISTEN_PORT (where to listen on 127.0.0.1),
// EVALAP_STANDIN_IMAGE (the image reference: its tag selects a misbehaviour, see behaviour.ts),
// EVALAP_STANDIN_SECRET_KEYS (names of the secret variables, comma-separated: /_standin/proof
// answers their SHA-256, never their values) and EVALAP_STANDIN_DB_WAIT_MS (how long to retry the
// database, 10 s by default). Secret values are never printed. GET /_standin/db opens a new database
// connection per request (rotation tests: which role answers, and does its password still work).
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import pg from "pg";
import { behaviourOf, databaseUri } from "./behaviour.js";

const env = process.env;
const log = (msg: string) => process.stdout.write(`[evalap-standin] ${msg}\n`);
const die = (msg: string, code = 1): never => {
  process.stderr.write(`[evalap-standin] ${msg}\n`);
  process.exit(code);
};

const behaviour = behaviourOf(env.EVALAP_STANDIN_IMAGE ?? "");
if (behaviour.crash) die("the image tag asks for a crash at start (-crash)", 3);

// evalap/api/config.py: assert ENV in ["unittest", "dev", "prod"]
const ENV = env.ENV ?? "dev";
if (!["unittest", "dev", "prod"].includes(ENV)) die(`AssertionError: Unknown ENV: ${ENV} (must be unittest, dev or prod)`);
if (ENV === "prod" && !env.POSTGRES_URL) die("POSTGRES_URL is required when ENV=prod");
// evalap/api/config.py: USER_TOKENS = json.loads(os.getenv("USER_API_KEYS", "null")), then
// {v: k for k, v in USER_TOKENS.items()} when truthy: a value that is not JSON, or a truthy
// non-object, stops the app at import, before it listens.
checkUserApiKeys(env.USER_API_KEYS);
const adminToken = env.ADMIN_TOKEN ?? "";
if (adminToken === "") die("ADMIN_TOKEN is required (the admin endpoints check it against x-evalap-admin)");
const declaredPort = Number(env.PORT ?? "8000");
const listenPort = Number(env.EVALAP_STANDIN_LISTEN_PORT ?? declaredPort);
const streamlit = declaredPort === 8501;
const dbName = env.DB_NAME ?? "evalap";

let db: pg.Client | undefined;
let dbIdentity: { user: string; database: string } | null = null;

async function connect(): Promise<void> {
  if (!env.POSTGRES_URL) return;
  const deadline = Date.now() + Number(env.EVALAP_STANDIN_DB_WAIT_MS ?? "10000");
  for (;;) {
    const client = new pg.Client({ connectionString: databaseUri(env.POSTGRES_URL, dbName), connectionTimeoutMillis: 5000 });
    client.on("error", (err) => log(`database connection lost: ${err.message}`));
    try {
      await client.connect();
      const r = await client.query<{ user: string; database: string }>("select current_user as user, current_database() as database");
      db = client;
      dbIdentity = r.rows[0] ?? null;
      log(`connected to database ${dbIdentity?.database} as ${dbIdentity?.user}`);
      return;
    } catch (err) {
      await client.end().catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      if (Date.now() >= deadline) die(`cannot connect to the database ${dbName}: ${message}`);
      log(`database not reachable yet (${message}); retrying`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

const sha256 = (v: string) => createHash("sha256").update(v, "utf8").digest("hex");
const secretKeys = (env.EVALAP_STANDIN_SECRET_KEYS ?? "").split(",").filter(Boolean);

function adminOk(req: IncomingMessage): boolean {
  const h = req.headers["x-evalap-admin"];
  const given = Buffer.from(Array.isArray(h) ? (h[0] ?? "") : (h ?? ""));
  const want = Buffer.from(adminToken);
  return given.length === want.length && timingSafeEqual(given, want);
}

function send(res: ServerResponse, status: number, body: string, type = "application/json"): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body) }).end(body);
}

/**
 * GET /_standin/db: a NEW connection per request with the URL given at start (as a request of the real
 * app opening a session would), `select current_user`, closed again. It shows which credentials this
 * revision runs with and whether they still work. No admin token: it answers only the role's name.
 */
async function dbCheck(res: ServerResponse): Promise<void> {
  if (!env.POSTGRES_URL) return send(res, 503, JSON.stringify({ detail: "no database: POSTGRES_URL is not set" }));
  const url = databaseUri(env.POSTGRES_URL, dbName);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => undefined); // a connection lost after the answer is no one's concern
  try {
    await client.connect();
    const r = await client.query<{ user: string }>("select current_user as user");
    send(res, 200, JSON.stringify({ user: r.rows[0]?.user ?? null }));
  } catch (err) {
    send(res, 503, JSON.stringify({ detail: redact(err instanceof Error ? err.message : String(err), url) }));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** An error message without the database URL or its password (pg's messages normally hold neither). */
function redact(message: string, url: string): string {
  let out = message.split(url).join("<database url>");
  const password = (() => {
    try {
      return decodeURIComponent(new URL(url).password);
    } catch {
      return "";
    }
  })();
  if (password) out = out.split(password).join("<password>");
  return out;
}

const OPENAPI = JSON.stringify({ openapi: "3.1.0", info: { title: "EvalAP (sandbox stand-in)", version: "0.0.0" }, paths: {} });

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? "/", "http://standin").pathname;
  if (path === "/_standin/proof") {
    if (!adminOk(req)) return send(res, 403, JSON.stringify({ detail: "Invalid admin token" }));
    const secrets = Object.fromEntries(secretKeys.map((k) => [k, env[k] === undefined ? null : sha256(env[k])]));
    const database = { user: dbIdentity?.user ?? null, name: dbIdentity?.database ?? dbName, connected: dbIdentity !== null };
    return send(res, 200, JSON.stringify({ env: ENV, image: env.EVALAP_STANDIN_IMAGE ?? "", port: declaredPort, database, secrets }));
  }
  if (path === "/_standin/db") return dbCheck(res);
  if (behaviour.slowMs > 0) await new Promise((r) => setTimeout(r, behaviour.slowMs));
  if (behaviour.fail500) return send(res, 500, JSON.stringify({ detail: "Internal Server Error" }));
  if (streamlit) {
    if (path === "/_stcore/health") return send(res, 200, "ok", "text/plain; charset=utf-8");
    if (path === "/") return send(res, 200, "<!doctype html><title>EvalAP</title>", "text/html");
  } else {
    if (path === "/openapi.json") return send(res, 200, OPENAPI);
    if (path === "/docs") return send(res, 200, "<!doctype html><title>EvalAP - Swagger UI</title>", "text/html");
  }
  return send(res, 404, JSON.stringify({ detail: "Not Found" }));
}

async function main(): Promise<void> {
  await connect();
  if (behaviour.neverReady) {
    log("the image tag asks never to become ready (-neverready): not listening");
    setInterval(() => undefined, 60_000);
    return;
  }
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, JSON.stringify({ detail: err instanceof Error ? err.message : "error" })));
  });
  // The previous revision's process may still hold the port for a moment after a redeploy: retry.
  let attempts = 0;
  server.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EADDRINUSE" || ++attempts > 50) die(`cannot listen on 127.0.0.1:${listenPort}: ${err.message}`);
    setTimeout(() => server.listen(listenPort, "127.0.0.1"), 100);
  });
  server.on("listening", () => log(`listening on 127.0.0.1:${listenPort} (${streamlit ? "streamlit" : "api"}, ENV=${ENV})`));
  server.listen(listenPort, "127.0.0.1");
  const stop = () => {
    server.close();
    server.closeAllConnections();
    void (db?.end() ?? Promise.resolve()).finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => die(err instanceof Error ? err.message : String(err)));

function checkUserApiKeys(raw: string | undefined): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? "null");
  } catch {
    die("json.decoder.JSONDecodeError: USER_API_KEYS is not valid JSON");
  }
  const truthy = Array.isArray(parsed) ? parsed.length > 0 : parsed !== null && parsed !== false && parsed !== 0 && parsed !== "";
  if (truthy && (typeof parsed !== "object" || Array.isArray(parsed)))
    die("AttributeError: USER_API_KEYS is not a JSON object ('.items()')");
}
