import type { SandboxDescriptor } from "../../src/sandbox/descriptor.js";

/** A sandbox descriptor with fixed keys (no sandbox runs): what a command reads from a running one. */
export const sandboxDescriptor = (dataDir: string, pid = process.pid): SandboxDescriptor => ({
  format: 1,
  pid,
  startedAt: new Date().toISOString(),
  dataDir,
  apiUrl: "http://127.0.0.1:40001",
  scaleway: {
    accessKey: "SCWSANDBOX0000000000",
    secretKey: "3f0a4c47-0b5e-4a6e-9d36-6f1a9e3b2c11",
    organizationId: "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45",
    projectId: "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43",
    region: "fr-par",
    zone: "fr-par-1",
  },
  s3: {
    endpoint: "http://127.0.0.1:40002",
    region: "fr-par",
    accessKey: "sandboxroot",
    secretKey: "s3-secret-value-42",
    stateBucket: "evalap-tfstate-staging",
  },
  statePassphrase: "a-passphrase-of-32-characters-xx",
  appSecrets: { ADMIN_TOKEN: "admin-token-value-1" },
  images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:sandbox-1" },
  environmentProject: { id: "e1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", name: "evalap-sandbox" },
});
