export { createObjectStore, type S3ObjectStore } from "./s3.js";
export { BackendUnavailableError, PreconditionFailedError, RequestTimeoutError, UnreadableObjectError } from "./errors.js";
export type { ListedObject, ObjectListing, ObjectStore, ObjectStoreConfig, RawObject, StoredObject, WriteResult } from "./types.js";
