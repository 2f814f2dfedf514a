import pg from "pg";

/** Connects as a client of an instance would, runs the statements in order, and answers the last one's rows. */
export async function runSql(config: pg.ClientConfig, sql: string[]): Promise<pg.QueryResultRow[]> {
  const client = new pg.Client(config);
  await client.connect();
  try {
    let rows: pg.QueryResultRow[] = [];
    for (const s of sql) rows = (await client.query(s)).rows;
    return rows;
  } finally {
    await client.end();
  }
}
