import { spawn, type ChildProcess } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readlink, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isTofuName, proveStateLockHolderDead } from "../../src/statelock/index.js";
import { localIso, lockOwnerHere, procStartTime, readRunRecords, writeRunRecord } from "../../src/tofu/run-record.js";
import { runTofu, type StateLockInfo } from "../../src/tofu/index.js";

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  while (dirs.length > 0) await rm(dirs.pop() ?? "", { recursive: true, force: true });
});

async function setup(): Promise<{ root: string; runs: string; bin: string }> {
  const base = await mkdtemp(path.join(os.tmpdir(), "evalap-proof-"));
  dirs.push(base);
  const root = path.join(base, "infra", "staging");
  const runs = path.join(base, ".evalap-infra", "runs", "staging");
  await mkdir(root, { recursive: true });
  // A real executable named tofu (exe, not a symlink: /proc/<pid>/exe resolves links).
  const bin = path.join(base, "tofu");
  await copyFile("/bin/sleep", bin);
  return { root, runs, bin };
}

/** Starts the fake tofu and waits until the process runs it (exec done). */
async function start(bin: string, cwd: string): Promise<ChildProcess> {
  const child = spawn(bin, ["30"], { cwd, stdio: "ignore" });
  children.push(child);
  await poll(
    () => readlink(`/proc/${child.pid}/exe`).catch(() => ""),
    (exe) => exe === bin,
  );
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once("exit", resolve));
}

/** Polls until the value satisfies the predicate (a loaded machine may take its time). */
async function poll<T>(get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lockAt = (created: Date, who = lockOwnerHere()): StateLockInfo => ({
  id: "11111111-2222-3333-4444-555555555555",
  who,
  operation: "OperationTypeApply",
  created,
});

/** A run record of a tofu that took a lock one second after it started. */
async function recordOf(runs: string, root: string, pid: number, startedAt: Date): Promise<string> {
  return writeRunRecord(runs, {
    pid,
    cliPid: process.pid,
    cwd: root,
    subcommand: "apply",
    startedAt: localIso(startedAt),
    lockTimeoutMs: 5000,
  });
}

describe("proof that a state lock's holder is dead", () => {
  it("dead: our tofu that took it is gone and no tofu runs in the root", async () => {
    const { root, runs, bin } = await setup();
    const holder = await start(bin, root);
    const startedAt = new Date(Date.now() - 1000);
    const file = await recordOf(runs, root, holder.pid ?? 0, startedAt);
    const lock = lockAt(new Date(startedAt.getTime() + 500));

    const alive = await proveStateLockHolderDead(lock, root, runs);
    expect(alive.dead).toBe(false);
    expect(alive.reason).toMatch(new RegExp(`the tofu apply that took it \\(pid ${holder.pid}`));

    holder.kill("SIGKILL");
    await exited(holder);
    const proof = await proveStateLockHolderDead(lock, root, runs);
    expect(proof).toMatchObject({ dead: true, recordFile: file });
    expect(proof.reason).toMatch(new RegExp(`pid ${holder.pid}.*which is gone \\(no process ${holder.pid}\\)`));
  });

  it("not dead: another tofu runs in the root (a `tofu apply` typed in another shell)", async () => {
    const { root, runs, bin } = await setup();
    const startedAt = new Date(Date.now() - 2000);
    await recordOf(runs, root, 999_999_999, startedAt);
    const manual = await start(bin, root);
    const proof = await proveStateLockHolderDead(lockAt(new Date(startedAt.getTime() + 100)), root, runs);
    expect(proof.dead).toBe(false);
    expect(proof.reason).toContain(`a tofu process (pid ${manual.pid}`);
  });

  it("not dead: a tofu in another checkout initialised with the same backend state", async () => {
    const { root, runs, bin } = await setup();
    const other = path.resolve(root, "..", "..", "other-checkout");
    const backend = (key: string) =>
      JSON.stringify({ version: 3, backend: { type: "s3", config: { bucket: "state", key, access_key: null } } });
    for (const dir of [root, other]) await mkdir(path.join(dir, ".terraform"), { recursive: true });
    await writeFile(path.join(root, ".terraform", "terraform.tfstate"), backend("staging.tfstate"));
    await writeFile(path.join(other, ".terraform", "terraform.tfstate"), backend("staging.tfstate"));
    const startedAt = new Date(Date.now() - 2000);
    await recordOf(runs, root, 999_999_999, startedAt);
    const lock = lockAt(new Date(startedAt.getTime() + 100));
    const elsewhere = await start(bin, other);
    const proof = await proveStateLockHolderDead(lock, root, runs);
    expect(proof.dead).toBe(false);
    expect(proof.reason).toMatch(new RegExp(`pid ${elsewhere.pid}.*uses the same backend state`));
    // Another state in the same bucket is another lock.
    await writeFile(path.join(other, ".terraform", "terraform.tfstate"), backend("production.tfstate"));
    expect((await proveStateLockHolderDead(lock, root, runs)).dead).toBe(true);
  });

  it("not dead: a reused pid is told apart by its start time, but a live tofu elsewhere does not count", async () => {
    const { root, runs, bin } = await setup();
    const other = await start(bin, os.tmpdir());
    const startedAt = new Date(Date.now() - 2000);
    const file = await recordOf(runs, root, other.pid ?? 0, startedAt);
    // Rewrite the record as if the pid had belonged to an earlier process.
    const [entry] = await readRunRecords(runs);
    expect(entry?.record.procStart).toBe(await procStartTime(other.pid ?? 0));
    await writeFile(file, JSON.stringify({ ...entry?.record, procStart: (entry?.record.procStart ?? 0) - 100 }));
    const proof = await proveStateLockHolderDead(lockAt(new Date(startedAt.getTime() + 100)), root, runs);
    expect(proof.dead).toBe(true);
    expect(proof.reason).toMatch(/now belongs to a process started later/);
  });

  it("not dead: another user or host, no record, a record started after the lock, or no record dir", async () => {
    const { root, runs } = await setup();
    const startedAt = new Date(Date.now() - 2000);
    await recordOf(runs, root, 999_999_999, startedAt);
    const created = new Date(startedAt.getTime() + 100);
    expect((await proveStateLockHolderDead(lockAt(created, "alice@ci-runner-7"), root, runs)).reason).toMatch(
      /taken by alice@ci-runner-7.*cannot be checked from here/,
    );
    expect((await proveStateLockHolderDead(lockAt(new Date(startedAt.getTime() - 5000)), root, runs)).reason).toMatch(
      /no tofu started by evalap-infra/,
    );
    expect((await proveStateLockHolderDead(lockAt(created), path.join(root, ".."), runs)).dead).toBe(false);
    expect((await proveStateLockHolderDead(lockAt(created), root, undefined)).reason).toMatch(/keeps no records/);
    expect((await proveStateLockHolderDead({ id: "x", who: lockOwnerHere() }, root, runs)).reason).toMatch(/does not say when/);
    // A record from long before the lock (its tofu finished, its CLI was killed) took another lock.
    expect((await proveStateLockHolderDead(lockAt(new Date(startedAt.getTime() + 3_600_000)), root, runs)).dead).toBe(false);
  });

  it("runTofu keeps a record while tofu runs and removes it after a clean exit; a killed tofu leaves it", async () => {
    const { root, runs } = await setup();
    const ctx = { bin: "/bin/sh", env: {}, interruptGraceMs: 1000, runRecordDir: runs };
    const running = runTofu(ctx, { cwd: root, args: ["-c", "sleep 2"] });
    const during = await poll(
      () => readRunRecords(runs),
      (r) => r.length > 0,
    );
    expect(during[0]?.record).toMatchObject({ cliPid: process.pid, host: os.hostname(), subcommand: "-c" });
    expect(during[0]?.record.procStart).toBe(await procStartTime(during[0]?.record.pid ?? 0));
    await running;
    expect(await readRunRecords(runs)).toEqual([]);

    await runTofu(ctx, { cwd: root, args: ["-c", "kill -KILL $$"] }).catch(() => undefined);
    const left = await readRunRecords(runs);
    expect(left).toHaveLength(1);
    expect(Date.parse(left[0]?.record.startedAt ?? "")).toBeLessThanOrEqual(Date.now());
  });

  it("recognises tofu and terraform executables, not their providers", () => {
    expect(["tofu", "terraform", "opentofu", "tofu_1.12.6", "terraform-1.5"].every(isTofuName)).toBe(true);
    expect(["terraform-provider-scaleway_v2.81.0", "node", "tofu-ls", "sleep"].some(isTofuName)).toBe(false);
  });
});
