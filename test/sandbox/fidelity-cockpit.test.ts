import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { assertFaithful, formatReport, replayFidelity } from "./cassette-replay.js";
import { SERVED_PATHS } from "./cassettes.js";

/**
 * The Cockpit v1 emulator against Scaleway's recorded real traffic: every cockpit cassette the
 * sandbox can serve is replayed (they create their project through account v3 first), and each
 * answer must have the recorded status, field names and value types.
 */
const TOKEN = "11111111-2222-4333-8444-555555555555";
/** The recordings' organization, which is also its default project (as in every Scaleway account). */
const RECORDED_ORG = "105bdce1-64c0-48ab-899d-868455867ecf";
/** The sandbox's: one UUID for both, like the recordings' account. */
const ORG = "4e1c2b9a-7d3f-4a51-8b6e-0c9d8e7f6a52";

/**
 * After a cassette deleted its project, the provider's destroy check reads the alert manager again:
 * four recordings got 200 (alert manager disabled; the sandbox answers so), these two got 403
 * permissions_denied. Project deletion reaches Cockpit asynchronously; both answers are real.
 */
const DELETED_PROJECT_READS = [
  ["cockpit/cockpit-alert-manager-id-handling", 28],
  ["cockpit/cockpit-alert-manager-with-preconfigured-alerts", 19],
].map(([cassette, interaction]) => ({
  cassette: String(cassette),
  interaction: Number(interaction),
  reason: "Scaleway answered 200 to the same read after a project deletion in 4 other recordings",
}));

describe("sandbox fidelity: the provider's recorded Cockpit traffic", () => {
  it("answers every replayed request of the cockpit cassettes with the recorded shape", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-fidelity-cockpit-"));
    const sandbox = await startSandbox({
      dataDir,
      token: TOKEN,
      readyDelayMs: 50,
      account: { organizationId: ORG, defaultProjectId: ORG },
    });
    try {
      // The recording account had Cockpit's alert manager enabled on its default project before the
      // recordings (cockpit-simple reads it): the same precondition here.
      const enable = await fetch(`${sandbox.url}/cockpit/v1/regions/fr-par/alert-manager/enable`, {
        method: "POST",
        headers: { "X-Auth-Token": TOKEN, "Content-Type": "application/json" },
        body: JSON.stringify({ project_id: ORG }),
      });
      if (enable.status !== 200) throw new Error(`enabling the default project's alert manager answered ${enable.status}`);
      const report = await replayFidelity({
        baseUrl: sandbox.url,
        token: TOKEN,
        services: ["cockpit"],
        // The cassettes create their project through account v3 before using Cockpit.
        servedPaths: [...(SERVED_PATHS.cockpit ?? []), ...(SERVED_PATHS.account ?? [])],
        foreignIds: { [RECORDED_ORG]: ORG },
        // A preconfigured alert's annotations are a map[string]string whose keys differ from rule to rule.
        freeFormMaps: ["annotations"],
        tolerated: DELETED_PROJECT_READS,
      });
      console.log(formatReport(report));
      assertFaithful(report);
    } finally {
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
