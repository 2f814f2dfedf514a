import { describe, expect, it } from "vitest";
import { EventRecorder } from "../../src/events/index.js";
import { InterruptedError } from "../../src/core/errors.js";
import { backoffDelay, RetriesExhaustedError, withRetry, type RetryPolicy } from "../../src/retry/index.js";

const policy: RetryPolicy = { attempts: 5, baseDelayMs: 1000, maxDelayMs: 8000, budgetMs: 600_000 };

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, scaled by the random draw (full jitter)", () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, () => 0.999999))).toEqual([999, 1999, 3999, 7999, 7999, 7999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(2000);
  });
  it("never comes back before Retry-After", () => {
    expect(backoffDelay(1, policy, () => 0.1, 5000)).toBe(5000);
    expect(backoffDelay(4, policy, () => 0.9, 100)).toBe(7200);
  });
});

describe("withRetry", () => {
  const transient = (err: unknown) => (err instanceof Error && err.message.startsWith("429") ? { reason: "rate limited" } : null);

  it("retries transient failures with recorded attempts and delays, then returns", async () => {
    const events = new EventRecorder();
    const slept: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        calls += 1;
        if (calls < 3) throw new Error("429 Too Many Requests");
        return "done";
      },
      { step: "plan", policy, classify: transient, events, random: () => 0.5, sleep: async (ms) => void slept.push(ms) },
    );
    expect(value).toBe("done");
    expect(slept).toEqual([500, 1000]);
    expect(events.ofType("retry.scheduled").map((e) => [e.attempt, e.delayMs, e.reason])).toEqual([
      [1, 500, "rate limited"],
      [2, 1000, "rate limited"],
    ]);
  });

  it("fails at once on a permanent error", async () => {
    let calls = 0;
    const err = new Error("invalid argument");
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw err;
        },
        { step: "plan", policy, classify: transient, events: new EventRecorder(), sleep: async () => {} },
      ),
    ).rejects.toBe(err);
    expect(calls).toBe(1);
  });

  it("stops after the configured attempts with RetriesExhaustedError", async () => {
    let calls = 0;
    const p = withRetry(
      async () => {
        calls += 1;
        throw new Error("429");
      },
      { step: "apply", policy, classify: transient, events: new EventRecorder(), sleep: async () => {} },
    );
    await expect(p).rejects.toBeInstanceOf(RetriesExhaustedError);
    expect(calls).toBe(5);
  });

  it("stops when the next wait would pass the time budget", async () => {
    let now = 0;
    let calls = 0;
    const p = withRetry(
      async () => {
        calls += 1;
        now += 4000;
        throw new Error("429");
      },
      {
        step: "apply",
        policy: { ...policy, budgetMs: 10_000 },
        classify: transient,
        events: new EventRecorder(),
        random: () => 0.999,
        now: () => now,
        sleep: async (ms) => void (now += ms),
      },
    );
    await expect(p).rejects.toThrow(/retry budget/);
    expect(calls).toBe(2);
  });

  it("an interruption is never retried", async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls += 1;
          throw new InterruptedError("SIGINT");
        },
        { step: "apply", policy, classify: () => ({ reason: "anything" }), events: new EventRecorder(), sleep: async () => {} },
      ),
    ).rejects.toBeInstanceOf(InterruptedError);
    expect(calls).toBe(1);
  });
});
