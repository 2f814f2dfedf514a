import { open, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { processIsGone } from "../lock/holder.js";

/** The file that holds a data folder's owner pid. */
export const DATA_LOCK_FILE = "sandbox.pid";

/**
 * One sandbox per data folder: two would overwrite each other's state. The folder holds the owner's
 * pid; a pid that is no longer running (a crash) does not hold it. Returns the release function.
 */
export async function lockDataDir(dir: string): Promise<() => Promise<void>> {
  const file = path.join(dir, DATA_LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    const handle = await open(file, "wx", 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "EEXIST") return undefined;
      throw err;
    });
    if (handle) {
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(file, { force: true });
    }
    const pid = Number((await readFile(file, "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 0 && !processIsGone(pid)) {
      throw new Error(`the sandbox data folder ${dir} is in use by process ${pid}; stop that sandbox or choose another folder`);
    }
    await rm(file, { force: true }); // left by a sandbox that is gone
  }
  throw new Error(`could not lock the sandbox data folder ${dir}`);
}
