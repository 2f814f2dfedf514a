export { currentHolder, processIsGone, type LockHolder } from "./holder.js";
export { lockHolderSchema, queueTicketSchema, remoteLockRecordSchema } from "./schema.js";
export { acquireLocalLock, LockHeldError, localHolderFile, readHolder, type LockHandle, type LocalLockOptions } from "./local.js";
export { CLOCK_RESOLUTION_MS, isPastLease } from "./queue.js";
export {
  acquireRemoteLock,
  forceReleaseRemoteLock,
  LeaseLostError,
  readRemoteLock,
  type BucketTimes,
  type ForcedRelease,
  type LeaseLoss,
  type MalformedLockRead,
  type RemoteLockHandle,
  type RemoteLockOptions,
  type RemoteLockRead,
  type RemoteLockRecord,
  type RemoteLockRecordRead,
  type RemoteLockState,
  type Scheduler,
} from "./remote.js";
