import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { actionFromList, summarizePlanStream, tofu, type TofuContext } from "../../src/tofu/index.js";
import { Redactor } from "../../src/report/redact.js";
import { attributeDiff, MAX_ATTRIBUTES, MAX_VALUE_LENGTH, withAttributes, type ShowJsonPlan } from "../../src/tofu/plan-summary.js";
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

  describe("attribute diff (show -json)", () => {
    const change = (address: string, actions: string[], c: Record<string, unknown>, extra: Record<string, unknown> = {}): ShowJsonPlan => ({
      resource_changes: [{ address, type: address.split(".")[0] ?? "", mode: "managed", change: { actions, ...c }, ...extra }],
    });

    it("an update lists only what changes, before → after, nested paths in tofu's notation", () => {
      const plan = change("scaleway_container.api", ["update"], {
        before: { name: "api", port: 8080, env: { LOG: "info", MODE: "a" }, tags: ["a", "b"], "odd key": { "a/b": 1 } },
        after: { name: "api", port: 9090, env: { LOG: "debug", MODE: "a" }, tags: ["a"], "odd key": { "a/b": 2 } },
        after_unknown: {},
        before_sensitive: {},
        after_sensitive: {},
      });
      const d = attributeDiff(plan).byAddress.get("scaleway_container.api");
      expect(d?.attributes).toEqual([
        { path: "env.LOG", before: '"info"', after: '"debug"' },
        { path: '["odd key"]["a/b"]', before: "1", after: "2" },
        { path: "port", before: "8080", after: "9090" },
        { path: "tags[1]", before: '"b"' },
      ]);
      expect(d?.omitted).toBe(0);
    });

    it("sensitive values are never rendered, but are handed over for the redactor; unknown ones are (known after apply)", () => {
      const plan = change("scaleway_rdb_user.app", ["update"], {
        before: { password: "old-secret-value", name: "app", conn: { dsn: "postgres://u:nested-secret@h/db", host: "h" } },
        after: { password: "new-secret-value", name: "app", conn: { dsn: "postgres://u:other-secret@h/db", host: "h2" } },
        after_unknown: { id: true },
        before_sensitive: { password: true, conn: { dsn: true } },
        after_sensitive: { password: true, conn: { dsn: true } },
      });
      const diff = attributeDiff(plan);
      const text = JSON.stringify([...diff.byAddress.values()]);
      for (const secret of ["old-secret-value", "new-secret-value", "nested-secret", "other-secret"]) expect(text).not.toContain(secret);
      expect(diff.byAddress.get("scaleway_rdb_user.app")?.attributes).toEqual([
        { path: "conn.dsn", before: "(sensitive)", after: "(sensitive)" },
        { path: "conn.host", before: '"h"', after: '"h2"' },
        { path: "id", after: "(known after apply)" },
        { path: "password", before: "(sensitive)", after: "(sensitive)" },
      ]);
      const secrets = ["old-secret-value", "new-secret-value", "postgres://u:nested-secret@h/db"];
      expect(diff.sensitiveValues).toEqual(expect.arrayContaining(secrets));
    });

    it("a whole sensitive object is one (sensitive) value; an unchanged sensitive value is not listed", () => {
      const plan = change("x.y", ["update"], {
        before: { creds: { user: "u", key: "k1-secret" }, token: "same-secret", n: 1 },
        after: { creds: { user: "u", key: "k2-secret" }, token: "same-secret", n: 2 },
        before_sensitive: { creds: true, token: true },
        after_sensitive: { creds: true, token: true },
        after_unknown: {},
      });
      expect(attributeDiff(plan).byAddress.get("x.y")?.attributes).toEqual([
        { path: "creds", before: "(sensitive)", after: "(sensitive)" },
        { path: "n", before: "1", after: "2" },
      ]);
    });

    it("a create lists what it sets (unset and empty values left out); deletes and reads list nothing", () => {
      const plan: ShowJsonPlan = {
        resource_changes: [
          {
            address: "a.new",
            change: {
              actions: ["create"],
              before: null,
              after: { name: "n", desc: null, tags: [], vars: { A: "1" } },
              after_unknown: { id: true, tags: [] },
            },
          },
          { address: "a.gone", change: { actions: ["delete"], before: { name: "g" }, after: null } },
          { address: "data.a.r", mode: "data", change: { actions: ["read"], before: null, after: { x: 1 } } },
        ],
      };
      const diff = attributeDiff(plan);
      expect(diff.byAddress.get("a.new")?.attributes).toEqual([
        { path: "id", after: "(known after apply)" },
        { path: "name", after: '"n"' },
        { path: "vars.A", after: '"1"' },
      ]);
      expect(diff.byAddress.has("a.gone")).toBe(false);
      expect(diff.byAddress.has("data.a.r")).toBe(false);
    });

    it("what forces a replacement comes first and is marked", () => {
      const plan = change("a.db", ["delete", "create"], {
        before: { engine: "PostgreSQL-14", name: "db", size: 1 },
        after: { engine: "PostgreSQL-15", name: "db", size: 2 },
        after_unknown: { id: true },
        replace_paths: [["engine"]],
      });
      const attrs = attributeDiff(plan).byAddress.get("a.db")?.attributes;
      expect(attrs?.[0]).toEqual({ path: "engine", before: '"PostgreSQL-14"', after: '"PostgreSQL-15"', forcesReplacement: true });
      expect(attrs?.slice(1).map((a) => a.path)).toEqual(["id", "size"]);
    });

    it("bounded: at most MAX_ATTRIBUTES per resource (the rest counted), long values cut, redacted before the cut", () => {
      const before = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a${String(i).padStart(2, "0")}`, i]));
      const after = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a${String(i).padStart(2, "0")}`, i + 1]));
      const long = "x".repeat(70) + "PLANTED-SECRET" + "y".repeat(100);
      const plan = change("a.many", ["update"], { before: { ...before, long: "short" }, after: { ...after, long }, after_unknown: {} });
      const redactor = new Redactor();
      redactor.add("PLANTED-SECRET");
      const diff = attributeDiff(plan, redactor);
      const d = diff.byAddress.get("a.many");
      expect(d?.attributes).toHaveLength(MAX_ATTRIBUTES);
      expect(d?.omitted).toBe(21 - MAX_ATTRIBUTES);
      // The long value, when shown, is cut with an ellipsis at the bound, after redaction.
      const one = attributeDiff(change("a.one", ["update"], { before: { long: "s" }, after: { long }, after_unknown: {} }), redactor);
      const shown = one.byAddress.get("a.one")?.attributes[0]?.after ?? "";
      expect(shown).toHaveLength(MAX_VALUE_LENGTH);
      expect(shown.endsWith("…")).toBe(true);
      expect(shown).toContain("[REDACT");
      expect(shown).not.toContain("PLANTED");
    });

    it("a copy of a sensitive value that tofu does not mark is redacted whole, even where the cut falls inside it", () => {
      // As tofu plans terraform_data: the marks of `input` are not carried to `output`.
      const token = "tok-0123456789-abcdefghij";
      const plan = change("terraform_data.api", ["update"], {
        before: { input: { name: "a", token }, output: { aaaa: "x".repeat(60), token } },
        after: { input: { name: "b", token } },
        after_unknown: { output: true },
        before_sensitive: { input: { token: true }, output: {} },
        after_sensitive: { input: { token: true } },
      });
      const redactor = new Redactor();
      const diff = attributeDiff(plan, redactor);
      const text = JSON.stringify([...diff.byAddress.values()]);
      expect(text).toContain("output");
      expect(text).not.toContain("tok-0123");
      // The redactor learnt it for the rest of the run.
      expect(redactor.redact(`say ${token}`)).toBe("say [REDACTED]");
    });

    it("withAttributes puts them on the stream summary's changes, by address", () => {
      const planned = { type: "planned_change", change: { resource: { addr: "a.x", resource_type: "a" }, action: "update" } };
      const stream = summarizePlanStream([planned], 2);
      const diff = attributeDiff(change("a.x", ["update"], { before: { v: 1 }, after: { v: 2 }, after_unknown: {} }));
      const expected = { address: "a.x", type: "a", action: "update", attributes: [{ path: "v", before: "1", after: "2" }] };
      expect(withAttributes(stream, diff).changes).toEqual([expected]);
    });
  });
});
