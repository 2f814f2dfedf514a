// What the release benchmarks share: a local S3 server (versitygw from the toolchain) for the
// state, ledger and lock, stand-in services answering a fixed status, and clean-up.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const toolchain = process.env.EVALAP_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "evalap-infra", "toolchain");
const cleanups = [];

export const creds = { AWS_ACCESS_KEY_ID: "bench-access", AWS_SECRET_ACCESS_KEY: "bench-secret-key", AWS_REGION: "fr-par" };
export const env = { ...process.env, ...creds, NO_COLOR: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };

/** Registers a clean-up, run (last first) by cleanUp(). */
export function onCleanUp(fn) {
  cleanups.push(fn);
}

export async function cleanUp() {
  for (const c of cleanups.splice(0).reverse()) await c();
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** Starts versitygw with a bucket "state"; resolves with its endpoint. */
export async function startS3() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-s3-"));
  await mkdir(path.join(dir, "buckets", "state"), { recursive: true });
  await mkdir(path.join(dir, "versions"), { recursive: true });
  const port = await freePort();
  const child = spawn(
    path.join(toolchain, "bin", "versitygw"),
    [
      "--port",
      `127.0.0.1:${port}`,
      "--access",
      creds.AWS_ACCESS_KEY_ID,
      "--secret",
      creds.AWS_SECRET_ACCESS_KEY,
      "--region",
      "fr-par",
      "--health",
      "/health",
      "--quiet",
      "posix",
      "--versioning-dir",
      path.join(dir, "versions"),
      path.join(dir, "buckets"),
    ],
    { stdio: "ignore" },
  );
  onCleanUp(async () => {
    child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${endpoint}/health`)).ok) return endpoint;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the S3 server did not start");
}

/** A stand-in service answering every request with `status`; resolves with its URL. */
export async function startService(status) {
  const server = createServer((req, res) => {
    res.writeHead(status);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  onCleanUp(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${server.address().port}`;
}

/** -backend-config pairs for the s3 backend on the local server. */
export const backend = (endpoint, key) => ({
  bucket: "state",
  key,
  region: "fr-par",
  endpoints: `{s3="${endpoint}"}`,
  use_path_style: "true",
  use_lockfile: "true",
  skip_credentials_validation: "true",
  skip_region_validation: "true",
  skip_requesting_account_id: "true",
  skip_metadata_api_check: "true",
  skip_s3_checksum: "true",
});

/** The NDJSON events of a --json run. */
export const eventsOf = (out) =>
  out
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const releaseFixture = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "test", "fixtures", "release");

/**
 * A temporary checkout whose staging root is test/fixtures/release, with its state, lease and
 * ledger in the bench's S3 server under `name`; `config` adds top-level settings (health...).
 */
export async function releaseProject(endpoint, name, { applySeconds = 0, config = {} } = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), `evalap-bench-${name}-`));
  onCleanUp(() => rm(dir, { recursive: true, force: true }));
  await cp(releaseFixture, path.join(dir, "infra", "staging"), { recursive: true });
  const staging = {
    root: "infra/staging",
    vars: { apply_seconds: applySeconds },
    backendConfig: backend(endpoint, `${name}.tfstate`),
    remote: { bucket: "state", endpoint, region: "fr-par", prefix: `bench-${name}` },
  };
  await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging }, ...config }));
  return dir;
}
