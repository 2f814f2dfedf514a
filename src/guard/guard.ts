import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { destructiveChanges, type PlanSummary } from "../tofu/plan-summary.js";

export interface GuardInput {
  environment: string;
  protection: "standard" | "protected";
  summary: PlanSummary;
  statefulTypes: readonly string[];
  /** Addresses named with --allow-destroy. */
  allowDestroy: readonly string[];
  /** --yes was given. */
  yes: boolean;
  /** Asks the operator; null when there is no terminal to ask on. */
  confirm: ((question: string) => Promise<boolean>) | null;
}

export interface GuardDecision {
  allowed: boolean;
  confirmation: "not-needed" | "flag" | "prompt";
  reasons: string[];
}

export class GuardRefusedError extends EvalapError {
  readonly reasons: string[];
  constructor(message: string, hint: string, reasons: string[]) {
    super("guard_refused", message, { exitCode: ExitCode.GuardRefused, hint });
    this.name = "GuardRefusedError";
    this.reasons = reasons;
  }
}

/**
 * Decides whether a saved plan may be applied. Two rules, in this order:
 * 1. deleting or replacing a stateful resource needs --allow-destroy <address>, even with --yes
 *    (--yes confirms a deploy; it does not consent to data loss);
 * 2. a protected environment needs --yes or an interactive "yes"; with no terminal, it refuses.
 * Throws GuardRefusedError when the plan may not be applied.
 */
export async function checkPlan(input: GuardInput): Promise<GuardDecision> {
  const destructive = destructiveChanges(input.summary).filter((c) => input.statefulTypes.includes(c.type));
  const blocked = destructive.filter((c) => !input.allowDestroy.includes(c.address));
  if (blocked.length > 0) {
    const reasons = blocked.map(
      (c) => `${c.action === "replace" ? "replaces" : "deletes"} stateful ${c.address}${c.reason ? ` (${c.reason})` : ""}`,
    );
    throw new GuardRefusedError(
      `the plan for ${input.environment} ${reasons.join(", ")}; refusing to apply it`,
      `if this data loss is intended, run again with ${blocked.map((c) => `--allow-destroy ${c.address}`).join(" ")}`,
      reasons,
    );
  }
  if (!input.summary.hasChanges || input.protection !== "protected") {
    return { allowed: true, confirmation: "not-needed", reasons: [] };
  }
  if (input.yes) return { allowed: true, confirmation: "flag", reasons: [] };
  if (input.confirm === null) {
    const reason = `${input.environment} is protected and this shell is not interactive`;
    throw new GuardRefusedError(`${reason}: refusing to apply without --yes`, "run again with --yes to confirm the plan shown above", [
      reason,
    ]);
  }
  const accepted = await input.confirm(`Apply this plan to ${input.environment}?`);
  if (!accepted) {
    const reason = "the operator declined the plan";
    throw new GuardRefusedError(`${reason}; nothing was applied`, "review the plan and run again when ready", [reason]);
  }
  return { allowed: true, confirmation: "prompt", reasons: [] };
}
