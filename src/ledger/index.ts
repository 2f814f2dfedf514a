export { Ledger, LedgerUpdateConflictError, newReleaseId, type LedgerOptions } from "./ledger.js";
export type { AuditEntry, ReleaseInputs, ReleaseRecord, ReleaseStatus } from "./types.js";
