import { execFileSync, spawn } from "node:child_process";
import { chown, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { findPgBinaries } from "../../src/sandbox/postgres/binaries.js";
import { freePort } from "../../src/sandbox/ports.js";

export interface Cluster {
  port: number;
  /** POSTGRES_URL as EvalAP reads it (no database name), for the app user. */
  postgresUrl: string;
  database: string;
  admin(): pg.ClientConfig;
  stop(): Promise<void>;
}

/**
 * A throwaway real PostgreSQL cluster (initdb/pg_ctl; as the postgres user when the tests run as
 * root) with a database owned by an app user, as an RDB instance's database and user are.
 */
export async function startCluster(database = "evalap"): Promise<Cluster> {
  const bin = findPgBinaries();
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-pg-"));
  const asRoot = process.getuid?.() === 0;
  const as = asRoot
    ? { uid: Number(execFileSync("id", ["-u", "postgres"]).toString()), gid: Number(execFileSync("id", ["-g", "postgres"]).toString()) }
    : {};
  if (asRoot) await chown(dir, as.uid ?? 0, as.gid ?? 0);
  const superPassword = "cluster-super-pw";
  const appPassword = "cluster-app-pw";
  const pwfile = path.join(dir, "pw");
  await writeFile(pwfile, superPassword, { mode: 0o600 });
  if (asRoot) await chown(pwfile, as.uid ?? 0, as.gid ?? 0);
  const run = (cmd: string, args: string[]) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(cmd, args, { ...as, stdio: ["ignore", "ignore", "pipe"], cwd: dir });
      let err = "";
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}: ${err}`))));
    });
  const data = path.join(dir, "data");
  await run(bin.initdb, ["-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256", `--pwfile=${pwfile}`]);
  const port = await freePort();
  await run(bin.pgCtl, [
    "-D",
    data,
    "-w",
    "-l",
    path.join(dir, "log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
    "start",
  ]);
  const admin = (): pg.ClientConfig => ({ host: "127.0.0.1", port, user: "postgres", password: superPassword, database });
  const c = new pg.Client({ ...admin(), database: "postgres" });
  await c.connect();
  await c.query(`create role app login password '${appPassword}'`);
  await c.query(`create database ${database} owner app`);
  await c.end();
  return {
    port,
    postgresUrl: `postgresql+psycopg2://app:${appPassword}@127.0.0.1:${port}`,
    database,
    admin,
    stop: async () => {
      await run(bin.pgCtl, ["-D", data, "-w", "-m", "fast", "stop"]).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
