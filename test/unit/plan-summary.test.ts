import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { actionFromList, summarizePlanStream, tofu, type TofuContext } from "../../src/tofu/index.js";
import { resolveToolchain } from "../../src/toolchain/index.js";
import { FIXTURES } from "../helpers/project.js";

describe("plan summary", () => {
  it("maps show -json action lists: any delete+create is a replacement", () => {
    expect(actionFromList(["delete", "create"])).toBe("replace");
    expect(actionFromList(["create", "delete"])).toBe("replace");
    expect(actionFromList(["delete"])).toBe("delete");
    expect(actionFromList(["update"])).toBe("update");
    expect(actionFromList(["no-op"])).toBe("noop");
    expect(actionFromList(["forget"])).toBe("forget");
  });

  it("counts per action from the stream, and ignores noop", () => {
    const s = summarizePlanStream([
      { type: "planned_change", change: { resource: { addr: "a.x", resource_type: "a" }, action: "create" } },
      { type: "planned_change", change: { resource: { addr: "a.y", resource_type: "a" }, action: "replace", reason: "tainted" } },
      { type: "planned_change", change: { resource: { addr: "a.z", resource_type: "a" }, action: "noop" } },
      { type: "outputs", outputs: { url: { sensitive: false, action: "update" }, same: { action: "noop" } } },
    ]);
    expect(s.counts).toEqual({ create: 1, update: 0, delete: 0, replace: 1 });
    expect(s.changes.map((c) => c.address)).toEqual(["a.x", "a.y"]);
    expect(s.outputChanges).toEqual(["url"]);
    expect(s.hasChanges).toBe(true);
  });

  it("the stream summary equals the show -json summary on a real plan with create, update, replace and delete", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-summary-"));
    try {
      await cp(path.join(FIXTURES, "basic"), dir, { recursive: true });
      const tc = await resolveToolchain(undefined);
      const ctx: TofuContext = { bin: tc.bin, env: tc.env, interruptGraceMs: 10_000 };
      await tofu.init(ctx, dir);
      const first = await tofu.plan(ctx, dir, { out: "p1", lockTimeoutMs: 0 });
      await tofu.apply(ctx, dir, { planFile: "p1", lockTimeoutMs: 0 });
      expect(first.summary.counts).toEqual({ create: 2, update: 0, delete: 0, replace: 0 });
      // Next: update app and replace db; then a destroy plan.
      const second = await tofu.plan(ctx, dir, { out: "p2", lockTimeoutMs: 0, vars: { release: "r2", db_generation: "2" } });
      const { summary: shown } = await tofu.show(ctx, dir, "p2");
      // Reasons are worded differently by the two formats; addresses, types and actions must agree.
      const strip = (cs: typeof shown.changes) => cs.map(({ address, type, action }) => ({ address, type, action }));
      expect(strip(second.summary.changes)).toEqual(strip(shown.changes));
      expect(second.summary.counts).toEqual(shown.counts);
      expect(second.summary.counts).toEqual({ create: 0, update: 1, delete: 0, replace: 1 });
      const destroy = await tofu.plan(ctx, dir, { out: "p3", lockTimeoutMs: 0, destroy: true });
      const { summary: shownDestroy } = await tofu.show(ctx, dir, "p3");
      expect(destroy.summary.counts).toEqual(shownDestroy.counts);
      expect(destroy.summary.counts.delete).toBe(2);
      // A plan with nothing to do.
      const again = await tofu.plan(ctx, dir, { out: "p4", lockTimeoutMs: 0 });
      expect(again.summary.hasChanges).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
