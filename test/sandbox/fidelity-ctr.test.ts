import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { assertFaithful, formatReport, replayFidelity } from "./cassette-replay.js";
import { SERVED_PATHS } from "./cassettes.js";

/**
 * Serverless Containers v1 and Container Registry v1 against Scaleway's recorded real traffic: every
 * replayable cassette of the provider's `container` and `registry` services, each answer with the
 * recorded status, field names and value types. (Needs `npm run build`: containers whose image is
 * pushed run the stand-in; the recorded ones use Docker Hub images, which end in `error` here.)
 */
describe("sandbox fidelity: containers and registry", () => {
  it("answers every replayed request of the container and registry cassettes with the recorded shape", async () => {
    const token = "11111111-2222-4333-8444-555555555555";
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-fidelity-ctr-"));
    const sandbox = await startSandbox({ dataDir, token, readyDelayMs: 50 });
    try {
      // The private-network cassette makes its VPC and private networks first: the VPC API (i9-net) is served too.
      const servedPaths = ["container", "registry", "vpc"].flatMap((s) => SERVED_PATHS[s] ?? []);
      const report = await replayFidelity({ baseUrl: sandbox.url, token, services: ["container", "registry"], servedPaths });
      console.log(formatReport(report));
      assertFaithful(report);
    } finally {
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 300_000);
});
