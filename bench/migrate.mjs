// npm run bench: the time a deploy spends on its migration check when the release's API image
// changes but brings no new revision (issue 12): the runner container is applied, runs
// `alembic history --indicate-current` against the sandbox's PostgreSQL, and is removed. A deploy
// that keeps the API image skips the check (no runner): its cost is a ledger read the deploy does
// anyway. One sandbox; each round deploys another tag of the same image (same head), so every
// round runs the check and rolls the containers; the step's own duration comes from the JSON events.
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const base = { ...process.env, NO_COLOR: "1", CI: "true" };
const image = (tag) => `rg.fr-par.scw.cloud/evalap/evalap:${tag}`;

const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-migrate-"));
const dataDir = path.join(dir, ".evalap-infra", "sandbox");
await cp(path.join(repo, "infra"), path.join(dir, "infra"), { recursive: true, filter: (s) => !s.includes(".terraform") });
await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } } }));
const cliRun = (args, opts = {}) => run("node", [cli, ...args], { cwd: dir, env: base, ...opts });
const events = (out) =>
  out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));

try {
  await run("node", [cli, "sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"], { cwd: dir, env: base });
  const tags = ["b0", ...Array.from({ length: rounds }, (_, i) => `b${i + 1}`)];
  for (const tag of tags) await cliRun(["sandbox", "push", image(tag), "--data-dir", dataDir]);
  // The first deploy creates the environment (the sandbox's application secrets written first; no
  // database yet, so no migration check); migrate then brings the empty database to the image's head.
  await cliRun(["deploy", "sandbox", "--image", `evalap=${image("b0")}`, "--json"]);
  await cliRun(["migrate", "sandbox", "--json"]);
  const checks = [];
  const deploys = [];
  for (const tag of tags.slice(1)) {
    const r = await cliRun(["deploy", "sandbox", "--image", `evalap=${image(tag)}`, "--json"]);
    const check = events(r.out).find((e) => e.type === "step.finished" && e.step === "migration check");
    if (!check || check.outcome !== "ok") throw new Error(`no migration check in the deploy of ${tag}:\n${r.out}`);
    checks.push(check.durationMs);
    deploys.push(r.ms);
  }
  const same = await cliRun(["deploy", "sandbox", "--json"]);
  const skipped = events(same.out).find((e) => e.type === "step.finished" && e.step === "migration check");
  const c = median(checks);
  const d = median(deploys);
  console.log(`migration check in a deploy on the sandbox (${rounds} rounds, medians):`);
  console.log(`  deploy of a new image tag, nothing pending:   ${fmt(d)}`);
  console.log(`  of which the migration check (runner up, alembic history, runner down): ${fmt(c)} (${((100 * c) / d).toFixed(0)}%)`);
  console.log(
    `  deploy keeping the API image: check ${skipped?.outcome ?? "?"} (${fmt(skipped?.durationMs ?? 0)}), whole deploy ${fmt(same.ms)}`,
  );
} finally {
  await run("node", [cli, "sandbox", "down", "--data-dir", dataDir], { cwd: dir, env: base, allowFailure: true });
  await rm(dir, { recursive: true, force: true });
}
