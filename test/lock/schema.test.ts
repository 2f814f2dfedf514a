import { describe, expect, it } from "vitest";
import { lockHolderSchema, parseJsonAs, queueTicketSchema, remoteLockRecordSchema } from "../../src/lock/schema.js";

const holder = {
  id: "0f1e",
  user: "ana",
  host: "ci-1",
  pid: 42,
  command: "evalap-infra deploy staging",
  startedAt: "2026-12-01T10:00:00.000Z",
};
const record = {
  holder,
  acquiredAt: "2026-12-01T10:00:00.000Z",
  heartbeatAt: "2026-12-01T10:00:20.000Z",
  expiresAt: "2026-12-01T10:01:20.000Z",
  leaseMs: 60_000,
};

describe("lock schemas (what other runs and people wrote)", () => {
  it("reads a lease record, keeping fields a newer version added", () => {
    const parsed = parseJsonAs(remoteLockRecordSchema, JSON.stringify({ ...record, region: "fr-par" }));
    expect(parsed).toEqual({ value: { ...record, region: "fr-par" } });
  });

  it("says whether the text is not JSON or not a record", () => {
    expect(parseJsonAs(remoteLockRecordSchema, "lock held by ???")).toEqual({ problem: "not JSON" });
    expect(parseJsonAs(remoteLockRecordSchema, JSON.stringify({ holder: "someone", leaseMs: "long" }))).toEqual({ problem: "schema" });
    expect(parseJsonAs(remoteLockRecordSchema, JSON.stringify({ ...record, leaseMs: -1 }))).toEqual({ problem: "schema" });
    // A release marker must name who released it: its holder is shown to the next run.
    expect(parseJsonAs(remoteLockRecordSchema, JSON.stringify({ ...record, released: { forced: true } }))).toEqual({ problem: "schema" });
    const released = { ...record, released: { at: "2026-12-01T10:02:00.000Z", by: holder, forced: false } };
    expect(parseJsonAs(remoteLockRecordSchema, JSON.stringify(released))).toEqual({ value: released });
  });

  it("a holder written by hand without an id matches no run; one without a pid is not a holder", () => {
    const { id: _id, ...byHand } = holder;
    expect(lockHolderSchema.parse(byHand)).toEqual({ ...byHand, id: "" });
    const { pid: _pid, ...noPid } = holder;
    expect(lockHolderSchema.safeParse(noPid).success).toBe(false);
  });

  it("a queue ticket names its waiter", () => {
    expect(parseJsonAs(queueTicketSchema, JSON.stringify({ holder }))).toEqual({ value: { holder } });
    expect(parseJsonAs(queueTicketSchema, JSON.stringify({ id: "x", beat: 3 }))).toEqual({ problem: "schema" });
    expect(parseJsonAs(queueTicketSchema, "garbage")).toEqual({ problem: "not JSON" });
  });
});
