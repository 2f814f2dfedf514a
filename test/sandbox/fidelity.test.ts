import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { assertFaithful, formatReport, replayFidelity } from "./cassette-replay.js";

/**
 * The emulator against Scaleway's recorded real traffic: every cassette of the served APIs is
 * replayed, and each answer must have the recorded answer's status, field names and value types.
 */
describe("sandbox fidelity: the provider's recorded real traffic", () => {
  it("answers every replayed request of the secret and account cassettes with the recorded shape", async () => {
    const token = "11111111-2222-4333-8444-555555555555";
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-fidelity-"));
    const sandbox = await startSandbox({ dataDir, token, readyDelayMs: 50 });
    try {
      const report = await replayFidelity({ baseUrl: sandbox.url, token, services: ["secret", "account"] });
      console.log(formatReport(report));
      assertFaithful(report);
    } finally {
      await sandbox.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
