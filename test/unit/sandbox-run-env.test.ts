import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../src/config/schema.js";
import type { SandboxDescriptor } from "../../src/sandbox/descriptor.js";
import { sandboxRunEnv } from "../../src/sandbox/environment.js";

const descriptor: SandboxDescriptor = {
  format: 1,
  pid: 1,
  startedAt: "2026-12-01T00:00:00Z",
  dataDir: "/tmp/sandbox",
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
    secretKey: "s3-secret",
    stateBucket: "evalap-tfstate-staging",
  },
  statePassphrase: "a-passphrase-of-32-characters-xx",
  appSecrets: { ADMIN_TOKEN: "admin-token-value-1" },
  images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:sandbox-1" },
  environmentProject: { id: "e1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", name: "evalap-sandbox" },
};

/**
 * A second environment on the sandbox (production in its own project) sets project_id... in its
 * config `vars`: the sandbox's TF_VAR_ defaults for them must not reach tofu, whose apply of the
 * saved plan would see two values ("Mismatch between input and plan variable value").
 */
describe("the sandbox's environment for a run", () => {
  it("leaves out the TF_VAR_ defaults of the variables the environment's vars set, and keeps the rest", () => {
    const production = environmentSchema.parse({
      root: "infra/production",
      sandbox: true,
      vars: { project_id: "0a1b2c3d-0000-4000-8000-000000000001", project_name: "evalap-production" },
    });
    const env = sandboxRunEnv(production, descriptor);
    expect(env.TF_VAR_project_id).toBeUndefined();
    expect(env.TF_VAR_project_name).toBeUndefined();
    expect(env.TF_VAR_registry_project_id).toBe(descriptor.scaleway.projectId);
    expect(env.TF_VAR_state_passphrase).toBe(descriptor.statePassphrase);
    expect(env.SCW_SECRET_KEY).toBe(descriptor.scaleway.secretKey);
  });

  it("an environment without vars gets every default", () => {
    const env = sandboxRunEnv(environmentSchema.parse({ root: "infra/staging", sandbox: true }), descriptor);
    expect(env.TF_VAR_project_id).toBe(descriptor.environmentProject.id);
    expect(env.TF_VAR_project_name).toBe("evalap-sandbox");
  });
});
