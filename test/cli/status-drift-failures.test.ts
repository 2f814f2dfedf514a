import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import type { StatusReport } from "../../src/operations/status.js";
import { SECTIONS } from "../../src/operations/status.js";
import { trackedProjects, type CliRun } from "../helpers/project.js";

/**
 * The failure paths of `status` and `drift` (issue 13) that need no sandbox: an environment the
 * config does not declare, and a state bucket that does not answer (a port nothing listens on).
 */
const project = trackedProjects();

/** A port that was free a moment ago: nothing listens on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

const CREDENTIALS = { AWS_ACCESS_KEY_ID: "SCWTESTACCESSKEY0000", AWS_SECRET_ACCESS_KEY: "00000000-0000-4000-8000-000000000000" };
const dataOf = (r: CliRun, kind: string): unknown => r.events.find((e) => e.type === "data" && e.kind === kind)?.data;
const resultOf = (r: CliRun) =>
  r.events.at(-1) as unknown as { exitCode: number; summary?: string; error?: { code: string; message: string; hint?: string } };

async function downProject() {
  const port = await closedPort();
  return project({
    environments: {
      staging: {
        fixture: "basic",
        extra: { remote: { bucket: "evalap-tfstate-staging", endpoint: `http://127.0.0.1:${port}`, region: "fr-par" } },
      },
    },
    config: { remoteTimeout: "2s", retry: { attempts: 2, baseDelay: "10ms", maxDelay: "20ms", budget: "1s" } },
  });
}

describe("status and drift: failure paths", () => {
  it("an unknown environment is a usage error (exit 3) naming the known ones, for both", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    for (const command of ["status", "drift"]) {
      const r = await p.run([command, "nope", "--json"]);
      expect(r.exitCode, r.stdout + r.stderr).toBe(3);
      expect(resultOf(r).error?.message).toMatch(/nope/);
      expect(`${resultOf(r).error?.message} ${resultOf(r).error?.hint}`).toMatch(/staging/);
    }
  });

  it("status with the state bucket down: every section says unknown and why, exit 1 naming them; nothing else fails", async () => {
    const p = await downProject();
    const r = await p.run(["status", "staging", "--json"], { env: CREDENTIALS });
    expect(r.exitCode, r.stdout + r.stderr).toBe(1);
    const report = dataOf(r, "status") as StatusReport;
    for (const name of SECTIONS) {
      const section = report[name];
      expect(section.state, name).toBe("unknown");
      if (section.state === "unknown") expect(section.reason, name).toMatch(/state bucket cannot be read: .*evalap-tfstate-staging/);
    }
    expect(resultOf(r).summary).toBe(
      "status of staging: 7 section(s) could not be read (release, services, lock, pending, rotation, backups, secrets): see each one's reason above",
    );
    const human = await p.run(["status", "staging"], { env: CREDENTIALS });
    expect(human.exitCode).toBe(1);
    expect(human.stdout + human.stderr).toMatch(/^release: +unknown: the state bucket cannot be read/m);
  });

  it("drift with the state bucket down stops before tofu runs: exit 10, nothing written", async () => {
    const p = await downProject();
    const r = await p.run(["drift", "staging", "--json"], { env: CREDENTIALS });
    expect(r.exitCode, r.stdout + r.stderr).toBe(10);
    expect(resultOf(r).error?.code).toBe("backend_unavailable");
    expect(r.events.some((e) => e.type === "step.started" && e.step === "refresh")).toBe(false);
  });
});
