import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** The sandbox's whole state: collections of records by id, as stored in `<dataDir>/state.json`. */
interface StateFile {
  format: 1;
  collections: Record<string, Record<string, unknown>>;
}

const FILE = "state.json";

/**
 * In-memory collections, written to disk after each change. A write goes to a temporary file then
 * is renamed over the old one, so a crash leaves either the old or the new state, never half of one.
 * Writes are chained so that two concurrent requests never interleave theirs.
 */
export class Store {
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    private readonly dir: string,
    private readonly state: StateFile,
  ) {}

  static async open(dir: string): Promise<Store> {
    await mkdir(dir, { recursive: true });
    let state: StateFile = { format: 1, collections: {} };
    try {
      const parsed = JSON.parse(await readFile(path.join(dir, FILE), "utf8")) as StateFile;
      if (parsed.format !== 1 || typeof parsed.collections !== "object") {
        throw new Error(`${path.join(dir, FILE)} is not a sandbox state file (format 1); remove it or choose another data folder`);
      }
      state = parsed;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return new Store(dir, state);
  }

  collection<T>(name: string): Collection<T> {
    const records = (this.state.collections[name] ??= {}) as Record<string, T>;
    return new Collection<T>(records);
  }

  /** Counts of records per collection (for tests and `sandbox status`). */
  counts(): Record<string, number> {
    return Object.fromEntries(Object.entries(this.state.collections).map(([k, v]) => [k, Object.keys(v).length]));
  }

  /** Persists the current state; resolves once it is on disk. */
  flush(): Promise<void> {
    const snapshot = JSON.stringify(this.state);
    const target = path.join(this.dir, FILE);
    const write = this.writes.then(async () => {
      const tmp = `${target}.${process.pid}.tmp`;
      // Secret versions' data is in there: readable by its owner only.
      await writeFile(tmp, snapshot, { mode: 0o600 });
      await rename(tmp, target);
    });
    // A failed write must not block the next ones; the caller of this flush still sees the error.
    this.writes = write.catch(() => undefined);
    return write;
  }
}

export class Collection<T> {
  constructor(private readonly records: Record<string, T>) {}

  get(id: string): T | undefined {
    return this.records[id];
  }

  put(id: string, record: T): T {
    this.records[id] = record;
    return record;
  }

  delete(id: string): boolean {
    const had = id in this.records;
    delete this.records[id];
    return had;
  }

  all(): T[] {
    return Object.values(this.records);
  }
}
