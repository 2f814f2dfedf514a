export { secretOutputs, secretRef, type SecretOutputs, type SecretRef } from "./outputs.js";
export { readSecret, secretsAtPath, secretsApiError, type SecretMetadata } from "./read.js";
export { isDue, secretStatus, type SecretStatus, type SecretUse, type StatusInput, type VersionInfo } from "./status.js";
export { formatAge, formatMaxAge, secretsTable } from "./table.js";
