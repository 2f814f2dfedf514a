import type { EventSink } from "../../src/events/types.js";
import { createObjectStore, type S3ObjectStore } from "../../src/objectstore/index.js";
import type { RetryPolicy } from "../../src/retry/backoff.js";
import type { S3Server } from "../support/s3-server.js";

/** Retries that keep tests fast: a few attempts, waits of tens of milliseconds. */
export const FAST_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 50, budgetMs: 10_000 };

export interface StoreOptions {
  endpoint?: string;
  bucket?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  requestTimeoutMs?: number;
  retry?: RetryPolicy;
  events?: EventSink;
  signal?: AbortSignal;
}

/** A store on the test server (or on a proxy in front of it with `endpoint`). */
export function storeFor(s3: S3Server, o: StoreOptions = {}): S3ObjectStore {
  return createObjectStore({
    bucket: o.bucket ?? s3.bucket,
    endpoint: o.endpoint ?? s3.endpoint,
    region: s3.region,
    accessKeyId: o.accessKeyId ?? s3.accessKey,
    secretAccessKey: o.secretAccessKey ?? s3.secretKey,
    requestTimeoutMs: o.requestTimeoutMs ?? 5000,
    retry: o.retry ?? FAST_RETRY,
    ...(o.events ? { events: o.events } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
  });
}

export { rejection } from "../helpers/rejection.js";

/** Asserts `d` is within `ms` of `ref` (clocks here have 1 s resolution: bounds stay generous). */
export function near(d: Date, ref: Date | number, ms = 5000): boolean {
  return Math.abs(d.getTime() - (typeof ref === "number" ? ref : ref.getTime())) <= ms;
}
