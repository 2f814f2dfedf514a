import { describe, expect, it } from "vitest";
import { environmentSchema } from "../../src/config/schema.js";
import { sandboxRunEnv } from "../../src/sandbox/environment.js";
import { sandboxDescriptor } from "../helpers/sandbox-descriptor.js";

const descriptor = sandboxDescriptor("/tmp/sandbox");

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
