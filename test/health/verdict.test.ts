// What the gate concludes, decided without I/O: the tally of checks, which failures are
// definite, the body checks and the policy read from the config.
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import { bodyProblem } from "../../src/health/body.js";
import { DEFAULT_HEALTH_POLICY, healthPolicy } from "../../src/health/index.js";
import {
  definiteFailuresReason,
  EMPTY_TALLY,
  isDefiniteNetworkError,
  isDefiniteStatus,
  nextTally,
  verdictOf,
  type CheckOutcome,
  type Tally,
} from "../../src/health/verdict.js";

const good: CheckOutcome = { good: true, definite: false };
const e500: CheckOutcome = { good: false, definite: true, problem: "answered 500" };
const refused: CheckOutcome = { good: false, definite: true, problem: "connection refused" };
const timeout: CheckOutcome = { good: false, definite: false, problem: "timeout after 5000ms" };
const policy = { consecutive: 3, failureThreshold: 3, graceMs: 3000 };

/** Feeds checks sent at the given times (ms after the gate started); returns each verdict. */
function run(checks: Array<[CheckOutcome, number]>): { verdicts: string[]; tally: Tally } {
  let tally = EMPTY_TALLY;
  const verdicts: string[] = [];
  for (const [outcome, at] of checks) {
    tally = nextTally(tally, outcome, at, policy);
    verdicts.push(verdictOf(tally, policy));
  }
  return { verdicts, tally };
}

describe("the gate's decision", () => {
  it("N definite failures after the grace: unhealthy, with the reason", () => {
    const { verdicts, tally } = run([
      [e500, 4000],
      [e500, 6000],
      [e500, 8000],
    ]);
    expect(verdicts).toEqual(["checking", "checking", "unhealthy"]);
    expect(definiteFailuresReason(tally)).toBe("3 consecutive definite failures (answered 500)");
  });

  it("failures sent during the grace do not count", () => {
    const { verdicts } = run([
      [e500, 0],
      [e500, 2000],
      [e500, 2999],
      [e500, 3000],
      [e500, 5000],
      [e500, 7000],
    ]);
    expect(verdicts).toEqual(["checking", "checking", "checking", "checking", "checking", "unhealthy"]);
  });

  it("a good answer resets the run; so does a failure that is not definite", () => {
    expect(
      run([
        [e500, 4000],
        [e500, 5000],
        [good, 6000],
        [e500, 7000],
        [e500, 8000],
      ]).verdicts.at(-1),
    ).toBe("checking");
    expect(
      run([
        [e500, 4000],
        [e500, 5000],
        [timeout, 6000],
        [e500, 7000],
        [e500, 8000],
      ]).verdicts.at(-1),
    ).toBe("checking");
  });

  it("names each distinct problem of the run once", () => {
    const { tally } = run([
      [e500, 4000],
      [refused, 5000],
      [e500, 6000],
    ]);
    expect(definiteFailuresReason(tally)).toBe("3 consecutive definite failures (answered 500, connection refused)");
  });

  it("healthy after `consecutive` good answers, grace or not", () => {
    expect(
      run([
        [good, 0],
        [good, 10],
        [good, 20],
      ]).verdicts,
    ).toEqual(["checking", "checking", "healthy"]);
  });

  it("without a threshold only good answers (or the deadline) end the gate", () => {
    let tally = EMPTY_TALLY;
    for (let i = 0; i < 50; i++) tally = nextTally(tally, e500, 10_000 + i, {});
    expect(verdictOf(tally, { consecutive: 3 })).toBe("checking");
  });

  it.each([
    [500, true],
    [502, true],
    [503, true],
    [404, true],
    [401, true],
    [408, false],
    [425, false],
    [429, false],
    [304, false],
  ])("status %i is definite: %s", (status, definite) => {
    expect(isDefiniteStatus(status)).toBe(definite);
  });

  it("only a refused connection is a definite network failure", () => {
    expect(isDefiniteNetworkError("ECONNREFUSED")).toBe(true);
    for (const code of ["ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "UND_ERR_SOCKET", ""])
      expect(isDefiniteNetworkError(code)).toBe(false);
  });
});

describe("body checks", () => {
  const read = (text: string, truncated = false) => ({ bytes: Buffer.byteLength(text), text, truncated });

  it("no expectation: any body is fine", () => {
    expect(bodyProblem(undefined, read("<html>"), "text/html")).toBeUndefined();
    expect(bodyProblem({}, read("<html>"), "text/html")).toBeUndefined();
  });

  it("json: parses, or names the content type and size", () => {
    expect(bodyProblem({ json: true }, read('{"openapi":"3.1.0"}'), "application/json")).toBeUndefined();
    expect(bodyProblem({ json: true }, read("<html></html>"), "text/html; charset=utf-8")).toBe(
      "a body that is not JSON (text/html, 13 bytes)",
    );
    expect(bodyProblem({ json: true }, read("{"), null)).toBe("a body that is not JSON (no content-type, 1 bytes)");
  });

  it("contains: both checks apply", () => {
    expect(bodyProblem({ json: true, contains: '"openapi"' }, read('{"detail":"Not Found"}'), "application/json")).toBe(
      'a body without "\\"openapi\\"" (application/json, 22 bytes)',
    );
    expect(bodyProblem({ json: true, contains: '"openapi"' }, read('{"openapi":"3"}'), "application/json")).toBeUndefined();
  });
});

describe("health policy from the config", () => {
  it("maps every field of the health section, durations in ms", () => {
    const config = parseConfig(
      JSON.stringify({
        environments: { staging: { root: "infra/staging" } },
        health: {
          consecutive: 2,
          interval: "1s",
          timeout: "3s",
          latencyBudget: "1500ms",
          deadline: "2m",
          failureThreshold: 5,
          grace: "10s",
        },
      }),
      "evalap-infra.json",
    );
    expect(healthPolicy(config.health)).toEqual({
      consecutive: 2,
      intervalMs: 1000,
      requestTimeoutMs: 3000,
      latencyBudgetMs: 1500,
      deadlineMs: 120_000,
      failureThreshold: 5,
      graceMs: 10_000,
    });
  });

  it("the defaults come from the schema and keep a failing release's rollback within 10 s of the apply", () => {
    expect(DEFAULT_HEALTH_POLICY).toEqual({
      consecutive: 3,
      intervalMs: 2000,
      requestTimeoutMs: 5000,
      latencyBudgetMs: 2000,
      deadlineMs: 300_000,
      failureThreshold: 3,
      graceMs: 3000,
    });
    // A 500 answers at once: the gate ends with the threshold-th check after the grace (8 s),
    // leaving at least 1 s for the rest (recording the release, starting the rollback).
    const { intervalMs, graceMs, failureThreshold } = DEFAULT_HEALTH_POLICY;
    const firstCounted = Math.ceil((graceMs ?? 0) / intervalMs) * intervalMs;
    expect(firstCounted + ((failureThreshold ?? 1) - 1) * intervalMs).toBeLessThanOrEqual(10_000 - 1000);
  });

  it("refuses a threshold below 1", () => {
    expect(() =>
      parseConfig(
        JSON.stringify({ environments: { staging: { root: "infra/staging" } }, health: { failureThreshold: 0 } }),
        "evalap-infra.json",
      ),
    ).toThrow(/health\.failureThreshold/);
  });
});
