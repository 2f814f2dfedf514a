import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type RequestLogEntry, type Sandbox } from "../../src/sandbox/index.js";
import { FIXTURES, REPO, tofuIn } from "../helpers/project.js";

/**
 * The real gate for the VPC, IPAM and IAM emulation: OpenTofu and the real Scaleway provider 2.81.0
 * apply the VPC and IAM resources infra/ uses, change them, find no drift (also after a restart of
 * the sandbox), destroy to nothing; then infra/modules/network and infra/modules/secret-manager
 * (which needs only IAM, Secret Manager and Account) are applied and destroyed as they are.
 */
const TOKEN = "5d1e7b2a-3c4f-4a6b-8e9d-0f1a2b3c4d5e";
const ORG = "2c7d2f75-6c1f-4a04-9b2e-3f7d8e1a0b56";
const DEFAULT_PROJECT = "8e3a9d4b-7f52-4cab-81d6-af9e8a7b6c54";

describe("the real provider on the sandbox (scaleway_vpc, scaleway_vpc_private_network, scaleway_iam_application, scaleway_iam_policy)", () => {
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
    work = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-net-"));
    dataDir = path.join(work, "data");
    await boot();
  });

  afterAll(async () => {
    await sandbox?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const tofu = async (root: string, ...args: string[]) => {
    const r = await tofuIn(path.join(work, root), [...args, "-no-color"], env);
    return { ...r, output: `tofu ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
  };
  const ok = async (root: string, ...args: string[]) => {
    const r = await tofu(root, ...args);
    expect(r.exitCode, r.output).toBe(0);
    return r;
  };
  const outputs = async (root: string): Promise<Record<string, unknown>> => {
    const r = await tofuIn(path.join(work, root), ["output", "-json"], env);
    return Object.fromEntries(Object.entries(JSON.parse(r.stdout) as Record<string, { value: unknown }>).map(([k, v]) => [k, v.value]));
  };
  const counts = async (): Promise<Record<string, number>> => {
    const res = await fetch(`${sandbox?.url}/_sandbox/resources`, { headers: { "X-Auth-Token": TOKEN } });
    return ((await res.json()) as { counts: Record<string, number> }).counts;
  };
  const noDrift = async (root: string, ...vars: string[]) => {
    const plan = await tofu(root, "plan", "-detailed-exitcode", "-input=false", ...vars);
    expect(plan.exitCode, plan.output).toBe(0);
  };
  const left = async (...collections: string[]) => {
    const c = await counts();
    return Object.fromEntries(collections.map((name) => [name, c[name] ?? 0]));
  };

  it("applies, changes, survives a restart without drift, and destroys to nothing", async () => {
    await cp(path.join(FIXTURES, "sandbox-net"), path.join(work, "root"), { recursive: true });
    await ok("root", "init", "-input=false");
    await ok("root", "apply", "-auto-approve", "-input=false");
    const first = await outputs("root");
    expect(first.ipv4_subnet).toBe("172.16.8.0/22");
    // The network with no subnet asked got a free /22 of 172.16.0.0/12 that is not the other one.
    expect(first.auto_ipv4_subnet).toMatch(/^172\.(1[6-9]|2\d|3[01])\.\d+\.0\/22$/);
    expect(first.auto_ipv4_subnet).not.toBe("172.16.8.0/22");
    expect(first.read_back_pn).toEqual({ name: "evalap-sandbox-pn", subnet: "172.16.8.0/22", tags: ["evalap", "sandbox"] });
    expect(first.read_back_vpc_id).toBe(first.vpc_id);
    expect(await left("vpc.vpcs", "vpc.private_networks", "iam.applications", "iam.policies")).toEqual({
      "vpc.vpcs": 1,
      "vpc.private_networks": 2,
      "iam.applications": 1,
      "iam.policies": 1,
    });
    await noDrift("root");

    // New tags (VPC, network, application, policy: PATCHes), a renamed network, other permission sets (SetRules).
    const changed = [
      "-var",
      'tags=["evalap","changed"]',
      "-var",
      "pn_name=evalap-sandbox-renamed",
      "-var",
      'permission_sets=["SecretManagerReadOnly"]',
    ];
    await ok("root", "apply", "-auto-approve", "-input=false", ...changed);
    await noDrift("root", ...changed);
    const rules = await fetch(`${sandbox?.url}/iam/v1alpha1/rules?policy_id=${String((await outputs("root")).policy_id)}`, {
      headers: { "X-Auth-Token": TOKEN },
    });
    const ruleBody = (await rules.json()) as { rules: { permission_set_names: string[]; project_ids: string[] }[] };
    expect(ruleBody.rules).toEqual([
      expect.objectContaining({ permission_set_names: ["SecretManagerReadOnly"], project_ids: [DEFAULT_PROJECT] }),
    ]);

    // The state is on disk: a new sandbox on the same folder answers the same.
    await sandbox?.stop();
    await boot();
    await noDrift("root", ...changed);

    await ok("root", "destroy", "-auto-approve", "-input=false", ...changed);
    expect(await left("vpc.vpcs", "vpc.private_networks", "iam.applications", "iam.policies", "iam.api_keys", "ipam.ips")).toEqual({
      "vpc.vpcs": 0,
      "vpc.private_networks": 0,
      "iam.applications": 0,
      "iam.policies": 0,
      "iam.api_keys": 0,
      "ipam.ips": 0,
    });
  });

  it("applies infra/modules/network and infra/modules/secret-manager as they are, then destroys them", async () => {
    const root = path.join(work, "modules");
    await mkdir(root, { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "network"), path.join(root, "network"), { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "secret-manager"), path.join(root, "secret-manager"), { recursive: true });
    // The modules' own test folders (tofu test with mocks) are not part of an apply.
    await rm(path.join(root, "network", "tests"), { recursive: true, force: true });
    await rm(path.join(root, "secret-manager", "tests"), { recursive: true, force: true });
    await writeFile(
      path.join(root, "main.tf"),
      `terraform {
  required_providers {
    scaleway = {
      source  = "scaleway/scaleway"
      version = "2.81.0"
    }
  }
}

provider "scaleway" {}

variable "admin_token" {
  type      = string
  sensitive = true
}

module "network" {
  source      = "./network"
  name        = "evalap-sandbox"
  region      = "fr-par"
  ipv4_subnet = "172.16.8.0/22"
  tags        = ["evalap", "env:sandbox"]
}

module "secrets" {
  source      = "./secret-manager"
  name_prefix = "evalap-sandbox"
  path        = "/evalap/sandbox"
  project_id  = "${DEFAULT_PROJECT}"
  secrets     = { ADMIN_TOKEN = { description = "admin token" } }
  values      = { ADMIN_TOKEN = var.admin_token }
  tags        = ["evalap", "env:sandbox"]
}

output "network" {
  value = {
    vpc_id             = module.network.vpc_id
    private_network_id = module.network.private_network_id
    ipv4_subnet        = module.network.ipv4_subnet
  }
}
`,
    );
    const vars = ["-var", "admin_token=sandbox-admin-token"];
    await ok("modules", "init", "-input=false");
    await ok("modules", "apply", "-auto-approve", "-input=false", ...vars);
    const out = await outputs("modules");
    expect(out.network).toMatchObject({ ipv4_subnet: "172.16.8.0/22" });
    expect(await left("vpc.vpcs", "vpc.private_networks", "iam.applications", "iam.policies", "secret.secrets")).toEqual({
      "vpc.vpcs": 1,
      "vpc.private_networks": 1,
      "iam.applications": 1,
      "iam.policies": 1,
      "secret.secrets": 1,
    });
    await noDrift("modules", ...vars);
    await ok("modules", "destroy", "-auto-approve", "-input=false", ...vars);
    expect(await left("vpc.vpcs", "vpc.private_networks", "iam.applications", "iam.policies", "secret.secrets")).toEqual({
      "vpc.vpcs": 0,
      "vpc.private_networks": 0,
      "iam.applications": 0,
      "iam.policies": 0,
      "secret.secrets": 0,
    });

    // Every call the provider made in both tests was one the sandbox serves, and none failed on its side.
    const endpoints = [
      ...new Set(calls.map((c) => `${c.method} ${c.url.replace(/[0-9a-f-]{36}/g, "{id}").replace(/\?.*/, "")} ${c.status}`)),
    ];
    console.log(`provider calls: ${calls.length}\n  ${endpoints.sort().join("\n  ")}`);
    expect(calls.filter((c) => c.error === "route" || c.status >= 500)).toEqual([]);
  });
});
