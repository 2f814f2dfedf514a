// npm run bench: evalap-infra against the plain tofu command sequence, measured in one run on
// the same fixture (test/fixtures/basic), with medians of alternating runs so that machine noise
// hits both sides alike. Prints ratios; the targets come from issue #2.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const tofu = process.env.EVALAP_TOFU_BIN ?? "tofu";
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const env = { ...process.env, NO_COLOR: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
const dirs = [];

/** A checkout with the basic fixture as its staging root, plus the extra files of a variant. */
async function project(extra) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-"));
  dirs.push(dir);
  await cp(path.join(repo, "test", "fixtures", "basic"), path.join(dir, "infra", "staging"), { recursive: true });
  if (extra) await cp(extra, path.join(dir, "infra", "staging"), { recursive: true });
  await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } } }));
  return { dir, root: path.join(dir, "infra", "staging") };
}

async function plainSequence(root, release) {
  const t0 = process.hrtime.bigint();
  await run(tofu, ["init", "-input=false"], { cwd: root, env });
  await run(tofu, ["plan", "-input=false", "-out=p", `-var=release=${release}`], { cwd: root, env });
  await run(tofu, ["apply", "-input=false", "p"], { cwd: root, env });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function ours(dir, release) {
  const r = await run("node", [cli, "deploy", "staging", "--json", "--var", `release=${release}`], { cwd: dir, env });
  return r;
}

// Two fixtures: built-ins only (the worst case for us: tofu has almost nothing to do, so the
// CLI's fixed start-up cost dominates) and one that carries the Scaleway provider like the
// real roots do (init installs it, plan and apply start it).
const fixtures = [
  ["built-ins only", null],
  ["with the Scaleway provider", path.join(repo, "bench", "fixtures", "with-provider")],
];
const results = [];
const rss = [];
for (const [label, fixture] of fixtures) {
  const cold = { ours: [], plain: [] };
  const warm = { ours: [], plain: [] };
  const warmOurs = await project(fixture);
  const warmPlain = await project(fixture);
  await ours(warmOurs.dir, "r0");
  await plainSequence(warmPlain.root, "r0");
  for (let i = 0; i < rounds; i++) {
    // Cold: a fresh checkout, nothing initialised.
    const a = await project(fixture);
    const b = await project(fixture);
    const r = await ours(a.dir, "r1");
    cold.ours.push(r.ms);
    rss.push(r.peakKb);
    cold.plain.push(await plainSequence(b.root, "r1"));
    // Warm: the same working directory, a new release each time (a real change to apply).
    const w = await ours(warmOurs.dir, `w${i}`);
    warm.ours.push(w.ms);
    rss.push(w.peakKb);
    warm.plain.push(await plainSequence(warmPlain.root, `w${i}`));
  }
  results.push([label, cold, warm]);
}

const startup = { version: [], help: [], node: [] };
for (let i = 0; i < rounds * 2; i++) {
  startup.node.push((await run("node", ["-e", "0"])).ms);
  startup.version.push((await run("node", [cli, "--version"])).ms);
  startup.help.push((await run("node", [cli, "--help"])).ms);
}

const ratio = (a, b) => (median(a) / median(b)).toFixed(2);
const line = (label, a, b, target) => console.log(`${label.padEnd(40)} ${ratio(a, b).padStart(6)}  (${fmt(median(a))} vs ${fmt(median(b))}; target ${target})`);
console.log(`evalap-infra benchmark, ${rounds} rounds, medians, tofu = ${tofu}`);
for (const [label, cold, warm] of results) {
  console.log(`fixture: ${label}`);
  line("  deploy cold / tofu init+plan+apply", cold.ours, cold.plain, "<= 1.05");
  line("  deploy warm / tofu init+plan+apply", warm.ours, warm.plain, "< 1.0");
  const overhead = median(cold.ours) - median(cold.plain);
  console.log(`${"  fixed cost of the CLI (cold)".padEnd(40)} ${fmt(overhead).padStart(6)}`);
}
line("--version / node -e 0", startup.version, startup.node, "<= 3");
line("--help / node -e 0", startup.help, startup.node, "<= 3");
console.log(`${"peak RSS of the CLI during deploy".padEnd(40)} ${(Math.max(...rss) / 1024).toFixed(0).padStart(6)} MB (target <= 150 MB)`);

for (const d of dirs) await rm(d, { recursive: true, force: true });
