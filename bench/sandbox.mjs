// The sandbox (issue 9): `sandbox up` from cold, a full `deploy sandbox` of infra/staging against
// the same plain tofu sequence (init, plan -out, apply) on the same emulator, and the emulator
// daemon's peak memory. Each round starts a fresh sandbox per side, so both deploy from empty
// state; sides alternate so machine noise hits both alike. Our deploy also runs the health gate,
// which the plain sequence does not: the ratio is printed with and without it. The application
// secrets are written to the sandbox's Secret Manager first, on both sides (see seed).
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const tofu = process.env.EVALAP_TOFU_BIN ?? "tofu";
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const base = { ...process.env, NO_COLOR: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0", CI: "true" };

async function project() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-sandbox-"));
  await cp(path.join(repo, "infra"), path.join(dir, "infra"), { recursive: true, filter: (s) => !s.includes(".terraform") });
  // BENCH_HEALTH_INTERVAL (e.g. 500ms) sets health.interval: the gate's floor is (consecutive - 1) x interval.
  const health = process.env.BENCH_HEALTH_INTERVAL ? { health: { interval: process.env.BENCH_HEALTH_INTERVAL } } : {};
  await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } }, ...health }));
  const dataDir = path.join(dir, ".evalap-infra", "sandbox");
  return { dir, dataDir };
}

async function up(p) {
  const r = await run("node", [cli, "sandbox", "up", "--data-dir", p.dataDir], { cwd: p.dir, env: base });
  const d = JSON.parse(await readFile(path.join(p.dataDir, "sandbox.json"), "utf8"));
  return { ms: r.ms, d };
}

async function down(p) {
  const status = await readFile(
    `/proc/${JSON.parse(await readFile(path.join(p.dataDir, "sandbox.json"), "utf8")).pid}/status`,
    "utf8",
  ).catch(() => "");
  const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  await run("node", [cli, "sandbox", "down", "--data-dir", p.dataDir], { cwd: p.dir, env: base, allowFailure: true });
  await rm(p.dir, { recursive: true, force: true });
  return peakKb;
}

/** The sandbox's environment for plain tofu, as a user gets it: `sandbox env --shell json`. */
async function sandboxEnv(p) {
  const r = await run("node", [cli, "sandbox", "env", "--shell", "json", "--data-dir", p.dataDir], { cwd: p.dir, env: base });
  return { ...base, ...JSON.parse(r.out) };
}

/**
 * The application secrets' first versions, written before either side is timed: Secret Manager
 * holds them, and plain tofu cannot write them (the roots only read them). `deploy sandbox` would
 * write them itself; doing it for both sides first keeps the comparison about the deploy.
 */
async function seed(p) {
  const env = await sandboxEnv(p);
  const secrets = JSON.parse(env.EVALAP_SANDBOX_APP_SECRETS);
  for (const [name, value] of Object.entries(secrets)) {
    const file = path.join(p.dir, `.seed-${name}`);
    await writeFile(file, value, { mode: 0o600 });
    await run("node", [cli, "secrets", "set", "sandbox", name, "--file", file, "--json"], { cwd: p.dir, env: base });
    await rm(file);
  }
}

async function plain(p, d) {
  const root = path.join(p.dir, "infra", "staging");
  const env = await sandboxEnv(p);
  const images = `-var=images=${JSON.stringify(d.images)}`;
  const t0 = process.hrtime.bigint();
  await run(
    tofu,
    [
      "init",
      "-input=false",
      `-backend-config=bucket=${d.s3.stateBucket}`,
      `-backend-config=endpoints={s3=${JSON.stringify(d.s3.endpoint)}}`,
    ],
    { cwd: root, env },
  );
  await run(tofu, ["plan", "-input=false", "-out=p", images], { cwd: root, env });
  await run(tofu, ["apply", "-input=false", "p"], { cwd: root, env });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function ours(p) {
  const r = await run("node", [cli, "deploy", "sandbox", "--json"], { cwd: p.dir, env: base });
  const events = r.out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  const gate = events.filter((e) => e.type === "step.finished" && e.step === "health").reduce((a, e) => a + e.durationMs, 0);
  return { ms: r.ms, gate };
}

const ups = [];
const plains = [];
const oursAll = [];
const oursNoGate = [];
const peaks = [];
for (let i = 0; i < rounds; i++) {
  for (const side of i % 2 === 0 ? ["plain", "ours"] : ["ours", "plain"]) {
    const p = await project();
    try {
      const started = await up(p);
      ups.push(started.ms);
      await seed(p);
      if (side === "plain") plains.push(await plain(p, started.d));
      else {
        const r = await ours(p);
        oursAll.push(r.ms);
        oursNoGate.push(r.ms - r.gate);
      }
    } finally {
      peaks.push(await down(p));
    }
  }
}

const m = { up: median(ups), plain: median(plains), ours: median(oursAll), noGate: median(oursNoGate) };
console.log(`sandbox up (cold, ${ups.length} runs): median ${fmt(m.up)}`);
console.log(`deploy of infra/staging on the sandbox (${rounds} rounds, medians):`);
console.log(`  plain tofu init + plan + apply: ${fmt(m.plain)}`);
console.log(`  evalap-infra deploy sandbox:    ${fmt(m.ours)} (ratio ${(m.ours / m.plain).toFixed(2)}; target <= 1.05)`);
console.log(`  the same without its health gate: ${fmt(m.noGate)} (ratio ${(m.noGate / m.plain).toFixed(2)})`);
console.log(`emulator daemon peak RSS: ${Math.max(...peaks) / 1024 > 0 ? (Math.max(...peaks) / 1024).toFixed(0) : "?"} MiB`);
