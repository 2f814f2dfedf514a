import { execFileSync } from "node:child_process";
import os from "node:os";

/**
 * PostgreSQL servers whose data folder is under `dir`, by pid (the postmaster runs as
 * `postgres -D <dir>/rdb/<id>/data`), run as the `postgres` user when the sandbox runs as root, else
 * as us. Other tests' servers on the machine are not counted.
 */
export function postgresPidsUnder(dir: string): number[] {
  const user = process.geteuid?.() === 0 ? "postgres" : os.userInfo().username;
  let out: string;
  try {
    out = execFileSync("pgrep", ["-a", "-u", user, "-x", "postgres"], { encoding: "utf8" });
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
  return out
    .split("\n")
    .filter((line) => line.includes(` ${dir}/`))
    .map((line) => Number(line.split(" ")[0]));
}
