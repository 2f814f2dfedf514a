import pg from "pg";

/**
 * The checks of a restored database, over a real PostgreSQL connection: `alembic_version` present
 * with a row (equal to the expected revision when one is given), and EvalAP's main tables present
 * with their row counts. The table names are EvalAP's SQLAlchemy models (etalab-ia/evalap,
 * evalap/api/models.py: `__tablename__` of Dataset, Model, Experiment, ExperimentSet, Result,
 * ObservationTable, Answer).
 */
export const MAIN_TABLES = ["datasets", "models", "experiments", "experiment_sets", "results", "observation_table", "answers"] as const;

export interface Endpoint {
  host: string;
  port: number;
  /** The instance's certificate (PEM) from RDB's GetInstanceCertificate. */
  caPem: string;
}

export interface Login {
  user: string;
  password: string;
}

export interface RestoreChecks {
  /** alembic_version's revision(s); null when the table is missing, [] when it is empty. */
  alembic: string[] | null;
  /** Row count per main table; null for a missing table. */
  tables: Record<string, number | null>;
}

/**
 * Opens a connection to `database`. TLS is required and the chain is verified against the
 * instance's own certificate; the endpoint is an IP, with no name to match, so the host name check
 * is that pin (only this instance presents a certificate its own CA signed).
 */
export async function connect(endpoint: Endpoint, login: Login, database: string, signal: AbortSignal): Promise<pg.Client> {
  const client = new pg.Client({
    host: endpoint.host,
    port: endpoint.port,
    user: login.user,
    password: login.password,
    database,
    connectionTimeoutMillis: 15_000,
    ssl: { ca: endpoint.caPem, rejectUnauthorized: true, checkServerIdentity: () => undefined },
  });
  const onAbort = () => void client.end().catch(() => undefined);
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await client.connect();
  } catch (err) {
    signal.removeEventListener("abort", onAbort);
    await client.end().catch(() => undefined);
    throw err;
  }
  client.once("end", () => signal.removeEventListener("abort", onAbort));
  return client;
}

export async function checkRestored(client: pg.Client): Promise<RestoreChecks> {
  const present = await client.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = ANY($1::text[])",
    [["alembic_version", ...MAIN_TABLES]],
  );
  const names = new Set(present.rows.map((r) => r.name));
  const alembic = names.has("alembic_version")
    ? (await client.query<{ v: string }>("SELECT version_num AS v FROM public.alembic_version ORDER BY 1")).rows.map((r) => r.v)
    : null;
  const tables: Record<string, number | null> = {};
  for (const t of MAIN_TABLES) {
    // The name comes from MAIN_TABLES (constants), never from input.
    tables[t] = names.has(t)
      ? Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM public."${t}"`)).rows[0]?.n ?? 0)
      : null;
  }
  return { alembic, tables };
}
