/**
 * Data shapes shared across modules (events, locks, reports, the ledger). They live here, with no
 * imports, so that a module naming one does not depend on the module that produces it.
 */

/** Who holds a deployment lock: enough for a waiting operator to know whom to ask. */
export interface LockHolder {
  id: string;
  user: string;
  host: string;
  pid: number;
  command: string;
  startedAt: string;
}
