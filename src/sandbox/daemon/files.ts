import { rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { DESCRIPTOR_FILE } from "../descriptor.js";

/** What the daemon's command line contains (`evalap-infra sandbox serve …`): how a pid is recognised as one. */
export const DAEMON_MARKS = ["sandbox", "serve"] as const;

/** What a failed start leaves for `sandbox up` in `sandbox.failed.json`. */
export interface StartFailure {
  code: string;
  message: string;
  hint?: string;
  exitCode: number;
}

/** The daemon's files in the sandbox's data folder (beside the emulator's `state.json`). */
export function daemonFiles(dataDir: string) {
  return {
    /** What `sandbox up` waits for; removed when the daemon stops. */
    descriptor: path.join(dataDir, DESCRIPTOR_FILE),
    /** Keys, ids, passphrase and application secrets: generated once, reused on every start. */
    credentials: path.join(dataDir, "credentials.json"),
    /** The daemon's stdout and stderr (no secret is ever written there). */
    log: path.join(dataDir, "sandbox.log"),
    /** Why the last start failed ({code, message, hint, exitCode}), for `sandbox up` to report. */
    failure: path.join(dataDir, "sandbox.failed.json"),
    /** One daemon per data folder: the lock (`sandbox.pid`) of this folder holds the daemon's pid. */
    lockDir: path.join(dataDir, "daemon"),
    /** versitygw's files (`buckets/`, `versions/`) and the pid of the one running. */
    s3Dir: path.join(dataDir, "s3"),
  };
}

/** Written through a temporary file and a rename: a reader never sees half of it. Mode 0600. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
