import { describe, expect, it } from "vitest";
import { statusLines } from "../../src/cli/commands/status.js";
import { unknownSections, type StatusReport } from "../../src/operations/status.js";

/** The screen `status` prints, from a report (the sandbox test checks the report against real sources). */
const AT = "2026-12-01T12:00:00.000Z";
const report: StatusReport = {
  environment: "staging",
  at: AT,
  release: {
    state: "ok",
    latest: {
      id: "00000004",
      kind: "deploy",
      status: "rolled_back",
      images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:v2" },
      actor: "alice",
      host: "laptop",
      createdAt: "2026-12-01T10:00:00.000Z",
      finishedAt: "2026-12-01T10:05:00.000Z",
      statusReason: "evalap: 3 consecutive definite failures (answered 500)",
    },
    lastHealthy: {
      id: "00000003",
      kind: "deploy",
      status: "healthy",
      images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:v1" },
      actor: "bob",
      host: "ci",
      createdAt: "2026-11-30T09:00:00.000Z",
      finishedAt: null,
      statusReason: null,
    },
  },
  services: {
    state: "ok",
    services: [
      { name: "evalap", url: "https://api.example/openapi.json", healthy: true, httpStatus: 200, latencyMs: 41, problem: null },
      {
        name: "evalap-ui",
        url: "https://ui.example/_stcore/health",
        healthy: false,
        httpStatus: null,
        latencyMs: 5,
        problem: "connection refused",
      },
    ],
  },
  lock: { state: "unknown", reason: "the lease could not be read: timeout" },
  pending: { state: "ok", releases: [] },
  rotation: { state: "ok", unfinished: null },
  backups: {
    state: "ok",
    instanceId: "fr-par/i",
    database: "evalap",
    tiers: [
      {
        tier: "daily",
        newest: { id: "b1", name: "scheduled-1", status: "ready", created: "2026-12-01T09:00:00.000Z", ageMs: 3 * 3_600_000 },
      },
      { tier: "weekly", newest: null },
      { tier: "monthly", newest: null },
    ],
  },
  secrets: {
    state: "ok",
    secrets: [
      {
        name: "ADMIN_TOKEN",
        latestEnabled: 2,
        ageMs: 100 * 86_400_000,
        maxAgeMs: 90 * 86_400_000,
        due: true,
        current: false,
        missing: false,
      },
    ],
  },
};

describe("status screen", () => {
  it("one block per section; an unreadable one says unknown and why", () => {
    const lines = statusLines(report);
    expect(lines).toContain(
      "release:  00000004 deploy rolled_back by alice@laptop at 2026-12-01T10:05:00.000Z, 1h ago; evalap=rg.fr-par.scw.cloud/evalap/evalap:v2 (evalap: 3 consecutive definite failures (answered 500))",
    );
    expect(lines).toContain(
      "          last healthy: 00000003 deploy healthy by bob@ci at 2026-11-30T09:00:00.000Z, 1d ago; evalap=rg.fr-par.scw.cloud/evalap/evalap:v1",
    );
    expect(lines).toContain("services: evalap     healthy    HTTP 200  41ms  https://api.example/openapi.json");
    expect(lines).toContain("          evalap-ui  unhealthy  -         5ms   https://ui.example/_stcore/health  connection refused");
    expect(lines).toContain("lock:     unknown: the lease could not be read: timeout");
    expect(lines).toContain("pending:  none");
    expect(lines).toContain("rotation: none unfinished");
    expect(lines).toContain("backups:  daily    scheduled-1  ready  3h old  b1");
    expect(lines).toContain("          weekly   none");
    expect(lines).toContain("secrets:  ADMIN_TOKEN  rev 2  100d old  max 90d  due  containers run an older revision");
    expect(unknownSections(report)).toEqual(["lock"]);
  });
});
