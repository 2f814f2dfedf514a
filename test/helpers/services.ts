import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { S3Server } from "../support/s3-server.js";

/** A stand-in for a deployed container: answers GET /health with a status (and body) the test controls. */
export interface FakeService {
  url: string;
  status: number;
  hits: number;
  close(): Promise<void>;
}

export async function startService(
  status: number,
  body: { text: string; type: string } = { text: "ok", type: "text/plain" },
): Promise<FakeService> {
  const state = { status, hits: 0 };
  const server: Server = createServer((req, res) => {
    if (req.url === "/health") state.hits += 1;
    res.writeHead(req.url === "/health" ? state.status : 404, { "content-type": body.type });
    res.end(body.text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    get hits() {
      return state.hits;
    },
    set hits(n: number) {
      state.hits = n;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Environment config for a root whose state, lock, ledger and audit trail live on the test S3 server. */
export function remoteEnvironment(server: S3Server, stateKey: string): Record<string, unknown> {
  return {
    backendConfig: {
      bucket: server.bucket,
      key: stateKey,
      region: server.region,
      endpoints: `{s3="${server.endpoint}"}`,
      use_path_style: "true",
      use_lockfile: "true",
      skip_credentials_validation: "true",
      skip_region_validation: "true",
      skip_requesting_account_id: "true",
      skip_metadata_api_check: "true",
      skip_s3_checksum: "true",
    },
    remote: { bucket: server.bucket, endpoint: server.endpoint, region: server.region },
  };
}

/** Credentials for both tofu's s3 backend and the CLI's own S3 client. */
export function s3Credentials(server: S3Server): Record<string, string> {
  return { AWS_ACCESS_KEY_ID: server.accessKey, AWS_SECRET_ACCESS_KEY: server.secretKey, AWS_REGION: server.region };
}

/**
 * Fast health and lock settings so that the tests take seconds, not minutes. The grace lasts as
 * long as the deadline, so no failure counts toward failing fast: tests that need a failing gate to
 * last (a lease lost, a kill during the gate) get the deadline; the fail-fast tests set their own.
 */
export const FAST = {
  health: { consecutive: 2, interval: "50ms", timeout: "1s", latencyBudget: "500ms", deadline: "3s", grace: "3s" },
  lock: { timeout: "30s", poll: "100ms", stale: "5s", lease: "3s" },
  remoteTimeout: "3s",
};
