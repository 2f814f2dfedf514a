import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import path from "node:path";

/** The PostgreSQL server programs the sandbox runs (initdb, pg_ctl, postgres) and the client ones it uses (pg_dump, pg_restore). */
export interface PgBinaries {
  dir: string;
  initdb: string;
  pgCtl: string;
  pgDump: string;
  pgRestore: string;
}

const NEEDED = ["initdb", "pg_ctl", "postgres", "pg_dump", "pg_restore"] as const;

const hasAll = (dir: string): boolean => NEEDED.every((b) => existsSync(path.join(dir, b)));

/**
 * Finds the folder holding the server binaries: `EVALAP_PG_BIN`, then `pg_config --bindir`, then the
 * newest `/usr/lib/postgresql/<v>/bin` (Debian keeps initdb/pg_ctl there, off PATH), then PATH.
 */
export function findPgBinaries(env: NodeJS.ProcessEnv = process.env): PgBinaries {
  const candidates: string[] = [];
  if (env.EVALAP_PG_BIN) {
    if (!hasAll(env.EVALAP_PG_BIN)) {
      throw new Error(`EVALAP_PG_BIN=${env.EVALAP_PG_BIN} lacks one of ${NEEDED.join(", ")}`);
    }
    candidates.push(env.EVALAP_PG_BIN);
  }
  try {
    candidates.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
  } catch {
    // No pg_config: the other places below.
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, "bin")));
  }
  candidates.push(...(env.PATH ?? "").split(path.delimiter).filter(Boolean));
  const dir = candidates.find(hasAll);
  if (!dir) {
    throw new Error(
      "the sandbox's RDB instances run a real PostgreSQL server, and its programs (initdb, pg_ctl, postgres, pg_dump, pg_restore) " +
        "were not found (EVALAP_PG_BIN, pg_config --bindir, /usr/lib/postgresql/<v>/bin, PATH): install them with " +
        "`apt-get install postgresql-15` (or run scripts/system-deps.sh), or set EVALAP_PG_BIN to their folder",
    );
  }
  return {
    dir,
    initdb: path.join(dir, "initdb"),
    pgCtl: path.join(dir, "pg_ctl"),
    pgDump: path.join(dir, "pg_dump"),
    pgRestore: path.join(dir, "pg_restore"),
  };
}
