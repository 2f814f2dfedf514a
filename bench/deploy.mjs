// npm run bench: evalap-infra against the plain tofu command sequence, measured in one run on
// the same fixture (test/fixtures/basic), with medians of alternating runs so that machine noise
// hits both sides alike. Prints ratios; the targets come from issues #2 and #8.
// BENCH_BASELINE=<checkout>/bin/evalap-infra.js adds that CLI as a third side of every round
// (e.g. the previous commit, built), so a change is measured against its baseline in one run.
// BENCH_BASELINE=no-reuse makes that third side this CLI with tofu.reuseProviders false (each
// tofu command starts its own providers, as before issue 8's item 4).
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const tofu = process.env.EVALAP_TOFU_BIN ?? "tofu";
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const baseline = process.env.BENCH_BASELINE;
const noReuse = baseline === "no-reuse";
const env = { ...process.env, NO_COLOR: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };
const dirs = [];

/** A checkout with the basic fixture as its staging root, plus the extra files of a variant. */
async function project(extra, config = {}) {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-"));
  dirs.push(dir);
  await cp(path.join(repo, "test", "fixtures", "basic"), path.join(dir, "infra", "staging"), { recursive: true });
  if (extra) await cp(extra, path.join(dir, "infra", "staging"), { recursive: true });
  await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } }, ...config }));
  return { dir, root: path.join(dir, "infra", "staging") };
}

async function plainSequence(root, release) {
  const t0 = process.hrtime.bigint();
  await run(tofu, ["init", "-input=false"], { cwd: root, env });
  await run(tofu, ["plan", "-input=false", "-out=p", `-var=release=${release}`], { cwd: root, env });
  await run(tofu, ["apply", "-input=false", "p"], { cwd: root, env });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const baselineConfig = noReuse ? { tofu: { reuseProviders: false } } : {};
const baselineCli = noReuse ? cli : baseline;

async function ours(dir, release, bin = cli) {
  return run("node", [bin, "deploy", "staging", "--json", "--var", `release=${release}`], { cwd: dir, env });
}

/** Where a deploy's time goes: from spawn to its first event (node, modules, config), each step, the rest. */
function phases(r) {
  const events = r.out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
  const steps = Object.fromEntries(events.filter((e) => e.type === "step.finished").map((e) => [e.step, e.durationMs]));
  const result = events.find((e) => e.type === "result");
  const inRun = result?.durationMs ?? 0;
  const stepsMs = Object.values(steps).reduce((a, b) => a + b, 0);
  return { startup: r.ms - inRun, ...steps, between: inRun - stepsMs };
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
  const cold = { ours: [], plain: [], baseline: [] };
  const warm = { ours: [], plain: [], baseline: [] };
  const warmPhases = [];
  const diff = { plan: [], withDiff: [] };
  const warmOurs = await project(fixture);
  const warmPlain = await project(fixture);
  const warmBaseline = await project(fixture, baselineConfig);
  await ours(warmOurs.dir, "r0");
  await plainSequence(warmPlain.root, "r0");
  if (baseline) await ours(warmBaseline.dir, "r0", baselineCli);
  for (let i = 0; i < rounds; i++) {
    // Cold: a fresh checkout, nothing initialised.
    const a = await project(fixture);
    const b = await project(fixture);
    const r = await ours(a.dir, "r1");
    cold.ours.push(r.ms);
    rss.push(r.peakKb);
    cold.plain.push(await plainSequence(b.root, "r1"));
    if (baseline) cold.baseline.push((await ours((await project(fixture, baselineConfig)).dir, "r1", baselineCli)).ms);
    // Warm: the same working directory, a new release each time (a real change to apply).
    const w = await ours(warmOurs.dir, `w${i}`);
    warm.ours.push(w.ms);
    warmPhases.push(phases(w));
    rss.push(w.peakKb);
    warm.plain.push(await plainSequence(warmPlain.root, `w${i}`));
    if (baseline) warm.baseline.push((await ours(warmBaseline.dir, `w${i}`, baselineCli)).ms);
    // What the attribute-level diff costs: plan, and plan --diff (one more tofu process: show -json).
    const planArgs = [cli, "plan", "staging", "--json", "--var", `release=d${i}`];
    diff.plan.push((await run("node", planArgs, { cwd: warmOurs.dir, env })).ms);
    diff.withDiff.push((await run("node", [...planArgs, "--diff"], { cwd: warmOurs.dir, env })).ms);
  }
  results.push([label, cold, warm, warmPhases, diff]);
}

const startup = { version: [], help: [], node: [] };
for (let i = 0; i < rounds * 2; i++) {
  startup.node.push((await run("node", ["-e", "0"])).ms);
  startup.version.push((await run("node", [cli, "--version"])).ms);
  startup.help.push((await run("node", [cli, "--help"])).ms);
}

const ratio = (a, b) => (median(a) / median(b)).toFixed(2);
const line = (label, a, b, target) =>
  console.log(`${label.padEnd(40)} ${ratio(a, b).padStart(6)}  (${fmt(median(a))} vs ${fmt(median(b))}; target ${target})`);
console.log(`evalap-infra benchmark, ${rounds} rounds, medians, tofu = ${tofu}`);
for (const [label, cold, warm, warmPhases, diff] of results) {
  console.log(`fixture: ${label}`);
  line("  deploy cold / tofu init+plan+apply", cold.ours, cold.plain, "<= 1.05");
  line("  deploy warm / tofu init+plan+apply", warm.ours, warm.plain, "< 1.0");
  const overhead = median(cold.ours) - median(cold.plain);
  console.log(`${"  fixed cost of the CLI (cold)".padEnd(40)} ${fmt(overhead).padStart(6)}`);
  if (baseline) {
    line("  baseline: deploy cold / tofu", cold.baseline, cold.plain, "-");
    line("  baseline: deploy warm / tofu", warm.baseline, warm.plain, "-");
    line("  deploy warm / baseline", warm.ours, warm.baseline, "-");
  }
  const keys = Object.keys(warmPhases[0] ?? {});
  console.log(`  warm deploy, medians: ${keys.map((k) => `${k} ${fmt(median(warmPhases.map((p) => p[k] ?? 0)))}`).join(", ")}`);
  const extra = fmt(median(diff.withDiff) - median(diff.plan)).padStart(6);
  const both = `(${fmt(median(diff.withDiff))} vs ${fmt(median(diff.plan))})`;
  console.log(`${"  plan --diff - plan (tofu show -json)".padEnd(40)} ${extra}  ${both}`);
}
line("--version / node -e 0", startup.version, startup.node, "<= 3");
line("--help / node -e 0", startup.help, startup.node, "<= 3");
console.log(`${"peak RSS of the CLI during deploy".padEnd(40)} ${(Math.max(...rss) / 1024).toFixed(0).padStart(6)} MB (target <= 150 MB)`);

for (const d of dirs) await rm(d, { recursive: true, force: true });
