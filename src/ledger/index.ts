export {
  formatReleaseId,
  Ledger,
  LedgerUnreadableError,
  LedgerUpdateConflictError,
  ReleaseNotFoundError,
  resolveReleaseId,
  type AuditAppendResult,
  type LedgerOptions,
  type SettleResult,
} from "./ledger.js";
export { OutcomeJournal, type JournalEntry, type JournalRecord } from "./journal.js";
export { auditEntrySchema, releaseRecordSchema, releaseSetSchema, releaseStatusSchema } from "./schema.js";
export type { AuditEntry, NewAuditEntry, NewRelease, ReleaseInputs, ReleaseRecord, ReleaseSet, ReleaseStatus } from "./types.js";
