import type { S3Client } from "@aws-sdk/client-s3";
import { InterruptedError } from "../core/errors.js";
import type { EventSink } from "../events/types.js";
import type { RetryPolicy } from "../retry/backoff.js";
import { RetriesExhaustedError, withRetry, type Transient } from "../retry/retry.js";
import { BackendUnavailableError, PreconditionFailedError, RequestTimeoutError, UnreadableObjectError } from "./errors.js";
import type { ListedObject, ObjectListing, ObjectStore, ObjectStoreConfig, RawObject, StoredObject, WriteResult } from "./types.js";

type S3Module = typeof import("@aws-sdk/client-s3");

interface Sdk {
  s3: S3Module;
  client: S3Client;
  /** The HTTP Date of the answer that produced this SDK output. */
  serverTime(output: object): Date;
}

/** An ObjectStore that can also close its connections (tests, short-lived commands). */
export interface S3ObjectStore extends ObjectStore {
  readonly endpoint: string;
  /** Closes idle connections; the store must not be used afterwards. */
  close(): void;
}

type Condition = { IfNoneMatch: "*" } | { IfMatch: string };

const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_OBJECTSTORE_RETRY: RetryPolicy = { attempts: 5, baseDelayMs: 200, maxDelayMs: 5_000, budgetMs: 30_000 };
const RETRY_STEP = "state bucket";
const SILENT: EventSink = { emit: () => undefined };

/**
 * An ObjectStore over the S3 API. The SDK is imported on first use only: commands that never touch
 * the bucket must not pay for loading it. Every call but checkBucket retries transient failures; what
 * still fails becomes BackendUnavailableError, while the answers that are part of the protocol (a missing
 * key, a refused conditional write) are results or their own errors.
 */
export function createObjectStore(cfg: ObjectStoreConfig): S3ObjectStore {
  const timeoutMs = cfg.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const policy = cfg.retry ?? DEFAULT_OBJECTSTORE_RETRY;
  let sdk: Promise<Sdk> | undefined;
  let closed = false;
  const load = (): Promise<Sdk> => (sdk ??= loadSdk(cfg, timeoutMs));
  const unavailable = (err: unknown, detail = describeFailure(err)): BackendUnavailableError =>
    new BackendUnavailableError(cfg.bucket, cfg.endpoint, detail, err);

  /** One attempt: the request and the reading of its answer, within the per-request deadline. */
  async function attempt<T>(run: (s: Sdk, signal: AbortSignal) => Promise<T>): Promise<T> {
    const s = await load();
    return withDeadline(timeoutMs, (signal) => run(s, signal));
  }

  /** Runs attempts until one succeeds or the failure is permanent or retries run out. */
  async function retrying<T>(fn: () => Promise<T>): Promise<T> {
    if (closed) throw new Error("the object store is closed");
    try {
      return await withRetry(fn, {
        step: RETRY_STEP,
        policy,
        classify: transientFailure,
        events: cfg.events ?? SILENT,
        signal: cfg.signal,
      });
    } catch (err) {
      throw asStoreError(err);
    }
  }

  /** Our own outcomes pass through; anything else the bucket did is "unavailable", with its cause. */
  function asStoreError(err: unknown): unknown {
    if (err instanceof PreconditionFailedError || err instanceof UnreadableObjectError) return err;
    if (err instanceof InterruptedError || err instanceof BackendUnavailableError) return err;
    if (cfg.signal?.aborted && err === cfg.signal.reason) return err;
    if (err instanceof RetriesExhaustedError) {
      return unavailable(
        err,
        `${describeFailure(err.lastError)}, still failing after ${err.attempts} attempt${err.attempts > 1 ? "s" : ""}`,
      );
    }
    return unavailable(err);
  }

  /** The object and its exact bytes (text decoding would hide invalid UTF-8), or null. */
  function readOnce(key: string): Promise<{ object: RawObject; bytes: Uint8Array } | null> {
    return attempt(async ({ s3, client, serverTime }, abortSignal) => {
      try {
        const res = await client.send(new s3.GetObjectCommand({ Bucket: cfg.bucket, Key: key }), { abortSignal });
        const bytes = (await res.Body?.transformToByteArray()) ?? new Uint8Array();
        const object: RawObject = {
          text: Buffer.from(bytes).toString("utf8"),
          etag: required(res.ETag, `GetObject ${key} answered without an ETag`),
          lastModified: required(res.LastModified, `GetObject ${key} answered without a Last-Modified`),
          serverTime: serverTime(res),
        };
        return { object, bytes };
      } catch (err) {
        if (isMissingKey(err)) return null;
        throw err;
      }
    });
  }

  function putOnce(key: string, body: string, condition: Condition | null): Promise<WriteResult> {
    return attempt(async ({ s3, client, serverTime }, abortSignal) => {
      const put = new s3.PutObjectCommand({ Bucket: cfg.bucket, Key: key, Body: body, ContentType: "application/json", ...condition });
      const res = await client.send(put, { abortSignal });
      return { etag: required(res.ETag, `PutObject ${key} answered without an ETag`), serverTime: serverTime(res) };
    });
  }

  /**
   * A conditional write that recognises its own success: when an attempt failed in a way that may
   * have been applied (the answer lost) and a later one is refused, the object is read back.
   */
  async function conditionalPut(key: string, value: unknown, condition: Condition, refused: string): Promise<WriteResult> {
    const body = toJson(key, value);
    let mayHaveLanded = false;
    return retrying(async () => {
      try {
        return await putOnce(key, body, condition);
      } catch (err) {
        if (!isRefusal(err, condition)) {
          if (isTransient(err)) mayHaveLanded = true;
          throw err;
        }
        if (!mayHaveLanded) throw new PreconditionFailedError(key, refused);
        return recogniseOwnWrite(key, body, refused);
      }
    });
  }

  /** After a refused retry: success if the object holds exactly what this call sent. */
  async function recogniseOwnWrite(key: string, body: string, refused: string): Promise<WriteResult> {
    const stored = await readOnce(key);
    if (stored !== null && Buffer.from(body, "utf8").equals(stored.bytes))
      return { etag: stored.object.etag, serverTime: stored.object.serverTime };
    throw new PreconditionFailedError(key, refused);
  }

  async function listPage(
    prefix: string,
    token: string | undefined,
  ): Promise<{ objects: ListedObject[]; next?: string; serverTime: Date }> {
    return retrying(() =>
      attempt(async ({ s3, client, serverTime }, abortSignal) => {
        const list = new s3.ListObjectsV2Command({ Bucket: cfg.bucket, Prefix: prefix, ContinuationToken: token });
        const page = await client.send(list, { abortSignal });
        const objects = (page.Contents ?? []).flatMap((o): ListedObject[] =>
          o.Key === undefined
            ? []
            : [{ key: o.Key, lastModified: required(o.LastModified, `ListObjectsV2 gave ${o.Key} no LastModified`) }],
        );
        return { objects, next: page.IsTruncated ? page.NextContinuationToken : undefined, serverTime: serverTime(page) };
      }),
    );
  }

  const store: S3ObjectStore = {
    bucket: cfg.bucket,
    endpoint: cfg.endpoint,

    async read(key: string): Promise<RawObject | null> {
      return (await retrying(() => readOnce(key)))?.object ?? null;
    },

    async getJson<T = unknown>(key: string): Promise<StoredObject<T> | null> {
      const raw = await store.read(key);
      if (raw === null) return null;
      const { text, ...meta } = raw;
      return { value: parseJson<T>(key, text), ...meta };
    },

    createJson(key: string, value: unknown): Promise<WriteResult> {
      return conditionalPut(key, value, { IfNoneMatch: "*" }, "the key already exists");
    },

    replaceJson(key: string, value: unknown, etag: string): Promise<WriteResult> {
      return conditionalPut(key, value, { IfMatch: etag }, `the object is no longer at ETag ${etag}`);
    },

    putJson(key: string, value: unknown): Promise<WriteResult> {
      const body = toJson(key, value);
      // Unconditional, hence idempotent: a retry after a lost answer writes the same bytes again.
      return retrying(() => putOnce(key, body, null));
    },

    async remove(key: string): Promise<void> {
      await retrying(() =>
        attempt(async ({ s3, client }, abortSignal) => {
          try {
            await client.send(new s3.DeleteObjectCommand({ Bucket: cfg.bucket, Key: key }), { abortSignal });
          } catch (err) {
            // S3 answers 204 for an absent key; some clones answer 404, which is the same outcome.
            if (!isMissingKey(err)) throw err;
          }
        }),
      );
    },

    async list(prefix: string): Promise<string[]> {
      return (await store.listObjects(prefix)).objects.map((o) => o.key);
    },

    async listObjects(prefix: string): Promise<ObjectListing> {
      const objects: ListedObject[] = [];
      let token: string | undefined;
      let serverTime: Date;
      do {
        const page = await listPage(prefix, token);
        objects.push(...page.objects);
        serverTime = page.serverTime;
        token = page.next;
      } while (token);
      objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      return { objects, serverTime };
    },

    async checkBucket(checkTimeoutMs: number): Promise<void> {
      if (closed) throw new Error("the object store is closed");
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
  return store;
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
  const dates = new WeakMap<object, Date>();
  // Outermost in the deserialize step, so `next` returns the parsed output and the raw response together.
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      const date = dateHeader(result.response);
      if (date !== undefined && result.output !== undefined) dates.set(result.output, date);
      return result;
    },
    { step: "deserialize", name: "evalapServerTime", priority: "high" },
  );
  // A server may omit Date when it has no reliable clock (RFC 9110): then only this host's clock is left.
  return { s3, client, serverTime: (output) => dates.get(output) ?? new Date() };
}

/** The HTTP Date header of a raw SDK response, if it has a valid one. */
function dateHeader(response: unknown): Date | undefined {
  if (typeof response !== "object" || response === null || !("headers" in response)) return undefined;
  const headers = response.headers;
  if (typeof headers !== "object" || headers === null || !("date" in headers) || typeof headers.date !== "string") return undefined;
  const date = new Date(headers.date);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function required<T>(value: T | undefined, missing: string): T {
  if (value === undefined) throw new Error(missing);
  return value;
}

function toJson(key: string, value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  if (text === undefined) throw new TypeError(`cannot write ${key}: the value has no JSON form`);
  return text;
}

function parseJson<T>(key: string, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new UnreadableObjectError(key, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
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
  return typeof err === "object" && err !== null ? err : {};
}

export function httpStatus(err: unknown): number | undefined {
  const status = shape(err).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

/** NoSuchKey, or a delete marker on a versioned bucket; a missing bucket is an error. */
function isMissingKey(err: unknown): boolean {
  return httpStatus(err) === 404 && shape(err).name !== "NoSuchBucket";
}

/** The server refused the condition: someone else's write won (or, after a lost answer, maybe ours). */
function isRefusal(err: unknown, condition: Condition): boolean {
  const status = httpStatus(err);
  // 409: AWS's ConditionalRequestConflict, a concurrent conditional write in flight.
  // 404 on If-Match: the object we expected is gone, which is a lost race as well.
  return status === 412 || status === 409 || ("IfMatch" in condition && isMissingKey(err));
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "ECONNABORTED",
]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "RequestTimeoutError", "AbortError"]);

/** The Node error code of a network failure, looking through `cause` chains. */
function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 5; e = shape(e).cause, depth++) {
    const { code, message } = shape(e);
    if (typeof code === "string" && NETWORK_CODES.has(code)) return code;
    if (typeof message === "string" && /socket hang up/i.test(message)) return "socket hang up";
  }
  return undefined;
}

/** What is worth another attempt: the server or the network failed, not the request. */
function transientFailure(err: unknown): Transient | null {
  return isTransient(err) ? { reason: describeFailure(err) } : null;
}

function isTransient(err: unknown): boolean {
  const status = httpStatus(err);
  // 501 NotImplemented (e.g. a conditional header the server does not support) never heals by waiting.
  if (status !== undefined) return (status >= 500 && status !== 501) || status === 429 || shape(err).name === "SlowDown";
  const name = shape(err).name;
  return err instanceof RequestTimeoutError || networkCode(err) !== undefined || (typeof name === "string" && TIMEOUT_NAMES.has(name));
}

/** A cause an operator can act on, without the SDK's noise. */
function describeFailure(err: unknown): string {
  const status = httpStatus(err);
  const { name, message } = shape(err);
  const named = typeof name === "string" && name !== "Error" && !/^\d+$/.test(name) ? ` ${name}` : "";
  if (status === 401 || status === 403)
    return `access denied (HTTP ${status}${named}): the credentials were refused or lack access to the bucket`;
  if (status === 404) return `the bucket does not exist (HTTP 404${named})`;
  if (status === 429 || name === "SlowDown") return `rate limited (HTTP ${status ?? "?"}${named})`;
  if (status !== undefined && status >= 500) return `server error (HTTP ${status}${named})`;
  if (status !== undefined) return `unexpected answer (HTTP ${status}${named})`;
  if (err instanceof RequestTimeoutError) return err.message;
  const code = networkCode(err);
  if (code === "ECONNREFUSED") return "connection refused (ECONNREFUSED)";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host name does not resolve (${code})`;
  if (code !== undefined) return `network error (${code})`;
  if (typeof name === "string" && TIMEOUT_NAMES.has(name))
    return `timed out${typeof message === "string" && message ? ` (${message})` : ""}`;
  return typeof message === "string" && message ? message : String(err);
}
