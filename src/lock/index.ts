export { currentHolder, isLockHolder, processIsGone, type LockHolder } from "./holder.js";
export { acquireLocalLock, LockHeldError, localHolderFile, readHolder, type LockHandle, type LocalLockOptions } from "./local.js";
export {
  acquireRemoteLock,
  forceReleaseRemoteLock,
  isRemoteLockRecord,
  MalformedLockError,
  readRemoteLock,
  type RemoteLockHandle,
  type RemoteLockOptions,
  type RemoteLockRead,
  type RemoteLockRecord,
  type RemoteLockState,
} from "./remote.js";
