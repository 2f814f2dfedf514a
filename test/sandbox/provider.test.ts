import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { FIXTURES, tofuIn } from "../helpers/project.js";

/**
 * The real gate: OpenTofu and the real Scaleway provider 2.81.0 apply a root on the sandbox, then
 * plan finds nothing to change, then destroy leaves the sandbox empty.
 */
const TOKEN = "3f0a4c47-0b5e-4a6e-9d36-6f1a9e3b2c11";
const ORG = "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45";
const DEFAULT_PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";

describe("the real provider on the sandbox (scaleway_account_project, scaleway_secret, scaleway_secret_version)", () => {
  let sandbox: Sandbox;
  let work: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-provider-"));
    sandbox = await startSandbox({ dataDir: path.join(work, "data"), token: TOKEN });
    await cp(path.join(FIXTURES, "sandbox-secrets"), path.join(work, "root"), { recursive: true });
    env = {
      SCW_API_URL: sandbox.url,
      SCW_ACCESS_KEY: "SCWSANDBOX0000000000",
      SCW_SECRET_KEY: TOKEN,
      SCW_DEFAULT_ORGANIZATION_ID: ORG,
      SCW_DEFAULT_PROJECT_ID: DEFAULT_PROJECT,
      SCW_DEFAULT_REGION: "fr-par",
      SCW_DEFAULT_ZONE: "fr-par-1",
    };
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const tofu = (args: string[]) => tofuIn(path.join(work, "root"), args, env);
  const counts = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${sandbox.url}/_sandbox/resources`, { headers: { "X-Auth-Token": TOKEN } });
    return ((await res.json()) as { counts: Record<string, number> }).counts;
  };

  it("applies, has no drift, and destroys to nothing", async () => {
    const init = await tofu(["init", "-input=false", "-no-color"]);
    expect(init.exitCode, init.stderr).toBe(0);

    const apply = await tofu(["apply", "-auto-approve", "-input=false", "-no-color"]);
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    const out = await tofu(["output", "-json"]);
    const outputs = JSON.parse(out.stdout) as Record<string, { value: unknown }>;
    expect(outputs.revision?.value).toBe("1"); // the provider types revision as a string
    expect(outputs.read_back_matches?.value).toBe(true);
    expect(outputs.found_project_id?.value).toBe(outputs.project_id?.value);
    expect(await counts()).toMatchObject({ "account.projects": 1, "secret.secrets": 1, "secret.versions": 1 });

    const plan = await tofu(["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);

    const destroy = await tofu(["destroy", "-auto-approve", "-input=false", "-no-color"]);
    expect(destroy.exitCode, destroy.stdout + destroy.stderr).toBe(0);
    const left = Object.entries(await counts()).filter(([, n]) => n > 0);
    expect(left).toEqual([]);
  });
});
