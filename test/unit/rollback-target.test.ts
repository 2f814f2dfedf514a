import { describe, expect, it } from "vitest";
import type { ReleaseRecord, ReleaseStatus } from "../../src/ledger/types.js";
import { chooseRollback } from "../../src/operations/rollback.js";

let seq = 0;
/** A release of image `image`, newest first in the lists below (ids only need to be distinct). */
function release(image: string, status: ReleaseStatus, opts: { planned?: boolean } = {}): ReleaseRecord {
  const id = String(++seq).padStart(8, "0");
  return {
    id,
    environment: "staging",
    kind: "deploy",
    createdAt: "2026-12-01T00:00:00.000Z",
    updatedAt: "2026-12-01T00:00:00.000Z",
    actor: "alice",
    host: "laptop",
    runId: `run-${id}`,
    gitRevision: null,
    configHash: "h",
    inputs: { vars: { images: { api: image } } },
    images: { api: image },
    status,
    ...(opts.planned === false ? {} : { plan: { counts: { create: 0, update: 0, replace: 1, delete: 0 }, changes: [] } }),
  };
}

const pick = (list: ReleaseRecord[], to?: string) => {
  const { target, replaced } = chooseRollback(list, "staging", to);
  return { target: target.images.api, replaced: replaced?.images.api ?? null };
};

describe("which release a rollback returns to", () => {
  it("the newest release is healthy: back to the newest earlier healthy one with other inputs, which it replaces", () => {
    expect(pick([release("c", "healthy"), release("b", "healthy"), release("a", "healthy")])).toEqual({ target: "b", replaced: "c" });
  });

  it("an abandoned release after exactly one healthy one: back to that healthy one (the last known good)", () => {
    expect(pick([release("b", "pending"), release("a", "healthy")])).toEqual({ target: "a", replaced: null });
  });

  it("an abandoned release after two healthy ones: back to the newest healthy one, which is not marked rolled back", () => {
    expect(pick([release("c", "pending"), release("b", "healthy"), release("a", "healthy")])).toEqual({ target: "b", replaced: null });
  });

  it("a release that failed its gate and was not rolled back: back to the newest healthy one, and the failed one is replaced", () => {
    expect(pick([release("c", "failed"), release("b", "healthy"), release("a", "healthy")])).toEqual({ target: "b", replaced: "c" });
  });

  it("a release that failed before applying anything changed nothing: it is passed over", () => {
    expect(pick([release("c", "failed", { planned: false }), release("b", "healthy"), release("a", "healthy")])).toEqual({ target: "a", replaced: "b" });
  });

  it("healthy releases with the inputs of what runs are skipped: rolling back to them would change nothing", () => {
    expect(pick([release("b", "healthy"), release("b", "healthy"), release("a", "healthy")])).toEqual({ target: "a", replaced: "b" });
  });

  it("--to takes that healthy release, by full id or by its number", () => {
    const list = [release("c", "healthy"), release("b", "healthy"), release("a", "healthy")];
    const oldest = list[2];
    expect(pick(list, oldest?.id)).toEqual({ target: "a", replaced: "c" });
    expect(pick(list, String(Number(oldest?.id)))).toEqual({ target: "a", replaced: "c" });
  });

  it("refuses clearly: no healthy release, an unknown id, a release that is not healthy", () => {
    expect(() => chooseRollback([release("b", "pending"), release("a", "failed")], "staging", undefined)).toThrow(/no earlier healthy release/);
    const list = [release("b", "failed"), release("a", "healthy")];
    expect(() => chooseRollback(list, "staging", "nope")).toThrow(/release nope does not exist/);
    expect(() => chooseRollback(list, "staging", list[0]?.id)).toThrow(/is failed: only a healthy release/);
  });
});
