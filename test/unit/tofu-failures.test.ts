import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { emergencyStateDump, lockReleaseFailed, toDiagnostic } from "../../src/tofu/diagnostics.js";
import {
  parseHumanDiagnostics,
  parseJsonLine,
  parseOutputsJson,
  parseStatePushRefusal,
  parseValidateJson,
  parseVersionJson,
  TofuError,
  tofuFailure,
  TofuJsonError,
  TofuStateLockError,
  TofuStatePushRefusedError,
  type Diagnostic,
} from "../../src/tofu/index.js";
import { heldStateLock } from "../../src/statelock/recover.js";
import { FIXTURES } from "../helpers/project.js";

const captured = (name: string) => readFileSync(path.join(FIXTURES, "captured", name), "utf8");
const jsonDiagnostics = (name: string): Diagnostic[] =>
  captured(name)
    .split("\n")
    .map((l) => parseJsonLine(l))
    .flatMap((m) => (m?.diagnostic ? [toDiagnostic(m.diagnostic)] : []));

describe("typed tofu failures (parsed in src/tofu, read by operations)", () => {
  it("a held local state lock is a TofuStateLockError with the holder's lock info", () => {
    const stderr = captured("plan-state-lock.stderr.txt");
    const err = tofuFailure("plan", 1, parseHumanDiagnostics(stderr), stderr);
    expect(err).toBeInstanceOf(TofuStateLockError);
    expect(err.failure).toEqual({ transient: true, reason: "state_lock" });
    const lock = (err as TofuStateLockError).lock;
    expect(lock).toMatchObject({
      id: "825953a5-ada8-c9b1-2e18-594866d6ae28",
      path: "terraform.tfstate",
      operation: "OperationTypeApply",
      who: "root@vm",
      version: "1.12.6",
    });
    expect(lock.created?.toISOString()).toBe("2026-11-25T23:32:46.952Z");
    expect(heldStateLock(err)).toBe(lock);
  });

  it("a held S3 state lock (-json): the lock's ID, not the S3 RequestID beside it", () => {
    const err = tofuFailure("apply", 1, jsonDiagnostics("plan-s3-state-lock.diagnostic.jsonl"), "");
    expect(err).toBeInstanceOf(TofuStateLockError);
    expect((err as TofuStateLockError).lock).toMatchObject({
      id: "da2842bf-edda-6898-bd58-42b394f54020",
      path: "state/s/staging.tfstate",
      who: "root@vm",
      operation: "OperationTypeApply",
    });
    expect((err as TofuStateLockError).lock.created?.toISOString()).toBe("2026-12-01T06:11:33.077Z");
  });

  it("a lock that could not be taken for another reason (a full disk) is not a held lock", () => {
    const err = tofuFailure("plan", 1, jsonDiagnostics("plan-no-space.diagnostic.jsonl"), "");
    expect(err).not.toBeInstanceOf(TofuStateLockError);
    expect(heldStateLock(err)).toBeNull();
    expect(heldStateLock(new Error("Lock Info:\n  ID: 825953a5-ada8-c9b1-2e18-594866d6ae28"))).toBeNull();
  });

  it.each([
    ["state-push-older-serial.stderr.txt", { kind: "older_serial", serial: 1, backendSerial: 2 }],
    [
      "state-push-foreign-lineage.stderr.txt",
      { kind: "other_lineage", lineage: "00000000-f90a-ed34-3146-2f65a8b1d49d", backendLineage: "3b056714-f90a-ed34-3146-2f65a8b1d49d" },
    ],
  ])("a refused state push (%s) carries why", (fixture, refusal) => {
    const stderr = captured(fixture);
    const err = tofuFailure("state push", 1, parseHumanDiagnostics(stderr), stderr);
    expect(err).toBeInstanceOf(TofuStatePushRefusedError);
    expect((err as TofuStatePushRefusedError).refusal).toEqual(refusal);
    // The same text from another subcommand is no refusal of a push.
    expect(tofuFailure("plan", 1, parseHumanDiagnostics(stderr), stderr)).not.toBeInstanceOf(TofuStatePushRefusedError);
  });

  it("reads the same-serial refusal, wrapped as tofu wraps it", () => {
    expect(parseStatePushRefusal("cannot overwrite existing state with serial 8 with a different state that has\nthe same serial")).toEqual(
      {
        kind: "same_serial",
        serial: 8,
      },
    );
    expect(parseStatePushRefusal("Error: Unsupported argument")).toBeNull();
  });

  it("anything else is a plain TofuError, a killed tofu too", () => {
    const stderr = captured("plan-unsupported-argument.stderr.txt");
    const err = tofuFailure("plan", 1, parseHumanDiagnostics(stderr), stderr);
    expect(err.constructor).toBe(TofuError);
    const killed = tofuFailure("apply", 137, [], captured("plan-state-lock.stderr.txt"), { signal: "SIGKILL" });
    expect(killed.constructor).toBe(TofuError);
    expect(killed.failure).toEqual({ transient: false, reason: "killed" });
  });

  it("knows when tofu could not release its lock", () => {
    expect(lockReleaseFailed(jsonDiagnostics("apply-state-not-persisted.diagnostics.jsonl"), "")).toBe(true);
    expect(lockReleaseFailed([], "Error: Error releasing the state lock\n")).toBe(true);
    expect(lockReleaseFailed(jsonDiagnostics("plan-no-space.diagnostic.jsonl"), "")).toBe(false);
  });
});

describe("tofu's JSON, checked with zod", () => {
  it("keeps the fields of the message types it reads", () => {
    const change = parseJsonLine(
      '{"@level":"info","@message":"x: Plan to create","type":"planned_change","change":{"resource":{"addr":"a.b","resource_type":"a","extra":1},"action":"create"}}',
    );
    expect(change?.change).toMatchObject({ action: "create", resource: { addr: "a.b", resource_type: "a" } });
    const hook = parseJsonLine('{"type":"apply_complete","hook":{"resource":{"addr":"a.b"},"action":"create","elapsed_seconds":2}}');
    expect(hook?.hook?.elapsed_seconds).toBe(2);
    const outputs = parseJsonLine('{"type":"outputs","outputs":{"url":{"sensitive":false,"value":"https://x"},"pw":{"sensitive":true}}}');
    expect(outputs?.outputs?.pw).toEqual({ sensitive: true });
  });

  it("passes other message types through without checking them", () => {
    expect(parseJsonLine('{"@level":"info","@message":"OpenTofu 1.12.6","type":"version","tofu":"1.12.6"}')).toMatchObject({
      type: "version",
    });
    expect(parseJsonLine("not json")).toBeNull();
    expect(parseJsonLine("[1,2]")).toBeNull();
  });

  it("a message of a type it reads but of the wrong shape keeps its level and text; a diagnostic is not lost", () => {
    const bad = parseJsonLine('{"@level":"error","@message":"Error: boom","type":"diagnostic","diagnostic":{"summary":42}}');
    expect(bad?.diagnostic).toEqual({ severity: "error", summary: "Error: boom" });
    const hook = parseJsonLine('{"@level":"info","@message":"x","type":"apply_start","hook":"nope"}');
    expect(hook).toEqual({ "@level": "info", "@message": "x", type: "apply_start" });
  });

  it("finds the emergency state dump (a log message carrying the state) and nothing else", () => {
    const dump = parseJsonLine('{"@level":"info","@message":"Emergency state dump","type":"log","state":{"version":4,"serial":3}}');
    expect(dump && emergencyStateDump(dump)).toBe('{"version":4,"serial":3}');
    const log = parseJsonLine('{"@level":"info","@message":"Apply complete!","type":"log"}');
    expect(log && emergencyStateDump(log)).toBeUndefined();
  });

  it("validate, output and version -json", () => {
    const validated = parseValidateJson(
      '{"format_version":"1.0","valid":false,"error_count":1,"diagnostics":[{"severity":"error","summary":"Unsupported argument"}]}',
    );
    expect(validated.valid).toBe(false);
    expect(validated.diagnostics.map(toDiagnostic)).toEqual([{ severity: "error", summary: "Unsupported argument" }]);
    expect(
      parseOutputsJson(
        '{"url":{"sensitive":false,"type":"string","value":"https://x"},"pw":{"sensitive":true,"type":"string","value":"s"}}',
      ),
    ).toEqual({
      url: { sensitive: false, type: "string", value: "https://x" },
      pw: { sensitive: true, type: "string", value: "s" },
    });
    expect(parseVersionJson('{"terraform_version":"1.12.6","platform":"linux_amd64","provider_selections":{}}')).toBe("1.12.6");
  });

  it("says what is wrong with JSON it cannot read, without the values", () => {
    expect(() => parseVersionJson('{"platform":"linux_amd64"}')).toThrow(TofuJsonError);
    expect(() => parseVersionJson('{"platform":"linux_amd64"}')).toThrow(/version -json: terraform_version/);
    expect(() => parseOutputsJson('{"pw":{"sensitive":"yes","value":"hunter2"}}')).toThrow(/output -json: pw\.sensitive/);
    expect(() => parseOutputsJson('{"pw":{"sensitive":"yes","value":"hunter2"}}')).not.toThrow(/hunter2/);
    expect(() => parseValidateJson("{")).toThrow(TofuJsonError);
  });
});

describe("messages tofu prints without some fields", () => {
  it("an ordinary log message and a sensitive output without a value are read", () => {
    expect(parseJsonLine('{"@level":"info","@message":"Apply complete! Resources: 1 added","type":"log"}')).toMatchObject({ type: "log" });
    expect(parseOutputsJson('{"pw":{"sensitive":true,"type":"string"}}')).toEqual({ pw: { sensitive: true, type: "string" } });
  });
});
