import type { CostEstimate } from "../cost/estimate.js";
import type { Diagnostic } from "../tofu/diagnostics.js";
import type { PlanSummary } from "../tofu/plan-summary.js";
import type { LockHolder } from "../core/types.js";

/** Version of the NDJSON event contract; bumped on any incompatible change. */
export const EVENT_SCHEMA_VERSION = 1;

export type StepOutcome = "ok" | "skipped" | "failed";

export interface ErrorInfo {
  code: string;
  message: string;
  hint?: string;
  /** The file the error is about (absolute), and where in it when known (1-based): a config error. */
  file?: string;
  line?: number;
  column?: number;
}

/** Everything the core reports. Reporters render these; core code never prints. */
export type EvalapEvent =
  | { type: "run.started"; command: string; environment?: string; version: string }
  | { type: "step.started"; step: string; detail?: string }
  | { type: "step.finished"; step: string; outcome: StepOutcome; durationMs: number; detail?: string }
  | {
      type: "retry.scheduled";
      step: string;
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      reason: string;
      message: string;
    }
  | {
      type: "lock.waiting";
      environment: string;
      scope: LockScope;
      holder: LockHolder | null;
      waitedMs: number;
      timeoutMs: number;
      /** Place in the line of runs waiting for the remote lock (1 = next); absent for the local lock. */
      position?: number;
    }
  | { type: "lock.acquired"; environment: string; scope: LockScope }
  | { type: "lock.recovered"; environment: string; scope: LockScope; previousHolder: LockHolder | null; reason: string }
  | { type: "lock.released"; environment: string; scope: LockScope }
  | {
      type: "plan.summary";
      environment: string;
      /** With `diff`, each change carries its `attributes` (bounded; sensitive values masked). */
      summary: PlanSummary;
      /** True when the attribute-level changes were read (tofu show -json: `plan --diff`, or a terminal). */
      diff: boolean;
    }
  /** The environment's monthly cost before and after the plan, and the change's delta (plan, cost). */
  | { type: "cost.estimate"; environment: string; cost: CostEstimate }
  | { type: "guard.checked"; environment: string; allowed: boolean; confirmation: "not-needed" | "flag" | "prompt"; reasons: string[] }
  | { type: "resource.progress"; address: string; action: string; phase: "start" | "complete" | "error"; elapsedSeconds?: number }
  /** tofu's diagnostic, its `file` made absolute (resolved from where tofu ran), with its 1-based line and column when it gave them. */
  | ({ type: "diagnostic" } & Diagnostic)
  | { type: "outputs"; environment: string; outputs: Record<string, OutputView> }
  | { type: "health.check"; service: string; attempt: number; ok: boolean; status?: number; latencyMs: number; error?: string }
  | { type: "health.service"; service: string; url: string; healthy: boolean; attempts: number; durationMs: number; reason?: string }
  | { type: "release.recorded"; environment: string; releaseId: string; status: string; kind: string }
  | { type: "log"; level: "info" | "warn" | "debug"; message: string }
  | { type: "data"; kind: string; data: unknown }
  | {
      type: "result";
      command: string;
      ok: boolean;
      exitCode: number;
      durationMs: number;
      error?: ErrorInfo;
      summary?: string;
      /** plan and cost: the estimate of the cost.estimate event, for a job summary reading only the result. */
      cost?: CostEstimate;
    };

/** local: this machine; remote: the lease in the state bucket; state: tofu's own state lock. */
export type LockScope = "local" | "remote" | "state";

/** An output as it may be shown: sensitive values never leave the core. */
export interface OutputView {
  sensitive: boolean;
  /** Absent for sensitive outputs. */
  value?: unknown;
}

export type EventType = EvalapEvent["type"];

export interface EventSink {
  emit(event: EvalapEvent): void;
}
