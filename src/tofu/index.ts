export * as tofu from "./commands.js";
export { runTofu, AUTOMATION_ENV, type TofuContext, type TofuRunResult } from "./process.js";
export { TofuError } from "./errors.js";
export { classifyFailure, parseRetryAfter, TRANSIENT_DESCRIPTIONS, type FailureClass, type TransientReason } from "./classify.js";
export { parseHumanDiagnostics, parseJsonLine, parseStateLockInfo, type Diagnostic, type StateLockInfo, type TofuJsonMessage } from "./diagnostics.js";
export { summarizePlanStream, summarizeShowJson, destructiveChanges, actionFromList, type PlanSummary, type PlannedChange, type ChangeAction } from "./plan-summary.js";
export type { OutputValue } from "./commands.js";
