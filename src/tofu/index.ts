export * as tofu from "./commands.js";
export { runTofu, checkTofuBinary, AUTOMATION_ENV, type TofuContext, type TofuRunResult } from "./process.js";
export {
  TofuError,
  TofuBinaryError,
  TofuStateLockError,
  TofuStatePushRefusedError,
  tofuFailure,
  StateLockHeldError,
  StateNotPersistedError,
} from "./errors.js";
export { FileSystemError, toFileSystemError, withFileSystemErrors, type FileSystemReason } from "./fs-errors.js";
export { lockOwnerHere, procStartTime, readRunRecords, removeRunRecord, type RunRecord } from "./run-record.js";
export {
  classifyFailure,
  parseRetryAfter,
  TRANSIENT_DESCRIPTIONS,
  type FailureClass,
  type PermanentReason,
  type ProviderReason,
  type TransientReason,
} from "./classify.js";
export {
  parseHumanDiagnostics,
  parseJsonLine,
  parseStateLockInfo,
  parseStatePushRefusal,
  type Diagnostic,
  type StateLockInfo,
  type StatePushRefusal,
  type TofuJsonMessage,
} from "./diagnostics.js";
export { parseOutputsJson, parseValidateJson, parseVersionJson, TofuJsonError } from "./json.js";
export {
  summarizePlanStream,
  summarizeShowJson,
  destructiveChanges,
  actionFromList,
  type PlanSummary,
  type PlannedChange,
  type ChangeAction,
} from "./plan-summary.js";
export type { OutputValue } from "./commands.js";
export {
  ERRORED_STATE,
  listRecoveryFiles,
  pushRecoveredState,
  recoveryDir,
  saveErroredState,
  type RecoveryFile,
  type RecoveryMeta,
} from "./recovery.js";
