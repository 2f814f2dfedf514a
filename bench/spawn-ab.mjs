// Compares two builds of the CLI on a warm deploy, alternating so that machine noise hits both
// alike: `node bench/spawn-ab.mjs <dirA> <dirB> [fixture]`, each dir holding bin/ and dist/ (a copy
// made after `npm run build`). Used to weigh execa against node:child_process (README, design notes).
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const [a, b, extra] = process.argv.slice(2);
const rounds = Number(process.env.BENCH_ROUNDS ?? 9);
const env = { ...process.env, NO_COLOR: "1", TF_IN_AUTOMATION: "1", TF_INPUT: "0" };

async function project() {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-ab-"));
  await cp(path.join(repo, "test", "fixtures", "basic"), path.join(dir, "infra", "staging"), { recursive: true });
  if (extra) await cp(extra, path.join(dir, "infra", "staging"), { recursive: true });
  await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } } }));
  return dir;
}
const deploy = (build, dir, release) =>
  run("node", [path.join(build, "bin", "evalap-infra.js"), "deploy", "staging", "--json", "--var", `release=${release}`], {
    cwd: dir,
    env,
  });

const dirs = { a: await project(), b: await project() };
await deploy(a, dirs.a, "r0");
await deploy(b, dirs.b, "r0");
const times = { a: [], b: [] };
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ["a", "b"] : ["b", "a"];
  for (const k of order) times[k].push((await deploy(k === "a" ? a : b, dirs[k], `w${i}`)).ms);
}
console.log(
  `warm deploy, ${rounds} rounds, medians: A ${fmt(median(times.a))}, B ${fmt(median(times.b))}, B - A ${fmt(median(times.b) - median(times.a))}`,
);
console.log(`A: ${times.a.map((t) => t.toFixed(0)).join(" ")}\nB: ${times.b.map((t) => t.toFixed(0)).join(" ")}`);
for (const d of Object.values(dirs)) await rm(d, { recursive: true, force: true });
