/**
 * The Object Storage (S3 API) operations the tool needs for coordination: the remote lock, the
 * release ledger and the audit trail live in the environment's state bucket, next to the state.
 * Everything that must not lose an update is a conditional write.
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
}

export interface StoredObject<T> {
  value: T;
  etag: string;
}

export interface ObjectStore {
  readonly bucket: string;
  /** The object parsed as JSON with its ETag, or null when there is none. */
  getJson<T>(key: string): Promise<StoredObject<T> | null>;
  /** Creates the object only if the key is free (If-None-Match: *); PreconditionFailedError otherwise. */
  createJson(key: string, value: unknown): Promise<{ etag: string }>;
  /** Replaces the object only if its ETag is still `etag` (If-Match); PreconditionFailedError otherwise. */
  replaceJson(key: string, value: unknown, etag: string): Promise<{ etag: string }>;
  /**
   * Deletes the object. Only for keys that are never written again (queue tickets): on a
   * versioned bucket a delete leaves a marker that may still block If-None-Match on that key.
   */
  remove(key: string): Promise<void>;
  /** Every key under the prefix (all pages), in lexical order. */
  list(prefix: string): Promise<string[]>;
  /** Checks the bucket answers within timeoutMs (HeadBucket); BackendUnavailableError otherwise. */
  checkBucket(timeoutMs: number): Promise<void>;
}
