import { execFileSync } from "node:child_process";
import { accessSync, constants, readdirSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { EvalapError } from "../../core/errors.js";
import { ExitCode } from "../../core/exit-codes.js";
import { toolchainDir } from "../../toolchain/resolve.js";

const PG_TOOLS = ["initdb", "pg_ctl"] as const;
const PG_HINT =
  "install the PostgreSQL server (Debian/Ubuntu: `apt-get install postgresql-15`), or set EVALAP_PG_BINDIR to the folder holding initdb and pg_ctl";

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const hasTools = (dir: string): boolean => PG_TOOLS.every((tool) => executable(path.join(dir, tool)));

/** Candidate folders, best first: `pg_config --bindir`, Debian's versioned folders (newest first), PATH. */
function postgresCandidates(env: NodeJS.ProcessEnv): string[] {
  const dirs: string[] = [];
  try {
    dirs.push(execFileSync("pg_config", ["--bindir"], { encoding: "utf8", env, stdio: ["ignore", "pipe", "ignore"] }).trim());
  } catch {
    // no pg_config (the client package alone has one; the server may still be installed)
  }
  try {
    const versions = readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    dirs.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
  } catch {
    // not a Debian layout
  }
  dirs.push(...(env.PATH ?? "").split(path.delimiter).filter(Boolean));
  return dirs;
}

/**
 * The folder holding PostgreSQL's server binaries (initdb, pg_ctl), which the sandbox runs for RDB:
 * `$EVALAP_PG_BINDIR` when set (and then only it), else the first folder of the candidates that has both.
 */
export function findPostgresBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const forced = env.EVALAP_PG_BINDIR;
  if (forced) {
    if (hasTools(forced)) return forced;
    throw new EvalapError("sandbox_postgres_missing", `PostgreSQL's initdb and pg_ctl are not in EVALAP_PG_BINDIR=${forced}`, {
      exitCode: ExitCode.Prerequisite,
      hint: PG_HINT,
    });
  }
  const found = postgresCandidates(env).find(hasTools);
  if (found) return found;
  throw new EvalapError(
    "sandbox_postgres_missing",
    "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: the sandbox runs real databases",
    {
      exitCode: ExitCode.Prerequisite,
      hint: PG_HINT,
    },
  );
}

/** The versitygw S3 server: `$EVALAP_S3_SERVER_BIN`, else the toolchain cache's (built by scripts/s3-server.sh). */
export function findVersitygw(env: NodeJS.ProcessEnv = process.env): string {
  const bin = env.EVALAP_S3_SERVER_BIN || path.join(toolchainDir(env), "bin", "versitygw");
  if (executable(bin)) return bin;
  throw new EvalapError("sandbox_s3_missing", `the S3 server versitygw is not at ${bin}: the sandbox keeps the state bucket in it`, {
    exitCode: ExitCode.Prerequisite,
    hint: env.EVALAP_S3_SERVER_BIN
      ? "fix EVALAP_S3_SERVER_BIN, or unset it and run `bash scripts/s3-server.sh` in the evalap-infra checkout"
      : "build it once with `bash scripts/s3-server.sh` in the evalap-infra checkout (a minute; it goes to the toolchain cache)",
  });
}

/** Whether 127.0.0.1:`port` can be listened on now. */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EADDRINUSE" || err.code === "EACCES") resolve(false);
      else reject(err);
    });
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export function portInUse(port: number): EvalapError {
  return new EvalapError("sandbox_port_in_use", `port ${port} of 127.0.0.1 is taken by another process`, {
    exitCode: ExitCode.PortInUse,
    hint: `choose another with --port, or leave --port out to take a free one (\`ss -ltnp 'sport = :${port}'\` shows who holds it)`,
  });
}
