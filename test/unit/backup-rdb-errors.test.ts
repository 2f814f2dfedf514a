import { Errors } from "@scaleway/sdk-client";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { isBusy, rdbFailure, whenInstanceFree } from "../../src/backup/rdb.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import type { RetryPolicy } from "../../src/retry/backoff.js";
import { scalewayClient } from "../../src/scaleway/client.js";

/**
 * The SDK's own error classes (what its response parser builds from Scaleway's bodies: a 403
 * `quotas_exceeded` with details, a 409 `transient_state`) become errors that name the problem and
 * the fix.
 */
describe("RDB failures as the backup commands report them", () => {
  it("a storage quota refusal names prune and the quotas page", () => {
    const err = new Errors.QuotasExceededError(403, { type: "quotas_exceeded" }, [
      { resource: "rdb_backup_storage", quota: 100, current: 100, scope: { kind: "project", id: "p1" } },
    ]);
    const e = rdbFailure(err, "creating backup evalap-staging-weekly-20260101T000000Z", "unused");
    expect(e.code).toBe("backup_quota");
    expect(e.exitCode).toBe(ExitCode.Failure);
    expect(e.message).toMatch(/^creating backup evalap-staging-weekly-\S+ was refused: the project's backup storage quota is reached/);
    expect(e.hint).toContain("evalap-infra backup prune <env>");
  });

  it("a resource in a transient state says which state and to wait (exit 24)", () => {
    const err = new Errors.TransientStateError(409, { type: "transient_state" }, "instance", "i1", "backuping");
    const e = rdbFailure(err, "creating backup x", "unused");
    expect(e.code).toBe("rdb_busy");
    expect(e.exitCode).toBe(ExitCode.BackupNotReady);
    expect(e.message).toBe("creating backup x was refused: the resource is backuping");
    expect(e.hint).toContain("--timeout");
  });

  it("a refused key is a prerequisite naming the IAM permission", () => {
    const e = rdbFailure(Object.assign(new Error("denied"), { status: 403 }), "listing the backups", "unused");
    expect(e.exitCode).toBe(ExitCode.Prerequisite);
    expect(e.hint).toContain("RelationalDatabasesFullAccess");
  });
});

describe("a busy instance through the retry layer and the real SDK", () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  });
  const INSTANCE = "7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
  const FAST: RetryPolicy = { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, budgetMs: 30_000 };
  const busy = { type: "transient_state", resource: "instance", resource_id: INSTANCE, current_state: "backuping" };

  /** An RDB stand-in: the instance is `backuping` and refuses DeleteDatabase for the first `busyFor` requests. */
  async function rdb(busyFor: number) {
    const seen: string[] = [];
    server = http.createServer((req, res) => {
      seen.push(`${req.method ?? ""} ${req.url ?? ""}`);
      const free = seen.length > busyFor;
      req.resume();
      req.on("end", () => {
        if (req.method === "GET") {
          res.writeHead(200, { "Content-Type": "application/json" });
          res.end(JSON.stringify({ id: INSTANCE, status: free ? "ready" : "backuping", endpoints: [], region: "fr-par" }));
        } else if (free) res.writeHead(204).end();
        else res.writeHead(409, { "Content-Type": "application/json" }).end(JSON.stringify(busy));
      });
    });
    const s = server;
    await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
    const env = {
      SCW_ACCESS_KEY: "SCWABCDEFGHIJ0123456",
      SCW_SECRET_KEY: "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
      SCW_API_URL: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
      SCW_DEFAULT_REGION: "fr-par",
    };
    return { api: await (await scalewayClient(env, { policy: FAST })).rdb(), seen };
  }
  const wait = (deadlineMs: number) => ({ deadline: Date.now() + deadlineMs, pollMs: 5, signal: new AbortController().signal });
  const ref = { region: "fr-par", id: INSTANCE };

  it("the retry layer gives up on transient_state within its policy; whenInstanceFree waits for the instance and tries again", async () => {
    const { api, seen } = await rdb(4);
    const drop = () => api.deleteDatabase({ region: "fr-par", instanceId: INSTANCE, name: "evalap_restore_1" });
    const exhausted = await drop().catch((err: unknown) => err);
    expect(isBusy(exhausted)).toBe(true);
    expect(rdbFailure(exhausted, "dropping x", "unused")).toMatchObject({ code: "rdb_busy", exitCode: ExitCode.BackupNotReady });
    await whenInstanceFree(api, ref, wait(30_000), drop);
    expect(seen.at(-1)).toMatch(/^DELETE .*\/databases\/evalap_restore_1$/);
  });

  it("still busy at the deadline: the refusal comes back", async () => {
    const { api } = await rdb(1_000_000);
    const err = await whenInstanceFree(api, ref, wait(0), () =>
      api.deleteDatabase({ region: "fr-par", instanceId: INSTANCE, name: "x" }),
    ).catch((e: unknown) => e);
    expect(isBusy(err)).toBe(true);
  });
});
