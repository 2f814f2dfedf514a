import { describe, expect, it } from "vitest";
import { servedPathsOf } from "./cassettes.js";
import { replayOnSandbox } from "./fidelity-run.js";
import { postgresPidsUnder } from "./postgres-procs.js";

/**
 * The RDB emulator against Scaleway's recorded real traffic: every replayable cassette of the
 * provider's `rdb` service, each instance backed by a real PostgreSQL server.
 */
describe("sandbox fidelity: the rdb cassettes", () => {
  it("answers every replayed request of the rdb cassettes with the recorded shape", async () => {
    const failures: string[] = [];
    await replayOnSandbox({
      name: "evalap-fidelity-rdb-",
      sandbox: {
        // Long enough that a `deleting` or `provisioning` answer right after the call is still one, as recorded.
        readyDelayMs: 400,
        // An internal error's cause (the real server's) is printed with the report.
        onRequest: (e) => void (e.status >= 500 && failures.push(`${e.method} ${e.url}: ${e.error ?? ""}`)),
      },
      notes: () => (failures.length > 0 ? [`internal errors:\n${failures.join("\n")}`] : []),
      // Every server the replay started stopped with its instance or with the sandbox.
      afterStop: (dataDir) => expect(postgresPidsUnder(dataDir)).toEqual([]),
      services: ["rdb"],
      // The rdb cassettes also make projects and the private networks their instances join (VPC, IPAM).
      servedPaths: servedPathsOf("rdb", "account", "vpc", "ipam"),
      skip: {
        "rdb/instance-init-settings": "a MySQL instance: the sandbox runs PostgreSQL only",
        "rdb/instance-engine-upgrade": "a major version upgrade makes a new instance (blue/green); the sandbox runs one PostgreSQL version",
        "rdb/instance-engine-upgrade-keeps-ha":
          "a major version upgrade makes a new instance (blue/green); the sandbox runs one PostgreSQL version",
        "rdb/instance-engine-upgrade-with-acl":
          "a major version upgrade makes a new instance (blue/green); the sandbox runs one PostgreSQL version",
      },
      uncompared: [
        { cassette: "rdb/privilege-basic", interaction: 119, reason: "recorded a race inside Scaleway (409 Tuple concurrently updated)" },
      ],
    });
  }, 900_000);
});
