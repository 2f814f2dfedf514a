export { currentHolder, isLockHolder, processIsGone, type LockHolder } from "./holder.js";
export { acquireLocalLock, LockHeldError, readHolder, type LockHandle, type LocalLockOptions } from "./local.js";
