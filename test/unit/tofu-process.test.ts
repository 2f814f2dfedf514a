import { access, chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/core/errors.js";
import { runTofu, TofuBinaryError, TofuError } from "../../src/tofu/index.js";

/**
 * The process runner with a real process standing in for tofu (a shell script): how many SIGINTs
 * it gets when the run is interrupted, and when it is killed.
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "evalap-process-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake tofu that records each SIGINT in `ints`, says it started in `ready`, then runs `onInt` on SIGINT. */
async function fakeTofu(onInt: string): Promise<{ bin: string; ints: string; ready: string }> {
  const bin = path.join(dir, "tofu");
  const ints = path.join(dir, "ints");
  const ready = path.join(dir, "ready");
  await writeFile(bin, `#!/bin/sh\ntrap 'echo INT >> "${ints}"; ${onInt}' INT\ntouch "${ready}"\nwhile :; do sleep 0.05; done\n`);
  await chmod(bin, 0o755);
  return { bin, ints, ready };
}

async function until(file: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (
      await access(file).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${file} never appeared`);
}

const intsIn = async (file: string) => (await readFile(file, "utf8").catch(() => "")).split("\n").filter((l) => l === "INT").length;

describe("interrupting tofu", () => {
  it("forwards SIGINT exactly once; a tofu that stops on it ends the run at once", async () => {
    const fake = await fakeTofu("exit 1");
    const controller = new AbortController();
    const run = runTofu({ bin: fake.bin, env: {}, signal: controller.signal, interruptGraceMs: 5000 }, { cwd: dir, args: ["apply"] }).catch(
      (e: unknown) => e,
    );
    await until(fake.ready);
    const started = performance.now();
    controller.abort(new InterruptedError("SIGINT"));
    const err = await run;
    expect(err).toBeInstanceOf(InterruptedError);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(await intsIn(fake.ints)).toBe(1);
  });

  it("kills a tofu that does not stop within the grace delay, after one SIGINT only", async () => {
    const fake = await fakeTofu(":");
    const controller = new AbortController();
    const run = runTofu({ bin: fake.bin, env: {}, signal: controller.signal, interruptGraceMs: 600 }, { cwd: dir, args: ["apply"] }).catch(
      (e: unknown) => e,
    );
    await until(fake.ready);
    const started = performance.now();
    controller.abort(new InterruptedError("SIGINT"));
    const err = await run;
    const waited = performance.now() - started;
    expect(err).toBeInstanceOf(InterruptedError);
    expect(waited).toBeGreaterThanOrEqual(550);
    expect(waited).toBeLessThan(4000);
    expect(await intsIn(fake.ints)).toBe(1);
  });

  it("starts nothing when the run is already interrupted", async () => {
    const fake = await fakeTofu(":");
    const controller = new AbortController();
    controller.abort(new InterruptedError("SIGTERM"));
    const err = await runTofu(
      { bin: fake.bin, env: {}, signal: controller.signal, interruptGraceMs: 600 },
      { cwd: dir, args: ["plan"] },
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ signal: "SIGTERM" });
    await expect(access(fake.ready)).rejects.toThrow();
  });
});

describe("how tofu ended", () => {
  it("a tofu killed by a signal is a TofuError with the signal and the shell's exit code", async () => {
    const bin = path.join(dir, "tofu");
    await writeFile(bin, "#!/bin/sh\necho 'Error: out of memory' >&2\nkill -KILL $$\n");
    await chmod(bin, 0o755);
    const err = await runTofu({ bin, env: {}, interruptGraceMs: 100 }, { cwd: dir, args: ["apply"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TofuError);
    expect(err).toMatchObject({ signal: "SIGKILL", tofuExitCode: 137, failure: { transient: false, reason: "killed" } });
  });

  it("reads exit codes, stdout and the -json stream; an exit code the caller accepts is no failure", async () => {
    const bin = path.join(dir, "tofu");
    await writeFile(
      bin,
      `#!/bin/sh\nprintf '%s\\n' '{"type":"change_summary","changes":{"add":1}}'\nprintf '%s' '{"type":"log","@message":"no newline"}'\nexit 2\n`,
    );
    await chmod(bin, 0o755);
    const messages: unknown[] = [];
    const r = await runTofu(
      { bin, env: {}, interruptGraceMs: 100 },
      { cwd: dir, args: ["plan"], okExitCodes: [2], onMessage: (m) => messages.push(m) },
    );
    expect(r.exitCode).toBe(2);
    expect(messages).toEqual([
      { type: "change_summary", changes: { add: 1 } },
      { type: "log", "@message": "no newline" },
    ]);
  });

  it("a missing binary or a missing directory says which", async () => {
    const missing = await runTofu({ bin: path.join(dir, "nope"), env: {}, interruptGraceMs: 100 }, { cwd: dir, args: ["plan"] }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(TofuBinaryError);
    const fake = await fakeTofu(":");
    const noDir = await runTofu({ bin: fake.bin, env: {}, interruptGraceMs: 100 }, { cwd: path.join(dir, "gone"), args: ["plan"] }).catch(
      (e: unknown) => e,
    );
    expect(noDir).toMatchObject({ code: "root_missing" });
  });
});
