import { cp, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type RequestLogEntry, type Sandbox } from "../../src/sandbox/index.js";
import { FIXTURES, tofuIn } from "../helpers/project.js";

/**
 * The real gate: OpenTofu and the real Scaleway provider 2.81.0 apply a root on the sandbox, change
 * it, find no drift (even after a restart of the sandbox), then destroy leaves only the account's
 * default project.
 */
const TOKEN = "3f0a4c47-0b5e-4a6e-9d36-6f1a9e3b2c11";
const ORG = "1b6c1e64-5b0e-4f93-8a1d-2f6e7c0d9a45";
const DEFAULT_PROJECT = "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43";

describe("the real provider on the sandbox (scaleway_account_project, scaleway_secret, scaleway_secret_version)", () => {
  let sandbox: Sandbox | undefined;
  let work: string;
  let dataDir: string;
  const env: Record<string, string> = {
    SCW_ACCESS_KEY: "SCWSANDBOX0000000000",
    SCW_SECRET_KEY: TOKEN,
    SCW_DEFAULT_ORGANIZATION_ID: ORG,
    SCW_DEFAULT_PROJECT_ID: DEFAULT_PROJECT,
    SCW_DEFAULT_REGION: "fr-par",
    SCW_DEFAULT_ZONE: "fr-par-1",
  };
  const calls: RequestLogEntry[] = [];
  const boot = async () => {
    sandbox = await startSandbox({
      dataDir,
      token: TOKEN,
      account: { organizationId: ORG, defaultProjectId: DEFAULT_PROJECT },
      onRequest: (entry) => calls.push(entry),
    });
    env.SCW_API_URL = sandbox.url;
  };

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-provider-"));
    dataDir = path.join(work, "data");
    await boot();
    await cp(path.join(FIXTURES, "sandbox-secrets"), path.join(work, "root"), { recursive: true });
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const tofu = async (...args: string[]) => {
    const r = await tofuIn(path.join(work, "root"), [...args, "-no-color"], env);
    return { ...r, output: `tofu ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
  };
  const outputs = async (): Promise<Record<string, unknown>> => {
    const r = await tofuIn(path.join(work, "root"), ["output", "-json"], env);
    return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]));
  };
  const counts = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${sandbox?.url}/_sandbox/resources`, { headers: { "X-Auth-Token": TOKEN } });
    return ((await res.json()) as { counts: Record<string, number> }).counts;
  };
  const noDrift = async () => {
    const plan = await tofu("plan", "-detailed-exitcode", "-input=false");
    expect(plan.exitCode, plan.output).toBe(0);
  };

  it("applies, changes, survives a restart without drift, and destroys to nothing", async () => {
    const init = await tofu("init", "-input=false");
    expect(init.exitCode, init.output).toBe(0);

    const apply = await tofu("apply", "-auto-approve", "-input=false");
    expect(apply.exitCode, apply.output).toBe(0);
    const first = await outputs();
    expect(first).toMatchObject({ revision: "1", read_back_matches: true, by_name_matches: true });
    expect(first.found_project_id).toBe(first.project_id);
    expect(first.current_project_id).toBe(DEFAULT_PROJECT);
    expect(await counts()).toMatchObject({ "account.projects": 2, "secret.secrets": 1, "secret.versions": 1 });
    await noDrift();

    // A new value (a new revision, created before the old one goes) and a new description (PATCH).
    const rotated = ["-var", "secret_value=rotated", "-var", "secret_description=rotated"];
    const change = await tofu("apply", "-auto-approve", "-input=false", ...rotated);
    expect(change.exitCode, change.output).toBe(0);
    expect(await outputs()).toMatchObject({ revision: "2", read_back_matches: true, by_name_matches: true });
    expect(await counts()).toMatchObject({ "secret.secrets": 1, "secret.versions": 1 });

    // The state is on disk: a new sandbox on the same folder answers the same.
    await sandbox?.stop();
    await boot();
    const after = await tofu("plan", "-detailed-exitcode", "-input=false", ...rotated);
    expect(after.exitCode, after.output).toBe(0);

    // A protected secret cannot be destroyed (412 from the API) until it is unprotected.
    const protect = await tofu("apply", "-auto-approve", "-input=false", ...rotated, "-var", "secret_protected=true");
    expect(protect.exitCode, protect.output).toBe(0);
    const refused = await tofu("destroy", "-auto-approve", "-input=false", ...rotated, "-var", "secret_protected=true");
    expect(refused.exitCode, refused.output).toBe(1);
    expect(refused.stderr).toMatch(/cannot delete a protected secret/);
    expect(await counts()).toMatchObject({ "secret.secrets": 1 });
    const unprotect = await tofu("apply", "-auto-approve", "-input=false", ...rotated);
    expect(unprotect.exitCode, unprotect.output).toBe(0);

    const destroy = await tofu("destroy", "-auto-approve", "-input=false", ...rotated);
    expect(destroy.exitCode, destroy.output).toBe(0);
    // Only the account's own default project is left, and the secret Scaleway keeps scheduled for
    // deletion, as the recorded traffic shows (tofu destroyed its versions first).
    const left = await counts();
    expect(left["account.projects"]).toBe(1);
    expect(left["secret.scheduled_for_deletion"]).toBe(1);
    expect(left["secret.secrets"] ?? 0).toBe(0);
    expect(left["secret.versions"] ?? 0).toBe(0);

    // Every call the provider made was one the sandbox serves, and none failed on its side.
    const endpoints = [
      ...new Set(calls.map((c) => `${c.method} ${c.url.replace(/[0-9a-f-]{36}/g, "{id}").replace(/\?.*/, "")} ${c.status}`)),
    ];
    console.log(`provider calls: ${calls.length}\n  ${endpoints.sort().join("\n  ")}`);
    expect(calls.filter((c) => c.error === "route" || c.status >= 500)).toEqual([]);
  });
});
