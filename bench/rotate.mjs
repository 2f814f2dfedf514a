// npm run bench: `secrets rotate sandbox ADMIN_TOKEN` against one plain deploy of the same
// environment on the same sandbox (issue 11; target <= 1.3). Both redeploy the two containers and
// pass the health gate: the deploy changes LOG_LEVEL (an environment change of both containers),
// the rotation changes ADMIN_TOKEN (a secret environment change of both). The rotation also
// writes its record and audit entries at each step and disables the previous version; its grace
// period is 0 here (waiting is not work). One sandbox, deployed once; sides alternate per round.
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const base = { ...process.env, NO_COLOR: "1", CI: "true" };

const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-bench-rotate-"));
const dataDir = path.join(dir, ".evalap-infra", "sandbox");
await cp(path.join(repo, "infra"), path.join(dir, "infra"), { recursive: true, filter: (s) => !s.includes(".terraform") });
await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify({ environments: { staging: { root: "infra/staging" } } }));
const cliRun = (args) => run("node", [cli, ...args], { cwd: dir, env: base });

try {
  await run("node", [cli, "sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"], { cwd: dir, env: base });
  await cliRun(["deploy", "sandbox", "--json"]);
  const deploys = [];
  const rotations = [];
  let level = 0;
  for (let i = 0; i < rounds; i++) {
    for (const side of i % 2 === 0 ? ["deploy", "rotate"] : ["rotate", "deploy"]) {
      if (side === "deploy") {
        level = 1 - level;
        deploys.push((await cliRun(["deploy", "sandbox", "--var", `log_level=${level ? "DEBUG" : "INFO"}`, "--json"])).ms);
      } else {
        rotations.push((await cliRun(["secrets", "rotate", "sandbox", "ADMIN_TOKEN", "--grace", "0s", "--json"])).ms);
      }
    }
  }
  const d = median(deploys);
  const r = median(rotations);
  console.log(`secret rotation on the sandbox (${rounds} rounds, medians):`);
  console.log(`  evalap-infra deploy sandbox (one change to both containers): ${fmt(d)}`);
  console.log(`  evalap-infra secrets rotate sandbox ADMIN_TOKEN:              ${fmt(r)} (ratio ${(r / d).toFixed(2)}; target <= 1.3)`);
} finally {
  await run("node", [cli, "sandbox", "down", "--data-dir", dataDir], { cwd: dir, env: base, allowFailure: true });
  const log = await readFile(path.join(dataDir, "sandbox.log"), "utf8").catch(() => "");
  if (process.env.BENCH_VERBOSE) console.log(log);
  await rm(dir, { recursive: true, force: true });
}
