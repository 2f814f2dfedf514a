// npm run bench (second part): how fast a failed release is rolled back. Measured in one run on
// the same fixture (test/fixtures/release, state in the s3 backend on a local versitygw): the
// time from the failed health gate to the previous release healthy again, divided by the time of
// one plain `tofu apply` of the same change. Target (issue #4): <= 1.5.
import { cp } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";
import { backend as backendAt, cleanUp, env, eventsOf, releaseProject, startS3, startService } from "./release-env.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
const tofu = process.env.EVALAP_TOFU_BIN ?? "tofu";
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);

const endpoint = await startS3();
const backend = (key) => backendAt(endpoint, key);

const good = await startService(200);
const bad = await startService(500);

// Two weights of apply: none (the CLI's own work dominates) and 2 s per service, a modest
// stand-in for a Serverless Container update, which takes tens of seconds on Scaleway.
for (const applySeconds of [0, 2]) {
  const dir = await releaseProject(endpoint, `rb-${applySeconds}`, {
    applySeconds,
    config: { health: { consecutive: 2, interval: "50ms", timeout: "1s", latencyBudget: "500ms", deadline: "2s" } },
  });
  const plainDir = path.join(dir, "plain");
  await cp(path.join(repo, "test", "fixtures", "release"), plainDir, { recursive: true });
  await run(
    tofu,
    ["init", "-input=false", ...Object.entries(backend(`plain-${applySeconds}.tfstate`)).map(([k, v]) => `-backend-config=${k}=${v}`)],
    { cwd: plainDir, env },
  );

  const recoveries = [];
  const applies = [];
  for (let i = 0; i < rounds; i++) {
    const goodUrl = `${good}/r${i}`; // a new image each round: a real change every time
    await run("node", [cli, "deploy", "staging", "--json", "--image", `api=${goodUrl}`], { cwd: dir, env });
    const failed = await run("node", [cli, "deploy", "staging", "--json", "--image", `api=${bad}`], { cwd: dir, env, allowFailure: true });
    if (failed.code !== 7) throw new Error(`expected exit 7 (rolled back), got ${failed.code}\n${failed.err}`);
    const events = eventsOf(failed.out);
    const gateFailed = events.find((e) => e.type === "step.finished" && e.step === "health" && e.detail === "unhealthy");
    const healthyAgain = events.findLast((e) => e.type === "health.service" && e.healthy);
    recoveries.push(Date.parse(healthyAgain.time) - Date.parse(gateFailed.time));
    // The same change, applied by plain tofu: from the bad image back to the good one.
    const vars = (url) => [`-var=images={api="${url}"}`, `-var=apply_seconds=${applySeconds}`];
    await run(tofu, ["apply", "-auto-approve", "-input=false", ...vars(bad)], { cwd: plainDir, env });
    applies.push((await run(tofu, ["apply", "-auto-approve", "-input=false", ...vars(goodUrl)], { cwd: plainDir, env })).ms);
  }
  const label = `failed gate -> healthy again (apply ${applySeconds}s)`;
  console.log(
    `${label.padEnd(40)} ${(median(recoveries) / median(applies)).toFixed(2).padStart(6)}  (${fmt(median(recoveries))} vs one plain apply ${fmt(median(applies))}; target <= 1.5)`,
  );
}
await cleanUp();
