export { createObjectStore, type S3ObjectStore } from "./s3.js";
export { BackendUnavailableError, PreconditionFailedError, RequestTimeoutError } from "./errors.js";
export type { ObjectStore, ObjectStoreConfig, StoredObject } from "./types.js";
