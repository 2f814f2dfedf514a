export { proveStateLockHolderDead, isTofuName, type StateLockProof, type ProofOptions } from "./proof.js";
export { heldStateLock, withStateLock } from "./recover.js";
