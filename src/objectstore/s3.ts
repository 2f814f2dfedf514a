import type { S3Client } from "@aws-sdk/client-s3";
import { BackendUnavailableError, PreconditionFailedError, RequestTimeoutError } from "./errors.js";
import type { ObjectStore, ObjectStoreConfig, StoredObject } from "./types.js";

type S3Module = typeof import("@aws-sdk/client-s3");

interface Sdk {
  s3: S3Module;
  client: S3Client;
}

/** An ObjectStore that can also close its connections (tests, short-lived commands). */
export interface S3ObjectStore extends ObjectStore {
  readonly endpoint: string;
  /** Closes idle connections; the store must not be used afterwards. */
  close(): void;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * An ObjectStore over the S3 API. The SDK is imported on first use only: commands that never touch
 * the bucket must not pay for loading it.
 */
export function createObjectStore(cfg: ObjectStoreConfig): S3ObjectStore {
  const timeoutMs = cfg.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  let sdk: Promise<Sdk> | undefined;
  let closed = false;
  const load = (): Promise<Sdk> => (sdk ??= loadSdk(cfg, timeoutMs));
  const unavailable = (err: unknown): BackendUnavailableError => new BackendUnavailableError(cfg.bucket, cfg.endpoint, describeFailure(err), err);

  /** One request with its deadline; network-level failures become BackendUnavailableError. */
  async function send<T>(run: (s: Sdk, signal: AbortSignal) => Promise<T>, ms = timeoutMs): Promise<T> {
    if (closed) throw new Error("the object store is closed");
    const s = await load();
    try {
      return await withDeadline(ms, (signal) => run(s, signal));
    } catch (err) {
      throw isUnavailable(err) ? unavailable(err) : err;
    }
  }

  return {
    bucket: cfg.bucket,
    endpoint: cfg.endpoint,

    async getJson<T>(key: string): Promise<StoredObject<T> | null> {
      try {
        return await send(async ({ s3, client }, abortSignal) => {
          const res = await client.send(new s3.GetObjectCommand({ Bucket: cfg.bucket, Key: key }), { abortSignal });
          const text = (await res.Body?.transformToString("utf8")) ?? "";
          if (!res.ETag) throw new Error(`GetObject ${key} answered without an ETag`);
          return { value: JSON.parse(text) as T, etag: res.ETag };
        });
      } catch (err) {
        // NoSuchKey, or a delete marker on a versioned bucket; a missing bucket is an error.
        if (httpStatus(err) === 404 && shape(err).name !== "NoSuchBucket") return null;
        throw err;
      }
    },

    async createJson(key: string, value: unknown): Promise<{ etag: string }> {
      return put(key, value, { IfNoneMatch: "*" }, "the key already exists");
    },

    async replaceJson(key: string, value: unknown, etag: string): Promise<{ etag: string }> {
      return put(key, value, { IfMatch: etag }, `the object is no longer at ETag ${etag}`);
    },

    async remove(key: string): Promise<void> {
      await send(({ s3, client }, abortSignal) => client.send(new s3.DeleteObjectCommand({ Bucket: cfg.bucket, Key: key }), { abortSignal }));
    },

    async list(prefix: string): Promise<string[]> {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await send(({ s3, client }, abortSignal) =>
          client.send(new s3.ListObjectsV2Command({ Bucket: cfg.bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal }),
        );
        for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },

    async checkBucket(checkTimeoutMs: number): Promise<void> {
      try {
        // Loading the SDK counts against the deadline too: the caller asked for an answer within it.
        await withDeadline(checkTimeoutMs, async (abortSignal) => {
          const { s3, client } = await load();
          await client.send(new s3.HeadBucketCommand({ Bucket: cfg.bucket }), { abortSignal });
        });
      } catch (err) {
        // Any answer but success means the bucket is unusable: 403 (credentials), 404 (no bucket)...
        throw unavailable(err);
      }
    },

    close(): void {
      closed = true;
      void sdk?.then(({ client }) => client.destroy()).catch(() => undefined);
    },
  };

  async function put(key: string, value: unknown, condition: { IfNoneMatch: string } | { IfMatch: string }, refused: string): Promise<{ etag: string }> {
    try {
      return await send(async ({ s3, client }, abortSignal) => {
        const res = await client.send(
          new s3.PutObjectCommand({ Bucket: cfg.bucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: "application/json", ...condition }),
          { abortSignal },
        );
        if (!res.ETag) throw new Error(`PutObject ${key} answered without an ETag`);
        return { etag: res.ETag };
      });
    } catch (err) {
      const status = httpStatus(err);
      // 409: AWS's ConditionalRequestConflict, a concurrent conditional write in flight.
      // 404 on If-Match: the object we expected is gone, which is a lost race as well.
      const gone = status === 404 && "IfMatch" in condition && shape(err).name !== "NoSuchBucket";
      if (status === 412 || status === 409 || gone) throw new PreconditionFailedError(key, refused);
      throw err;
    }
  }
}

async function loadSdk(cfg: ObjectStoreConfig, timeoutMs: number): Promise<Sdk> {
  const s3 = await import("@aws-sdk/client-s3");
  const client = new s3.S3Client({
    endpoint: cfg.endpoint,
    region: cfg.region,
    forcePathStyle: true,
    credentials: { accessKeyId: cfg.accessKeyId, secretAccessKey: cfg.secretAccessKey },
    // Our retry layer decides; an SDK retry of a conditional write would blur who won.
    maxAttempts: 1,
    // S3 clones reject the CRC trailers the SDK sends by default.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: timeoutMs, requestTimeout: timeoutMs },
  });
  return { s3, client };
}

/** Runs `run` with a signal aborted after `ms`, and rejects at `ms` even if `run` ignores it. */
async function withDeadline<T>(ms: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new RequestTimeoutError(ms);
      ctl.abort(err);
      reject(err);
    }, ms);
  });
  try {
    return await Promise.race([run(ctl.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

interface ErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  cause?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shape(err: unknown): ErrorShape {
  return typeof err === "object" && err !== null ? (err as ErrorShape) : {};
}

export function httpStatus(err: unknown): number | undefined {
  const status = shape(err).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ECONNABORTED"]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "RequestTimeoutError", "AbortError"]);

/** The Node error code of a network failure, looking through `cause` chains. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = shape(e).cause, depth++) {
    const code = shape(e).code;
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
  }
  return undefined;
}

/** Failures that say nothing about the object: the backend itself is unusable right now. */
function isUnavailable(err: unknown): boolean {
  if (err instanceof BackendUnavailableError) return false;
  const status = httpStatus(err);
  if (status !== undefined) return status >= 500 || status === 401 || status === 403;
  const name = shape(err).name;
  return networkCode(err) !== undefined || (typeof name === "string" && TIMEOUT_NAMES.has(name));
}

/** A cause an operator can act on, without the SDK's noise. */
function describeFailure(err: unknown): string {
  const status = httpStatus(err);
  const { name, message } = shape(err);
  const named = typeof name === "string" && name !== "Error" && !/^\d+$/.test(name) ? ` ${name}` : "";
  if (status === 401 || status === 403) return `access denied (HTTP ${status}${named}): the credentials were refused or lack access to the bucket`;
  if (status === 404) return `the bucket does not exist (HTTP 404${named})`;
  if (status !== undefined && status >= 500) return `server error (HTTP ${status}${named})`;
  if (status !== undefined) return `unexpected answer (HTTP ${status}${named})`;
  if (err instanceof RequestTimeoutError) return err.message;
  const code = networkCode(err);
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host name does not resolve (${code})`;
  if (code !== undefined) return `network error (${code})`;
  if (typeof name === "string" && TIMEOUT_NAMES.has(name)) return `timed out${typeof message === "string" && message ? ` (${message})` : ""}`;
  return typeof message === "string" && message ? message : String(err);
}
