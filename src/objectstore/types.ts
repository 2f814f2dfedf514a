import type { EventSink } from "../events/types.js";
import type { RetryPolicy } from "../retry/backoff.js";

/**
 * The Object Storage (S3 API) operations the tool needs for coordination: the remote lock, the
 * release ledger and the audit trail live in the environment's state bucket, next to the state.
 *
 * Invariants every implementation keeps (docs/ and README "Locks and faults"):
 * - Everything that must not lose an update is a conditional write.
 * - Every call retries transient failures (5xx, 429/SlowDown, network errors, timeouts) with the
 *   same backoff as tofu steps; permanent ones (401, 403, a missing bucket) fail at once.
 * - A retried conditional write recognises its own earlier success: when an attempt's answer was
 *   lost and the retry is refused, the object is read back, and if it holds exactly the bytes
 *   this call sent, the write succeeded.
 * - Times that decide anything (lease expiry, queue order) are the bucket's: `lastModified` of an
 *   object and `serverTime` (the HTTP Date of the answer), never this host's clock.
 */
export interface ObjectStoreConfig {
  bucket: string;
  /** e.g. https://s3.fr-par.scw.cloud, or http://127.0.0.1:PORT in tests (path-style). */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Timeout of one request (default 10 s). */
  requestTimeoutMs?: number;
  /** Retries of transient failures (default: 5 attempts, 200 ms to 5 s, 30 s budget). */
  retry?: RetryPolicy;
  /** Where retries are reported (retry.scheduled, step "state bucket"). */
  events?: EventSink;
  /** Stops waiting between retries (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

/** An object as stored: its raw text (parse it yourself: it may not be what you expect). */
export interface RawObject {
  text: string;
  etag: string;
  /** When the object was last written, on the bucket's clock (S3 Last-Modified, 1 s resolution). */
  lastModified: Date;
  /**
   * The bucket's clock when it answered (HTTP Date, 1 s resolution). Servers may cache it: versitygw's
   * lags by up to a second, so it can read a second before the `lastModified` of an object written
   * just before. Compare the two with a second or two of slack.
   */
  serverTime: Date;
}

export interface StoredObject<T> {
  value: T;
  etag: string;
  lastModified: Date;
  serverTime: Date;
}

export interface WriteResult {
  etag: string;
  /** The bucket's clock when it accepted the write (HTTP Date). */
  serverTime: Date;
}

export interface ListedObject {
  key: string;
  lastModified: Date;
}

export interface ObjectListing {
  /** In lexical key order. */
  objects: ListedObject[];
  /** The bucket's clock when it answered the last page. */
  serverTime: Date;
}

export interface ObjectStore {
  readonly bucket: string;
  /** The object's text, ETag and times, or null when there is none. Never parses. */
  read(key: string): Promise<RawObject | null>;
  /** The object parsed as JSON, or null when there is none; UnreadableObjectError when it is not JSON. */
  getJson<T = unknown>(key: string): Promise<StoredObject<T> | null>;
  /** Creates the object only if the key is free (If-None-Match: *); PreconditionFailedError otherwise. */
  createJson(key: string, value: unknown): Promise<WriteResult>;
  /** Replaces the object only if its ETag is still `etag` (If-Match); PreconditionFailedError otherwise. */
  replaceJson(key: string, value: unknown, etag: string): Promise<WriteResult>;
  /** Writes the object whatever is there: only for an operator's forced overwrite (lock release --force). */
  putJson(key: string, value: unknown): Promise<WriteResult>;
  /**
   * Deletes the object (absent is fine). Only for keys that are never written again (queue tickets): on a
   * versioned bucket a delete leaves a marker that may still block If-None-Match on that key.
   */
  remove(key: string): Promise<void>;
  /** Every key under the prefix (all pages), in lexical order. */
  list(prefix: string): Promise<string[]>;
  /** Every object under the prefix with its Last-Modified, and the bucket's clock. */
  listObjects(prefix: string): Promise<ObjectListing>;
  /** Checks the bucket answers within timeoutMs (HeadBucket), once, no retry; BackendUnavailableError otherwise. */
  checkBucket(timeoutMs: number): Promise<void>;
}
