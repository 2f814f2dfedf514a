import { afterAll, beforeAll } from "vitest";
import { EventRecorder } from "../../src/events/index.js";
import type { LockHolder, RemoteLockOptions, Scheduler } from "../../src/lock/index.js";
import { createObjectStore, type ObjectStoreConfig, type S3ObjectStore } from "../../src/objectstore/index.js";
import { ensureS3ServerBinary, startS3Server, type S3Server } from "../support/s3-server.js";

/** What the remote lock tests share: a real S3 server (versitygw), stores on it, fresh keys, options. */
export interface LockFixture {
  readonly s3: S3Server;
  /** A new store on the server (or on `endpoint`), closed after the suite. */
  store(extra?: Partial<ObjectStoreConfig>): S3ObjectStore;
  /** A lock key no other test uses. */
  key(): string;
  options(key: string, who: LockHolder, extra?: Partial<RemoteLockOptions>): RemoteLockOptions & { events: EventRecorder };
}

let counter = 0;
export function holder(user: string): LockHolder {
  counter++;
  return {
    id: `id-${user}-${counter}`,
    user,
    host: `host-${user}`,
    pid: 1000 + counter,
    command: "deploy staging",
    startedAt: new Date().toISOString(),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A heartbeat scheduler that never fires: the holder behaves as a process stopped since it acquired. */
export const stalled: Scheduler = () => () => undefined;

/** Starts a server for the suite (versioned or not) and closes everything after it. */
export function lockFixture(versioning: boolean): LockFixture {
  let server: S3Server | undefined;
  const stores: S3ObjectStore[] = [];
  let keyN = 0;
  const bucket = versioning ? "state-versioned" : "state-plain";

  beforeAll(async () => {
    ensureS3ServerBinary();
    server = await startS3Server({ bucket, versioning });
  }, 600_000);
  afterAll(async () => {
    for (const s of stores) s.close();
    await server?.stop();
  });

  const fixture: LockFixture = {
    get s3(): S3Server {
      if (!server) throw new Error("the S3 server is not started yet");
      return server;
    },
    store(extra = {}) {
      const s3 = fixture.s3;
      const credentials = { accessKeyId: s3.accessKey, secretAccessKey: s3.secretKey };
      const store = createObjectStore({
        bucket: s3.bucket,
        endpoint: s3.endpoint,
        region: s3.region,
        ...credentials,
        requestTimeoutMs: 5000,
        ...extra,
      });
      stores.push(store);
      return store;
    },
    key: () => `evalap-infra/env${++keyN}/lock.json`,
    options: (key, who, extra = {}) => ({
      store: fixture.store(),
      key,
      environment: "staging",
      holder: who,
      leaseMs: 3000,
      timeoutMs: 10_000,
      pollMs: 50,
      ...extra,
      events: new EventRecorder(),
    }),
  };
  return fixture;
}
