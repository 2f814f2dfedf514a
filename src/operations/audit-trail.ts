import { InterruptedError } from "../core/errors.js";
import { GuardRefusedError } from "../guard/guard.js";
import type { AuditEntry } from "../ledger/types.js";
import type { LockHolder } from "../lock/holder.js";
import type { RunContext } from "./context.js";
import { audit, type EnvironmentRemote } from "./remote.js";

/** What an operation's result says in its audit entry; who, when and which operation are added by `audited`. */
export type AuditOf = Pick<AuditEntry, "outcome" | "releaseId" | "detail">;

/** Where the entry goes and whose it is. */
export interface AuditTarget {
  environment: string;
  remote: EnvironmentRemote | null;
  holder: LockHolder;
}

/**
 * Runs one operation and writes its one audit entry: from its result when it returns (`entryOf`),
 * from the error when it throws (the error is rethrown as is). The only place where an operation's
 * outcome becomes an audit entry; `audit` itself never fails the operation.
 */
export async function audited<T>(
  ctx: RunContext,
  target: AuditTarget,
  operation: string,
  fn: () => Promise<T>,
  entryOf: (result: T) => AuditOf,
): Promise<T> {
  const { environment, remote, holder } = target;
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    await audit(ctx, remote, holder, { environment, operation, outcome: outcomeOfError(err), detail });
    throw err;
  }
  await audit(ctx, remote, holder, { environment, operation, ...definedOnly(entryOf(result)) });
  return result;
}

/** The audit outcome of an operation stopped by `err`. */
export function outcomeOfError(err: unknown): AuditEntry["outcome"] {
  if (err instanceof InterruptedError) return "interrupted";
  if (err instanceof GuardRefusedError) return "refused";
  return "failed";
}

/** An absent field stays absent in the entry (and the journal), not `undefined`. */
function definedOnly(entry: AuditOf): AuditOf {
  return {
    outcome: entry.outcome,
    ...(entry.releaseId !== undefined ? { releaseId: entry.releaseId } : {}),
    ...(entry.detail !== undefined ? { detail: entry.detail } : {}),
  };
}
