import { describe, expect, it } from "vitest";
import { condition, evaluate, interpolate, type Contexts } from "../helpers/gha-expressions.js";

/** The harness's evaluator gives what GitHub gives on the expressions our workflows use. */
describe("GitHub Actions expressions (harness)", () => {
  const ctx = (schedule: string | null, operation: string | null): Contexts => ({
    github: { event: schedule === null ? {} : { schedule } },
    inputs: operation === null ? {} : { operation },
    matrix: { environment: "production" },
    vars: { RESTORE_TEST_RUNNER: "" },
    needs: { backup: { result: "skipped" } },
  });
  const tier =
    "((github.event.schedule == '0 3 * * 0' || inputs.operation == 'backup-weekly') && 'weekly') || ((github.event.schedule == '0 4 1 * *' || inputs.operation == 'backup-monthly') && 'monthly') || 'daily'";

  it("&& and || return operands; missing properties are null", () => {
    expect(evaluate(tier, ctx("0 3 * * 0", null))).toBe("weekly");
    expect(evaluate(tier, ctx("0 4 1 * *", null))).toBe("monthly");
    expect(evaluate(tier, ctx("0 2 * * *", null))).toBe("daily");
    expect(evaluate(tier, ctx(null, "backup-monthly"))).toBe("monthly");
    expect(evaluate("(matrix.environment == 'production' && vars.RESTORE_TEST_RUNNER) || 'ubuntu-latest'", ctx(null, null))).toBe(
      "ubuntu-latest",
    );
    expect(evaluate("startsWith(inputs.operation, 'backup-')", ctx(null, "backup-daily"))).toBe(true);
    expect(evaluate("startsWith(inputs.operation, 'backup-')", ctx("0 1 * * *", null))).toBe(false);
  });

  it("if: defaults to success(); always() lifts it; string comparison ignores case", () => {
    const rotate =
      "always() && ((github.event.schedule == '0 4 1 * *' && needs.backup.result == 'success') || inputs.operation == 'rotate')";
    expect(condition(rotate, ctx(null, "rotate"), { ok: true })).toBe(true);
    expect(condition(rotate, ctx("0 4 1 * *", null), { ok: true })).toBe(false);
    expect(condition("inputs.operation == 'ROTATE'", ctx(null, "rotate"), { ok: false })).toBe(false);
    expect(condition("inputs.operation == 'ROTATE'", ctx(null, "rotate"), { ok: true })).toBe(true);
    expect(interpolate("${{ matrix.environment }}-operations", ctx(null, null))).toBe("production-operations");
  });

  it("refuses what it does not know instead of guessing", () => {
    expect(() => evaluate("toJSON(inputs)", ctx(null, null))).toThrow(/unsupported function/);
    expect(() => evaluate("steps.x.outputs.y", ctx(null, null))).toThrow(/unknown context steps/);
  });
});
