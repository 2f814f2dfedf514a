import { access, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseEvents, resultOf, tofuIn, toRun, trackedProjects, waitForEvent } from "../helpers/project.js";

const project = trackedProjects();

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

describe("interruption", () => {
  it("SIGINT during apply: tofu stops gracefully, exit 130, lock released, state intact, next deploy succeeds", async () => {
    const p = await project({ environments: { staging: { fixture: "slow", vars: { seconds: 3 } } } });
    const child = p.start(["deploy", "staging", "--json"]);
    await waitForEvent(child, (e) => e.type === "resource.progress" && e.phase === "start");
    child.kill("SIGINT");
    const r = await child;
    const run = toRun(r.exitCode ?? -1, String(r.stdout), String(r.stderr));
    expect(run.exitCode, run.stderr).toBe(130);
    expect(resultOf(run)).toMatchObject({ ok: false, exitCode: 130, error: { code: "interrupted" } });
    expect(run.events.some((e) => e.type === "lock.released" && e.scope === "local")).toBe(true);
    expect(await exists(path.join(p.dir, ".evalap-infra", "locks", "staging.lock"))).toBe(false);
    expect(await readdir(path.join(p.dir, ".evalap-infra", "plans"))).toEqual([]);
    // The state is readable and not locked by tofu.
    const root = path.join(p.dir, "infra", "staging");
    const state = await tofuIn(root, ["state", "list"]);
    expect(state.exitCode, state.stderr).toBe(0);
    expect(await exists(path.join(root, ".terraform.tfstate.lock.info"))).toBe(false);

    const next = await p.run(["deploy", "staging", "--json", "--var", "seconds=0"]);
    expect(next.exitCode, next.stderr + next.stdout).toBe(0);
    const after = await tofuIn(root, ["state", "list"]);
    expect(after.stdout).toContain("terraform_data.slow");
  });
});

describe("local deployment lock", () => {
  it("a second deploy of the same environment waits, names the holder, then proceeds", async () => {
    const p = await project({ environments: { staging: { fixture: "slow", vars: { seconds: 2 } } } });
    const first = p.start(["deploy", "staging", "--json"], { env: { EVALAP_ACTOR: "alice" } });
    await waitForEvent(first, (e) => e.type === "lock.acquired");
    const second = await p.run(["deploy", "staging", "--json", "--lock-timeout", "60s", "--var", "release=r2"], {
      env: { EVALAP_ACTOR: "bob" },
    });
    const firstRun = await first;
    expect(firstRun.exitCode).toBe(0);
    expect(second.exitCode, second.stderr).toBe(0);
    const waiting = second.events.find((e) => e.type === "lock.waiting") as
      { holder: { user: string; pid: number; command: string } } | undefined;
    expect(waiting?.holder.user).toBe("alice");
    expect(waiting?.holder.pid).toBe(first.pid);
    expect(waiting?.holder.command).toContain("deploy staging");
    // They never overlapped: the second acquired the lock after the first released it.
    const firstEvents = parseEvents(String(firstRun.stdout));
    const released = Date.parse(String(firstEvents.find((e) => e.type === "lock.released")?.time));
    const acquired = Date.parse(String(second.events.find((e) => e.type === "lock.acquired")?.time));
    expect(acquired).toBeGreaterThanOrEqual(released);
  });

  it("exits with the lock-held code when the wait times out, naming the holder", async () => {
    const p = await project({ environments: { staging: { fixture: "slow", vars: { seconds: 3 } } } });
    const first = p.start(["deploy", "staging", "--json"], { env: { EVALAP_ACTOR: "alice" } });
    await waitForEvent(first, (e) => e.type === "lock.acquired");
    const second = await p.run(["deploy", "staging", "--lock-timeout", "500ms"], { env: { EVALAP_ACTOR: "bob" } });
    expect(second.exitCode).toBe(4);
    expect(second.stderr).toMatch(/staging is locked by alice@/);
    expect(second.stderr).toContain("deploy staging");
    expect((await first).exitCode).toBe(0);
  });

  it("recovers a lock whose holder process is gone", async () => {
    const p = await project({ environments: { staging: { fixture: "slow", vars: { seconds: 5 } } } });
    const first = p.start(["deploy", "staging", "--json"]);
    await waitForEvent(first, (e) => e.type === "resource.progress" && e.phase === "start");
    first.kill("SIGKILL");
    await first;
    const next = await p.run(["deploy", "staging", "--json", "--lock-timeout", "20s", "--var", "seconds=0"]);
    // tofu's own state lock may still be held by the orphaned tofu until it finishes; either way
    // our lock was recovered and named its dead holder.
    const recovered = next.events.find((e) => e.type === "lock.recovered") as
      { previousHolder: { pid: number }; reason: string } | undefined;
    expect(recovered?.previousHolder.pid).toBe(first.pid);
    expect(recovered?.reason).toMatch(/is gone/);
  });
});
