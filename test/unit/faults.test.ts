import { chmod, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ResolvedEnvironment } from "../../src/config/load.js";
import type { EvalapError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import type { RunContext } from "../../src/operations/context.js";
import { classifyTofuError } from "../../src/operations/context.js";
import { toDiagnostic, type Diagnostic } from "../../src/tofu/diagnostics.js";
import {
  checkTofuBinary,
  classifyFailure,
  FileSystemError,
  parseHumanDiagnostics,
  parseJsonLine,
  parseStateLockInfo,
  pushRecoveredState,
  runTofu,
  StateLockHeldError,
  StateNotPersistedError,
  TofuBinaryError,
  TofuError,
  toFileSystemError,
  withFileSystemErrors,
} from "../../src/tofu/index.js";
import { FIXTURES } from "../helpers/project.js";

const captured = (name: string) => readFileSync(path.join(FIXTURES, "captured", name), "utf8");

/** The diagnostics of a captured `-json` stream (one message per line). */
function jsonDiagnostics(name: string): Diagnostic[] {
  return captured(name)
    .split("\n")
    .map(parseJsonLine)
    .flatMap((m) => (m?.type === "diagnostic" && m.diagnostic ? [toDiagnostic(m.diagnostic)] : []));
}

describe("state that tofu could not persist (captured: apply with the S3 server stopped mid-apply)", () => {
  const diagnostics = jsonDiagnostics("apply-state-not-persisted.diagnostics.jsonl");

  it("is read from OpenTofu's own words", () => {
    expect(diagnostics.map((d) => d.summary)).toEqual([
      "Failed to save state",
      "Failed to persist state to backend",
      "Error releasing the state lock",
    ]);
    expect(diagnostics[1]?.detail).toContain("errored.tfstate");
  });

  it("is permanent, and wins over the connection refused in the same text", () => {
    const text = diagnostics.map((d) => d.detail ?? "").join("\n");
    expect(text).toMatch(/connection refused/);
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: false, reason: "state_not_persisted" });
    const err = new TofuError("apply", 1, diagnostics, "", { cwd: "/p/infra/staging" });
    expect(classifyTofuError(err)).toBeNull();
    expect(err.hint).toMatch(/errored\.tfstate in \/p\/infra\/staging/);
  });

  it("each wording alone is enough", () => {
    const wordings = [
      "Error: Failed to save state",
      "Failed to persist state to backend",
      "Error saving state: 503 Service Unavailable",
      'written to the file "errored.tfstate"',
    ];
    for (const text of wordings) {
      expect(classifyFailure({ diagnostics: [], stderr: `${text}\nconnection reset by peer` })).toEqual({
        transient: false,
        reason: "state_not_persisted",
      });
    }
  });

  it("StateNotPersistedError: exit 12, names the recovery file, never re-planned", () => {
    const err = new StateNotPersistedError(
      "staging",
      "/p/infra/staging",
      "/p/.evalap-infra/recovery/staging/x.tfstate",
      "Failed to save state",
    );
    expect(err.exitCode).toBe(ExitCode.StateNotPersisted);
    expect(err.code).toBe("state_not_persisted");
    expect(err.message).toContain("/p/.evalap-infra/recovery/staging/x.tfstate");
    expect(classifyTofuError(err)).toBeNull();
  });
});

describe("file-system failures are permanent and say what to fix", () => {
  it("a full disk under the root is not 'state lock held' (captured: plan, lock info write)", () => {
    const diagnostics = jsonDiagnostics("plan-no-space.diagnostic.jsonl");
    expect(diagnostics[0]?.summary).toBe("Error acquiring the state lock");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({
      transient: false,
      reason: "no_space",
      path: ".terraform.tfstate.lock.info",
    });
    const err = new TofuError("plan", 1, diagnostics, "", { cwd: "/p/infra/staging" });
    expect(err.code).toBe("no_space");
    expect(err.message).toContain("no space left on the device that holds /p/infra/staging/.terraform.tfstate.lock.info");
    expect(err.hint).toMatch(/^free space under \/p\/infra\/staging/);
    expect(classifyTofuError(err)).toBeNull();
  });

  it("a full disk under .terraform during init (captured, human output)", () => {
    const stderr = captured("init-no-space.stderr.txt");
    const diagnostics = parseHumanDiagnostics(stderr);
    expect(classifyFailure({ diagnostics, stderr })).toEqual({
      transient: false,
      reason: "no_space",
      path: ".terraform/.terraform.tfstate.lock.info",
    });
    expect(new TofuError("init", 1, diagnostics, stderr, { cwd: "/r" }).hint).toMatch(/free space under \/r\/\.terraform/);
  });

  it("a read-only root (captured)", () => {
    const diagnostics = jsonDiagnostics("plan-read-only.diagnostic.jsonl");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({ transient: false, reason: "read_only", path: "terraform.tfstate" });
    const err = new TofuError("plan", 1, diagnostics, "", { cwd: "/r" });
    expect(err.code).toBe("read_only_fs");
    expect(err.message).toContain("/r/terraform.tfstate is on a read-only file system");
  });

  it("a root the user cannot write (captured as another user)", () => {
    const diagnostics = jsonDiagnostics("plan-permission-denied.diagnostic.jsonl");
    expect(classifyFailure({ diagnostics, stderr: "" })).toEqual({
      transient: false,
      reason: "permission_denied",
      path: "terraform.tfstate",
    });
    expect(new TofuError("plan", 1, diagnostics, "", { cwd: "/r" }).hint).toMatch(/owner and mode of \/r\/terraform\.tfstate/);
  });

  it.each([
    ["write /x/.terraform/providers/p: no space left on device; connection refused", "no_space"],
    ["mkdir .terraform: read-only file system (i/o timeout)", "read_only"],
    ["fork/exec /usr/bin/tofu: argument list too long", "arg_list_too_long"],
  ])("%s -> %s, never transient", (text, reason) => {
    expect(classifyFailure({ diagnostics: [], stderr: text })).toMatchObject({ transient: false, reason });
  });

  it("a held lock still needs its Lock Info; the backend being down is a connection failure", () => {
    expect(classifyFailure({ diagnostics: jsonDiagnostics("plan-s3-state-lock.diagnostic.jsonl"), stderr: "" })).toEqual({
      transient: true,
      reason: "state_lock",
    });
    const down = "Error: Error acquiring the state lock\n\nError message: dial tcp 127.0.0.1:9000: connect: connection refused";
    expect(classifyFailure({ diagnostics: [], stderr: down })).toEqual({ transient: true, reason: "connection" });
  });

  it("our own file calls: errno errors become FileSystemErrors with the path", async () => {
    const enospc = Object.assign(new Error("ENOSPC: no space left on device, write"), {
      code: "ENOSPC",
      path: "/p/.terraform/evalap-infra-init.json",
    });
    const err = await withFileSystemErrors("/p/.terraform", "record the init", () => Promise.reject(enospc)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileSystemError);
    expect(err).toMatchObject({ code: "no_space", path: "/p/.terraform/evalap-infra-init.json", exitCode: ExitCode.Failure });
    expect((err as FileSystemError).message).toBe(
      "cannot record the init: no space left on the device that holds /p/.terraform/evalap-infra-init.json",
    );
    expect(toFileSystemError(Object.assign(new Error("x"), { code: "EROFS" }), "/p/plans", "create the plan directory")?.hint).toMatch(
      /read-only/,
    );
    expect(toFileSystemError(Object.assign(new Error("x"), { code: "ENOENT" }), "/p", "x")).toBeNull();
    expect(classifyTofuError(err)).toBeNull();
  });
});

describe("tofu processes", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    while (dirs.length > 0) await rm(dirs.pop() ?? "", { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), "evalap-faults-"));
    dirs.push(d);
    return d;
  };
  const script = async (body: string) => {
    const file = path.join(await tmp(), "fake-tofu");
    await writeFile(file, `#!/bin/sh\n${body}\n`);
    await chmod(file, 0o755);
    return file;
  };

  it("a tofu killed by a signal says so, carries the signal, and is not retried", async () => {
    const bin = await script("echo 'Acquiring state lock' >&2\nkill -KILL $$");
    const err = await runTofu({ bin, env: {}, interruptGraceMs: 1000 }, { cwd: os.tmpdir(), args: ["apply", "-json"] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TofuError);
    const e = err as TofuError;
    expect(e.message).toMatch(/^tofu apply was killed by SIGKILL/);
    expect(e.message).not.toMatch(/exit code/);
    expect(e.signal).toBe("SIGKILL");
    expect(e.failure).toEqual({ transient: false, reason: "killed" });
    expect(classifyTofuError(e)).toBeNull();
  });

  it("beforeRun runs before every process; its error propagates unchanged and nothing starts", async () => {
    const marker = path.join(await tmp(), "started");
    const bin = await script(`touch ${marker}`);
    const seen: string[] = [];
    const lost = new Error("lease lost");
    const ctx = { bin, env: {}, interruptGraceMs: 1000, beforeRun: async (sub: string) => void seen.push(sub) };
    await runTofu(ctx, { cwd: os.tmpdir(), args: ["state", "push", "f"] });
    expect(seen).toEqual(["state push"]);
    await rm(marker);
    const refused = await runTofu({ ...ctx, beforeRun: () => Promise.reject(lost) }, { cwd: os.tmpdir(), args: ["plan"] }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBe(lost);
    await expect(rm(marker)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("E2BIG: too long a command line says to use a var file", async () => {
    const args = ["plan", `-var=big=${"x".repeat(300_000)}`];
    const err = await runTofu({ bin: "/bin/true", env: {}, interruptGraceMs: 1000 }, { cwd: os.tmpdir(), args }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileSystemError);
    expect(err).toMatchObject({ code: "arg_list_too_long" });
    expect((err as FileSystemError).hint).toMatch(/var file/);
  });

  it("a missing or non-executable binary is a prerequisite (exit 9) naming the path and doctor", async () => {
    const missing = path.join(await tmp(), "no-tofu");
    const err = await runTofu({ bin: missing, env: {}, interruptGraceMs: 1000 }, { cwd: os.tmpdir(), args: ["plan"] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TofuBinaryError);
    expect(err).toMatchObject({ exitCode: ExitCode.Prerequisite, message: `tofu binary not found: ${missing}` });
    expect((err as TofuBinaryError).hint).toMatch(/evalap-infra doctor/);
    await expect(checkTofuBinary({ bin: missing, env: {} })).rejects.toBeInstanceOf(TofuBinaryError);

    const notExec = await script("exit 0");
    await chmod(notExec, 0o644);
    if (process.getuid?.() !== 0) {
      await expect(checkTofuBinary({ bin: notExec, env: {} })).rejects.toMatchObject({
        message: `tofu binary is not executable: ${notExec}`,
      });
    }
    await chmod(notExec, 0o755);
    await expect(checkTofuBinary({ bin: notExec, env: {} })).resolves.toBeUndefined();
    await expect(checkTofuBinary({ bin: "sh", env: { PATH: "/bin:/usr/bin" } })).resolves.toBeUndefined();
    await expect(checkTofuBinary({ bin: "no-such-tofu-here", env: { PATH: "/bin:/usr/bin" } })).rejects.toBeInstanceOf(TofuBinaryError);
    await expect(checkTofuBinary({ bin: os.tmpdir(), env: {} })).rejects.toBeInstanceOf(TofuBinaryError);
  });
});

describe("pushing a recovered state", () => {
  it.each([
    ["state-push-older-serial.stderr.txt", /cannot import state with serial 1 over newer state with serial 2/],
    ["state-push-foreign-lineage.stderr.txt", /cannot import state with lineage "00000000-/],
  ])("tofu's refusal (%s) is state_push_refused, says what to compare, and keeps the file", async (fixture, said) => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-push-"));
    try {
      const bin = path.join(dir, "fake-tofu");
      await writeFile(bin, `#!/bin/sh\ncat '${path.join(FIXTURES, "captured", fixture)}' >&2\nexit 1\n`);
      await chmod(bin, 0o755);
      const kept = path.join(dir, "x.tfstate");
      await writeFile(kept, "{}");
      const ctx = { tofu: { bin, env: {}, interruptGraceMs: 1000 }, events: { emit: () => undefined } } as unknown as RunContext;
      const env = { name: "staging", rootDir: dir } as ResolvedEnvironment;
      const err = await pushRecoveredState(ctx, env, kept, 1000).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: "state_push_refused", exitCode: ExitCode.StateNotPersisted });
      expect((err as Error).message).toMatch(said);
      expect((err as EvalapError).hint).toMatch(/tofu state pull/);
      await expect(stat(kept)).resolves.toBeDefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("StateLockHeldError", () => {
  it("names the lock, its holder, operation and age, why it is not proven dead, and the command to release it", () => {
    const lock = parseStateLockInfo(jsonDiagnostics("plan-s3-state-lock.diagnostic.jsonl")[0]?.detail ?? "");
    expect(lock).toMatchObject({ id: "da2842bf-edda-6898-bd58-42b394f54020", who: "root@vm", operation: "OperationTypeApply" });
    if (!lock) return;
    const err = new StateLockHeldError("staging", lock, "a tofu process (pid 42, /usr/bin/tofu) runs in /p/infra/staging");
    expect(err.exitCode).toBe(ExitCode.LockHeld);
    expect(err.code).toBe("state_lock_held");
    expect(err.message).toContain("lock da2842bf-edda-6898-bd58-42b394f54020 held by root@vm for apply, taken 2026-12-01T06:11:33.077Z");
    expect(err.message).toMatch(/ago; its holder is not proven dead: a tofu process \(pid 42/);
    expect(err.hint).toContain("evalap-infra lock release staging --state da2842bf-edda-6898-bd58-42b394f54020 --force --yes");
    expect(classifyTofuError(err)).toBeNull();
  });
});
