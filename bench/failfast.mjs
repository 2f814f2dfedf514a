// npm run bench (third part): how soon a bad release starts being rolled back. A release whose
// service answers 500, with the DEFAULT health config (no `health` section): the time from the
// end of its apply to the start of the rollback, read from the NDJSON events' times (the apply
// step's end; the rollback's first event). Fixture test/fixtures/release, state and ledger on a
// local versitygw. Target (issue 8): <= 10 s.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { fmt, median, run } from "./lib.mjs";
import { cleanUp, env, eventsOf, releaseProject, startS3, startService } from "./release-env.mjs";

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cli = path.join(repo, "bin", "evalap-infra.js");
// Each round costs about 8 s of gate plus the rollback's own gate (3 good answers, 2 s apart).
const rounds = Number(process.env.BENCH_FAILFAST_ROUNDS ?? 3);
const TARGET_MS = 10_000;

const endpoint = await startS3();
const good = await startService(200);
const bad = await startService(500);
const dir = await releaseProject(endpoint, "ff");

const deploy = (url, allowFailure = false) =>
  run("node", [cli, "deploy", "staging", "--json", "--image", `api=${url}`], { cwd: dir, env, allowFailure });

/** The first event at or after index `from` matching `match`, with its index. */
function find(events, from, match) {
  const i = events.findIndex((e, j) => j >= from && match(e));
  if (i < 0) throw new Error("an expected event is missing");
  return { i, e: events[i] };
}

await deploy(good);
const toRollback = [];
const gates = [];
for (let round = 0; round < rounds; round++) {
  const failed = await deploy(bad, true);
  if (failed.code !== 7) throw new Error(`expected exit 7 (rolled back), got ${failed.code}\n${failed.err}`);
  const events = eventsOf(failed.out);
  const applied = find(events, 0, (e) => e.type === "step.finished" && e.step === "apply");
  // The rollback starts with its warning, then its release record (kind "rollback").
  const started = find(
    events,
    applied.i,
    (e) => (e.type === "log" && /rolling back/.test(e.message)) || (e.type === "release.recorded" && e.kind === "rollback"),
  );
  const verdict = find(events, applied.i, (e) => e.type === "health.service");
  if (verdict.e.healthy || !/consecutive definite failures/.test(verdict.e.reason))
    throw new Error(`the gate did not fail fast: ${JSON.stringify(verdict.e)}`);
  toRollback.push(Date.parse(started.e.time) - Date.parse(applied.e.time));
  gates.push(verdict.e.durationMs);
}
const ms = median(toRollback);
const label = "apply end -> rollback start (500, defaults)";
console.log(
  `${label.padEnd(40)} ${fmt(ms).padStart(6)}  (median of ${rounds}: ${toRollback.map(fmt).join(", ")}; gate ${fmt(median(gates))}; target <= ${TARGET_MS / 1000} s${ms <= TARGET_MS ? "" : ", MISSED"})`,
);
await cleanUp();
