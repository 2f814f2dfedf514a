import { cp, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, REPO } from "../helpers/project.js";
import { PROJECT, providerHarness } from "./provider-harness.js";

/**
 * The real gate for the VPC, IPAM and IAM emulation: OpenTofu and the real Scaleway provider 2.81.0
 * apply the VPC and IAM resources infra/ uses, change them, find no drift (also after a restart of
 * the sandbox), destroy to nothing; then infra/modules/network and infra/modules/secret-manager
 * (which needs only Secret Manager and Account) are applied and destroyed as they are.
 */
describe("the real provider on the sandbox (scaleway_vpc, scaleway_vpc_private_network, scaleway_iam_application, scaleway_iam_policy)", () => {
  const h = providerHarness({ prefix: "evalap-sandbox-net-" });
  // The fixture root, and a root that calls infra's modules as they are.
  const fixture = h.root("root");
  const modules = h.root("modules");
  const left = async (...collections: string[]) => {
    const c = await h.counts();
    return Object.fromEntries(collections.map((name) => [name, c[name] ?? 0]));
  };

  beforeAll(() => h.start());
  afterAll(() => h.cleanup());

  it("applies, changes, survives a restart without drift, and destroys to nothing", async () => {
    await cp(path.join(FIXTURES, "sandbox-net"), fixture.dir, { recursive: true });
    await fixture.ok("init", "-input=false");
    await fixture.ok("apply", "-auto-approve", "-input=false");
    const first = await fixture.outputs();
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
    await fixture.noDrift();

    // New tags (VPC, network, application, policy: PATCHes), a renamed network, other permission sets (SetRules).
    const changed = [
      "-var",
      'tags=["evalap","changed"]',
      "-var",
      "pn_name=evalap-sandbox-renamed",
      "-var",
      'permission_sets=["SecretManagerReadOnly"]',
    ];
    await fixture.ok("apply", "-auto-approve", "-input=false", ...changed);
    await fixture.noDrift(...changed);
    const rules = await h.fetch(`/iam/v1alpha1/rules?policy_id=${String((await fixture.outputs()).policy_id)}`);
    const ruleBody = (await rules.json()) as { rules: { permission_set_names: string[]; project_ids: string[] }[] };
    expect(ruleBody.rules).toEqual([expect.objectContaining({ permission_set_names: ["SecretManagerReadOnly"], project_ids: [PROJECT] })]);

    // The state is on disk: a new sandbox on the same folder answers the same.
    await h.restart();
    await fixture.noDrift(...changed);

    await fixture.ok("destroy", "-auto-approve", "-input=false", ...changed);
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
    const dir = modules.dir;
    await mkdir(dir, { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "network"), path.join(dir, "network"), { recursive: true });
    await cp(path.join(REPO, "infra", "modules", "secret-manager"), path.join(dir, "secret-manager"), { recursive: true });
    // The modules' own test folders (tofu test with mocks) are not part of an apply.
    await rm(path.join(dir, "network", "tests"), { recursive: true, force: true });
    await rm(path.join(dir, "secret-manager", "tests"), { recursive: true, force: true });
    await writeFile(
      path.join(dir, "main.tf"),
      `terraform {
  required_providers {
    scaleway = {
      source  = "scaleway/scaleway"
      version = "2.81.0"
    }
  }
}

provider "scaleway" {}

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
  project_id  = "${PROJECT}"
  secrets     = { ADMIN_TOKEN = { description = "admin token" } }
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
    // The secret-manager module makes the secrets' shells only; their values are the CLI's (issue 11).
    const vars: string[] = [];
    await modules.ok("init", "-input=false");
    await modules.ok("apply", "-auto-approve", "-input=false", ...vars);
    const out = await modules.outputs();
    expect(out.network).toMatchObject({ ipv4_subnet: "172.16.8.0/22" });
    // The secret-manager module manages no IAM: readers are infra/bootstrap's applications (issue 10).
    expect(await left("vpc.vpcs", "vpc.private_networks", "iam.applications", "iam.policies", "secret.secrets")).toEqual({
      "vpc.vpcs": 1,
      "vpc.private_networks": 1,
      "iam.applications": 0,
      "iam.policies": 0,
      "secret.secrets": 1,
    });
    await modules.noDrift(...vars);
    await modules.ok("destroy", "-auto-approve", "-input=false", ...vars);
    expect(await left("vpc.vpcs", "vpc.private_networks", "iam.applications", "iam.policies", "secret.secrets")).toEqual({
      "vpc.vpcs": 0,
      "vpc.private_networks": 0,
      "iam.applications": 0,
      "iam.policies": 0,
      "secret.secrets": 0,
    });

    // Every call the provider made in both tests was one the sandbox serves, and none failed on its side.
    h.expectAllServed();
  });
});
