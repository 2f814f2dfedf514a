import { freePort } from "../../src/sandbox/ports.js";
import type { NewRelease } from "../../src/ledger/index.js";
import { createObjectStore, type S3ObjectStore } from "../../src/objectstore/index.js";
import type { RetryPolicy } from "../../src/retry/index.js";
import type { S3Server } from "../support/s3-server.js";

// One definition of "the rejection of a promise that must reject", shared with the store tests.
export { rejection } from "../objectstore/helpers.js";

/** Fast retries: a test of a failure must not wait the production backoff. */
export const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 2_000 };
/** One attempt: an unreachable bucket fails at once. */
export const ONE_ATTEMPT: RetryPolicy = { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, budgetMs: 1_000 };

/** A store on the server (or on `endpoint`, e.g. a port where nothing listens). */
export function storeFor(s3: S3Server, opts: { retry?: RetryPolicy; endpoint?: string } = {}): S3ObjectStore {
  return createObjectStore({
    bucket: s3.bucket,
    endpoint: opts.endpoint ?? s3.endpoint,
    region: s3.region,
    accessKeyId: s3.accessKey,
    secretAccessKey: s3.secretKey,
    requestTimeoutMs: 5_000,
    retry: opts.retry ?? FAST_RETRY,
  });
}

/** A port of 127.0.0.1 where nothing listens (it was free a moment ago). */
export const unusedPort = (): Promise<number> => freePort();

export function fields(overrides: Partial<NewRelease> = {}): NewRelease {
  return {
    environment: "staging",
    kind: "deploy",
    actor: "alice",
    host: "laptop",
    runId: "run-1",
    gitRevision: "abc123",
    configHash: "sha256:0",
    inputs: { vars: { images: { evalap: "rg/ns/evalap:1" } } },
    images: { evalap: "rg/ns/evalap:1" },
    status: "pending",
    ...overrides,
  };
}
