import { execFile, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { freePort } from "../ports.js";
import { findPgBinaries, type PgBinaries } from "./binaries.js";

/** The cluster's bootstrap superuser, named as Scaleway's (databases it creates are owned by `_rdb_superadmin`). */
export const SUPERUSER = "_rdb_superadmin";

interface RunAs {
  uid: number;
  gid: number;
}

/**
 * initdb and postgres refuse to run as root, and this machine and CI run as root: then the server
 * programs run as the `postgres` system user (the Debian package makes it), and the cluster's folder
 * belongs to it. Under another user they run as that user.
 */
function serverUser(): RunAs | undefined {
  if (process.geteuid?.() !== 0) return undefined;
  try {
    const id = (flag: string) =>
      Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error(
      "the sandbox runs as root, and PostgreSQL refuses to run as root: it runs the server as the `postgres` system user, " +
        "which does not exist here (`apt-get install postgresql-15` creates it)",
    );
  }
}

function run(file: string, args: string[], opts: { as?: RunAs; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      args,
      {
        encoding: "utf8",
        timeout: opts.timeoutMs ?? 120_000,
        maxBuffer: 16 * 1024 * 1024,
        // C locale: initdb must not depend on the machine's locales; HOME for the postgres user.
        env: { ...process.env, LC_ALL: "C", LANG: "C", ...(opts.as ? { HOME: "/tmp" } : {}) },
        ...(opts.as ? { uid: opts.as.uid, gid: opts.as.gid } : {}),
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`${path.basename(file)} failed: ${(stderr || stdout || err.message).trim().slice(0, 2000)}`));
        else resolve(stdout);
      },
    );
  });
}

/**
 * One real PostgreSQL cluster in `dir` (data in `dir/data`, its unix socket in `dir`), listening on
 * 127.0.0.1:`port` with password (SCRAM) logins, and on its socket for the bootstrap superuser only.
 */
export class PgCluster {
  private readonly bin: PgBinaries;
  private readonly as: RunAs | undefined;
  /** Started by this process: later calls skip the `pg_ctl status` check. */
  private up = false;

  constructor(
    readonly dir: string,
    public port: number,
  ) {
    this.bin = findPgBinaries();
    this.as = serverUser();
  }

  get dataDir(): string {
    return path.join(this.dir, "data");
  }

  /**
   * Where the unix socket lives: the cluster's folder, unless its path would pass the kernel's limit
   * for socket paths (107 bytes): then a short folder in the system's temporary one.
   */
  get socketDir(): string {
    if (path.join(this.dir, ".s.PGSQL.65535").length <= 100) return this.dir;
    return path.join(os.tmpdir(), `evalap-pg-${createHash("sha256").update(this.dir).digest("hex").slice(0, 12)}`);
  }

  private async own(p: string, mode: number): Promise<void> {
    await chmod(p, mode);
    if (this.as) await chown(p, this.as.uid, this.as.gid);
  }

  /** initdb (no fsync: a sandbox's data is disposable), TLS certificate, configuration; not started. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    // The server's user must be able to walk down to its folder: parents get o+x (traverse only, no listing).
    if (this.as) {
      for (let p = path.dirname(this.dir); p !== path.dirname(p); p = path.dirname(p)) {
        const { mode } = await stat(p);
        if ((mode & 0o001) === 0) await chmod(p, (mode & 0o7777) | 0o001);
      }
    }
    await this.own(this.dir, 0o700);
    await run(
      this.bin.initdb,
      [
        "-D",
        this.dataDir,
        "-U",
        SUPERUSER,
        "--auth-local=trust",
        "--auth-host=scram-sha-256",
        "-E",
        "UTF8",
        "--locale=C",
        "--no-sync",
        "--no-instructions",
      ],
      { as: this.as },
    );
    // The certificate the RDB API's /certificate answers; the server offers TLS with it.
    await run(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        path.join(this.dataDir, "server.key"),
        "-out",
        path.join(this.dataDir, "server.crt"),
        "-days",
        "3650",
        "-subj",
        "/CN=127.0.0.1",
      ],
      { as: this.as },
    );
    await chmod(path.join(this.dataDir, "server.key"), 0o600);
    // The socket trusts the bootstrap superuser only (the folder is the server user's, mode 0700); every
    // other login, on the socket or TCP, needs its password.
    await writeFile(
      path.join(this.dataDir, "pg_hba.conf"),
      [
        `local all ${SUPERUSER} trust`,
        "local all all scram-sha-256",
        "host all all 127.0.0.1/32 scram-sha-256",
        "host all all ::1/128 scram-sha-256",
        "",
      ].join("\n"),
    );
    const conf = path.join(this.dataDir, "postgresql.conf");
    await writeFile(conf, `${await readFile(conf, "utf8")}\ninclude 'sandbox.conf'\n`);
    await this.writeConf();
    if (this.as) {
      await chown(path.join(this.dataDir, "pg_hba.conf"), this.as.uid, this.as.gid);
    }
  }

  /** The sandbox's settings: the port, the socket, small memory and no fsync so that many clusters start fast. */
  private async writeConf(): Promise<void> {
    const file = path.join(this.dataDir, "sandbox.conf");
    await writeFile(
      file,
      [
        "listen_addresses = '127.0.0.1'",
        `port = ${this.port}`,
        `unix_socket_directories = '${this.socketDir}'`,
        "fsync = off",
        "synchronous_commit = off",
        "full_page_writes = off",
        "shared_buffers = 16MB",
        "max_wal_size = 64MB",
        "ssl = on",
        "password_encryption = 'scram-sha-256'",
        // Statements are never written to the server's log: CREATE/ALTER ROLE carry passwords.
        "log_min_error_statement = panic",
        "",
      ].join("\n"),
    );
    if (this.as) await chown(file, this.as.uid, this.as.gid);
  }

  async isRunning(): Promise<boolean> {
    if (!existsSync(path.join(this.dataDir, "postmaster.pid"))) return false;
    try {
      await run(this.bin.pgCtl, ["status", "-D", this.dataDir], { as: this.as });
      return true;
    } catch {
      return false;
    }
  }

  /** Starts the server (waits until it accepts connections); a port taken since is replaced by a free one. */
  async start(): Promise<void> {
    if (this.up) return;
    if (await this.isRunning()) {
      this.up = true;
      return;
    }
    const sock = this.socketDir;
    if (sock !== this.dir) {
      await mkdir(sock, { recursive: true });
      await this.own(sock, 0o700);
    }
    // A port is free when asked, then another process may take it before postgres binds it: a new one then.
    for (let attempt = 1; ; attempt++) {
      if (!(await portFree(this.port))) {
        this.port = await freePort();
        await this.writeConf();
      }
      try {
        await run(this.bin.pgCtl, ["start", "-D", this.dataDir, "-w", "-t", "120", "-s", "-l", path.join(this.dir, "postgres.log")], {
          as: this.as,
          timeoutMs: 150_000,
        });
        break;
      } catch (err) {
        const log = await readFile(path.join(this.dir, "postgres.log"), "utf8").catch(() => "");
        if (attempt >= 3 || !/could not bind|Address already in use/.test(log.slice(-2000))) {
          // Only the server's own complaints: never a statement (CREATE ROLE carries a password).
          const why = log
            .split("\n")
            .filter((l) => /FATAL|PANIC|could not/.test(l) && !/STATEMENT|PASSWORD/i.test(l))
            .slice(-5);
          throw new Error([(err as Error).message, ...why].join("\n"), { cause: err });
        }
      }
    }
    this.up = true;
  }

  /** Fast shutdown (clients disconnected, no wait for them). */
  async stop(): Promise<void> {
    this.up = false;
    if (await this.isRunning()) {
      await run(this.bin.pgCtl, ["stop", "-D", this.dataDir, "-m", "fast", "-w", "-t", "120", "-s"], { as: this.as, timeoutMs: 150_000 });
    }
    // A short socket folder in the temporary one is made again by start: none is left behind.
    if (this.socketDir !== this.dir) await rm(this.socketDir, { recursive: true, force: true });
  }

  async remove(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Runs statements in order as the bootstrap superuser, over the unix socket, in `database`. */
  async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(database: string, statements: string[]): Promise<R[]> {
    const client = new pg.Client({ host: this.socketDir, port: this.port, user: SUPERUSER, database });
    await client.connect();
    try {
      let rows: R[] = [];
      for (const s of statements) rows = (await client.query<R>(s)).rows;
      return rows;
    } finally {
      await client.end();
    }
  }

  /** A custom-format dump of `database` (what pg_restore reads). */
  async dump(database: string, file: string): Promise<void> {
    await run(this.bin.pgDump, ["-Fc", "-h", this.socketDir, "-p", String(this.port), "-U", SUPERUSER, "-d", database, "-f", file]);
  }

  /**
   * Restores a dump into `database` (which exists), replacing the objects it holds. `foreign`: the dump
   * comes from another cluster, whose roles may not exist here, so owners and grants are left out.
   */
  async restore(database: string, file: string, foreign: boolean): Promise<void> {
    const args = ["-h", this.socketDir, "-p", String(this.port), "-U", SUPERUSER, "-d", database, "--clean", "--if-exists"];
    if (foreign) args.push("--no-owner", "--no-acl");
    await run(this.bin.pgRestore, [...args, file]);
  }

  async certificate(): Promise<Buffer> {
    return readFile(path.join(this.dataDir, "server.crt"));
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

export const ident = (name: string): string => pg.escapeIdentifier(name);
export const literal = (value: string): string => pg.escapeLiteral(value);
