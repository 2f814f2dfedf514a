import { describe, expect, it } from "vitest";
import type { ReleaseRecord, ReleaseStatus } from "../../src/ledger/types.js";
import { chooseRollback } from "../../src/operations/rollback.js";

let seq = 0;
/** A release of image `image`, newest first in the lists below (ids only need to be distinct). */
function release(image: string, status: ReleaseStatus, opts: { planned?: boolean; kind?: ReleaseRecord["kind"] } = {}): ReleaseRecord {
  const id = String(++seq).padStart(8, "0");
  return {
    id,
    environment: "staging",
    kind: opts.kind ?? "deploy",
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
    expect(pick([release("c", "failed", { planned: false }), release("b", "healthy"), release("a", "healthy")])).toEqual({
      target: "a",
      replaced: "b",
    });
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
    expect(() => chooseRollback([release("b", "pending"), release("a", "failed")], "staging", undefined)).toThrow(
      /no earlier healthy release/,
    );
    const list = [release("b", "failed"), release("a", "healthy")];
    expect(() => chooseRollback(list, "staging", "nope")).toThrow(/release nope does not exist/);
    expect(() => chooseRollback(list, "staging", list[0]?.id)).toThrow(/is failed: only a healthy release/);
  });
});

// The ledgers that the release use case (src/operations/release-flow.ts) leaves behind, and where a
// manual rollback goes from there.
describe("which release a rollback returns to, after the use case's outcomes", () => {
  const rollback = { kind: "rollback" } as const;

  it("after an automatic rollback that restored service: nothing earlier has other inputs, so it refuses", () => {
    const list = [release("a", "healthy", rollback), release("b", "rolled_back"), release("a", "healthy")];
    expect(() => chooseRollback(list, "staging", undefined)).toThrow(/no earlier healthy release/);
    // A rolled-back release is never a target.
    expect(() => chooseRollback(list, "staging", list[1]?.id)).toThrow(/is rolled_back: only a healthy release/);
  });

  it("after an automatic rollback that was unhealthy too: back to the last known good, replacing the failed rollback", () => {
    const list = [release("a", "failed", rollback), release("b", "rolled_back"), release("a", "healthy")];
    const { target, replaced } = chooseRollback(list, "staging", undefined);
    expect([target.id, replaced?.id]).toEqual([list[2]?.id, list[0]?.id]);
  });

  it("a healthy rollback release is a target like any healthy release", () => {
    const list = [release("c", "healthy"), release("a", "healthy", rollback), release("b", "rolled_back"), release("a", "healthy")];
    const { target, replaced } = chooseRollback(list, "staging", undefined);
    expect([target.id, target.kind, replaced?.id]).toEqual([list[1]?.id, "rollback", list[0]?.id]);
  });

  it("after a resumed release: the superseded one is passed over, the resumed one is replaced", () => {
    expect(pick([release("b", "healthy"), release("b", "superseded"), release("a", "healthy")])).toEqual({ target: "a", replaced: "b" });
  });

  it("after a deploy whose state was not saved: back to the newest healthy one, nothing is marked rolled back", () => {
    expect(pick([release("b", "unpersisted"), release("a", "healthy")])).toEqual({ target: "a", replaced: null });
  });

  it("--to the release that runs now: allowed (it re-applies the same inputs), nothing is replaced", () => {
    const list = [release("b", "healthy"), release("a", "healthy")];
    expect(pick(list, list[0]?.id)).toEqual({ target: "b", replaced: null });
  });
});
