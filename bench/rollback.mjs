// npm run bench (second part): how fast a failed release is rolled back. Measured in one run on
// the same fixture (test/fixtures/release, state in the s3 backend on a local versitygw): the
// time from the failed health gate to the previous release healthy again, divided by the time of
// one plain `tofu apply` of the same change. Target (issue #4): <= 1.5.
import { spawn } from "node:child_process";
import { createServer } from "node:http";
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const tofu = process.env.EVALAP_TOFU_BIN ?? "tofu";
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const toolchain = process.env.EVALAP_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "evalap-infra", "toolchain");
const cleanups = [];

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startS3() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-s3-"));
  await mkdir(path.join(dir, "buckets", "state"), { recursive: true });
  await mkdir(path.join(dir, "versions"), { recursive: true });
  const port = await freePort();
  const child = spawn(path.join(toolchain, "bin", "versitygw"), ["--port", `127.0.0.1:${port}`, "--access", "bench-access", "--secret", "bench-secret-key", "--region", "fr-par", "--health", "/health", "--quiet", "posix", "--versioning-dir", path.join(dir, "versions"), path.join(dir, "buckets")], { stdio: "ignore" });
  cleanups.push(async () => {
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

async function startService(status) {
  const server = createServer((req, res) => {
    res.writeHead(status);
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${server.address().port}`;
}

const endpoint = await startS3();
const creds = { AWS_ACCESS_KEY_ID: "bench-access", AWS_SECRET_ACCESS_KEY: "bench-secret-key", AWS_REGION: "fr-par" };
const env = { ...process.env, ...creds, NO_COLOR: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
const backend = (key) => ({
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

  const good = await startService(200);
const bad = await startService(500);

// Two weights of apply: none (the CLI's own work dominates) and 2 s per service, a modest
// stand-in for a Serverless Container update, which takes tens of seconds on Scaleway.
for (const applySeconds of [0, 2]) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-rb-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(path.join(repo, "test", "fixtures", "release"), path.join(dir, "infra", "staging"), { recursive: true });
  await writeFile(
    path.join(dir, "evalap-infra.json"),
    JSON.stringify({
      environments: {
        staging: { root: "infra/staging", vars: { apply_seconds: applySeconds }, backendConfig: backend(`ours-${applySeconds}.tfstate`), remote: { bucket: "state", endpoint, region: "fr-par", prefix: `bench-${applySeconds}` } },
      },
      health: { consecutive: 2, interval: "50ms", timeout: "1s", latencyBudget: "500ms", deadline: "2s" },
    }),
  );
  const plainDir = path.join(dir, "plain");
  await cp(path.join(repo, "test", "fixtures", "release"), plainDir, { recursive: true });
  await run(tofu, ["init", "-input=false", ...Object.entries(backend(`plain-${applySeconds}.tfstate`)).map(([k, v]) => `-backend-config=${k}=${v}`)], { cwd: plainDir, env });

  const recoveries = [];
  const applies = [];
  for (let i = 0; i < rounds; i++) {
    const goodUrl = `${good}/r${i}`; // a new image each round: a real change every time
    await run("node", [cli, "deploy", "staging", "--json", "--image", `api=${goodUrl}`], { cwd: dir, env });
    const failed = await run("node", [cli, "deploy", "staging", "--json", "--image", `api=${bad}`], { cwd: dir, env, allowFailure: true });
    if (failed.code !== 7) throw new Error(`expected exit 7 (rolled back), got ${failed.code}\n${failed.err}`);
    const events = failed.out.split("\n").filter(Boolean).map((l) => JSON.parse(l));
    const gateFailed = events.find((e) => e.type === "step.finished" && e.step === "health" && e.detail === "unhealthy");
    const healthyAgain = events.findLast((e) => e.type === "health.service" && e.healthy);
    recoveries.push(Date.parse(healthyAgain.time) - Date.parse(gateFailed.time));
    // The same change, applied by plain tofu: from the bad image back to the good one.
    const vars = (url) => [`-var=images={api="${url}"}`, `-var=apply_seconds=${applySeconds}`];
    await run(tofu, ["apply", "-auto-approve", "-input=false", ...vars(bad)], { cwd: plainDir, env });
    applies.push((await run(tofu, ["apply", "-auto-approve", "-input=false", ...vars(goodUrl)], { cwd: plainDir, env })).ms);
  }
  const label = `failed gate -> healthy again (apply ${applySeconds}s)`;
  console.log(`${label.padEnd(40)} ${(median(recoveries) / median(applies)).toFixed(2).padStart(6)}  (${fmt(median(recoveries))} vs one plain apply ${fmt(median(applies))}; target <= 1.5)`);
}
for (const c of cleanups.reverse()) await c();
