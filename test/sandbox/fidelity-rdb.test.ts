import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import { assertFaithful, formatReport, replayFidelity } from "./cassette-replay.js";
import { SERVED_PATHS } from "./cassettes.js";
import { postgresPidsUnder } from "./postgres-procs.js";

/**
 * The RDB emulator against Scaleway's recorded real traffic: every replayable cassette of the
 * provider's `rdb` service, each instance backed by a real PostgreSQL server.
 */
describe("sandbox fidelity: the rdb cassettes", () => {
  let dataDir = "";
  afterAll(async () => {
    // Every server the replay started stopped with its instance or with the sandbox.
    expect(postgresPidsUnder(dataDir)).toEqual([]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it("answers every replayed request of the rdb cassettes with the recorded shape", async () => {
    const token = "11111111-2222-4333-8444-555555555555";
    dataDir = await mkdtemp(path.join(os.tmpdir(), "evalap-fidelity-rdb-"));
    // Long enough that a `deleting` or `provisioning` answer right after the call is still one, as recorded.
    const failures: string[] = [];
    const sandbox = await startSandbox({
      dataDir,
      token,
      readyDelayMs: 400,
      // An internal error's cause (the real server's) is printed with the report.
      onRequest: (e) => void (e.status >= 500 && failures.push(`${e.method} ${e.url}: ${e.error ?? ""}`)),
    });
    try {
      const report = await replayFidelity({
        baseUrl: sandbox.url,
        token,
        services: ["rdb"],
        // The rdb cassettes also make projects and the private networks their instances join (VPC, IPAM).
        servedPaths: ["rdb", "account", "vpc", "ipam"].flatMap((s) => SERVED_PATHS[s] ?? []),
        skip: {
          "rdb/instance-init-settings": "a MySQL instance: the sandbox runs PostgreSQL only",
          "rdb/instance-engine-upgrade":
            "a major version upgrade makes a new instance (blue/green); the sandbox runs one PostgreSQL version",
          "rdb/instance-engine-upgrade-keeps-ha":
            "a major version upgrade makes a new instance (blue/green); the sandbox runs one PostgreSQL version",
          "rdb/instance-engine-upgrade-with-acl":
            "a major version upgrade makes a new instance (blue/green); the sandbox runs one PostgreSQL version",
        },
        uncompared: [
          { cassette: "rdb/privilege-basic", interaction: 119, reason: "recorded a race inside Scaleway (409 Tuple concurrently updated)" },
        ],
      });
      console.log(formatReport(report));
      if (failures.length > 0) console.log(`internal errors:\n${failures.join("\n")}`);
      assertFaithful(report);
    } finally {
      await sandbox.stop();
    }
  }, 900_000);
});
