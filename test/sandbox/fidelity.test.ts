import { describe, it } from "vitest";
import { replayOnSandbox } from "./fidelity-run.js";

/**
 * The emulator against Scaleway's recorded real traffic: every cassette of the served APIs is
 * replayed, and each answer must have the recorded answer's status, field names and value types.
 */
describe("sandbox fidelity: the provider's recorded real traffic", () => {
  it("answers every replayed request of the secret and account cassettes with the recorded shape", async () => {
    await replayOnSandbox({ name: "evalap-fidelity-", services: ["secret", "account"] });
  }, 120_000);
});
