import { cp } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "../helpers/project.js";
import { PROJECT, providerHarness } from "./provider-harness.js";

/**
 * The real gate: OpenTofu and the real Scaleway provider 2.81.0 apply a root on the sandbox, change
 * it, find no drift (even after a restart of the sandbox), then destroy leaves only the account's
 * default project.
 */
describe("the real provider on the sandbox (scaleway_account_project, scaleway_secret, scaleway_secret_version)", () => {
  const h = providerHarness({ prefix: "evalap-sandbox-provider-" });
  const root = h.root();
  const { tofu, outputs, noDrift } = root;
  const counts = () => h.counts();

  beforeAll(async () => {
    await h.start();
    await cp(path.join(FIXTURES, "sandbox-secrets"), root.dir, { recursive: true });
  });

  afterAll(() => h.cleanup());

  it("applies, changes, survives a restart without drift, and destroys to nothing", async () => {
    const init = await tofu("init", "-input=false");
    expect(init.exitCode, init.output).toBe(0);

    const apply = await tofu("apply", "-auto-approve", "-input=false");
    expect(apply.exitCode, apply.output).toBe(0);
    const first = await outputs();
    expect(first).toMatchObject({ revision: "1", read_back_matches: true, by_name_matches: true });
    expect(first.found_project_id).toBe(first.project_id);
    expect(first.current_project_id).toBe(PROJECT);
    expect(await counts()).toMatchObject({ "account.projects": 2, "secret.secrets": 1, "secret.versions": 1 });
    await noDrift();

    // A new value (a new revision, created before the old one goes) and a new description (PATCH).
    const rotated = ["-var", "secret_value=rotated", "-var", "secret_description=rotated"];
    const change = await tofu("apply", "-auto-approve", "-input=false", ...rotated);
    expect(change.exitCode, change.output).toBe(0);
    expect(await outputs()).toMatchObject({ revision: "2", read_back_matches: true, by_name_matches: true });
    expect(await counts()).toMatchObject({ "secret.secrets": 1, "secret.versions": 1 });

    // The state is on disk: a new sandbox on the same folder answers the same.
    await h.restart();
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
    h.expectAllServed();
  });
});
