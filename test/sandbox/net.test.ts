import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../src/sandbox/index.js";
import { accountRoutes, seedDefaultProject } from "../../src/sandbox/apis/account.js";
import { iamRoutes } from "../../src/sandbox/apis/iam.js";
import { sshFingerprint } from "../../src/sandbox/apis/iam-org.js";
import { attachPrivateIp, detachPrivateIps, ipamRoutes, type IpamIp } from "../../src/sandbox/apis/ipam.js";
import { findPrivateNetwork, vpcRoutes, type PrivateNetwork, type Vpc } from "../../src/sandbox/apis/vpc.js";
import { formatIpv4, overlaps, parseIpv4, parseIpv4Cidr } from "../../src/sandbox/cidr.js";
import type { SandboxContext } from "../../src/sandbox/context.js";
import { ScwError, type JsonObject } from "../../src/sandbox/errors.js";
import { Router } from "../../src/sandbox/router.js";
import { Store } from "../../src/sandbox/store.js";

const ORG = "3a1f0c2e-4b5d-4e6f-8a7b-9c0d1e2f3a4b";
const PROJECT = "4b2a1d3f-5c6e-4f70-9b8c-0d1e2f3a4b5c";
const TOKEN = "6e5d4c3b-2a19-4807-b6a5-948372615041";

describe("cidr helpers", () => {
  it("parses, formats and compares IPv4 CIDRs", () => {
    expect(parseIpv4Cidr("172.16.8.0/22")).toEqual({ network: parseIpv4("172.16.8.0"), prefix: 22 });
    expect(parseIpv4Cidr("172.16.9.0/22")).toBeUndefined(); // host bits set
    expect(parseIpv4Cidr("300.1.1.0/24")).toBeUndefined();
    expect(parseIpv4Cidr("fd00::/64")).toBeUndefined();
    expect(formatIpv4(parseIpv4("10.1.200.2")!)).toBe("10.1.200.2");
    expect(overlaps(parseIpv4Cidr("172.16.8.0/22")!, parseIpv4Cidr("172.16.10.0/24")!)).toBe(true);
    expect(overlaps(parseIpv4Cidr("172.16.8.0/22")!, parseIpv4Cidr("172.16.12.0/22")!)).toBe(false);
  });
});

describe("SSH key fingerprints", () => {
  it("answers the recorded fingerprint of a key, without its comment", () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJEoOOgQBLJPs4g/XcPTKT82NywNPpxeuA20FlOPlpO opensource@scaleway.com";
    // Recorded in iam/testdata/ssh-key-basic.cassette.yaml for this key.
    expect(sshFingerprint(key)).toEqual({
      key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICJEoOOgQBLJPs4g/XcPTKT82NywNPpxeuA20FlOPlpO",
      fingerprint: "256 MD5:6b:cd:72:8a:ae:45:24:4b:2b:72:f6:d0:6a:8d:16:06 (ssh-ed25519)",
    });
    expect(sshFingerprint("not a key")).toBeUndefined();
  });
});

/** The API modules on a real store, called through the router as the server does (no HTTP). */
describe("VPC and IPAM emulation, and what RDB and containers call", () => {
  let dir: string;
  let ctx: SandboxContext;
  const router = new Router();

  const call = async <T = JsonObject>(method: string, url: string, body: JsonObject = {}): Promise<{ status: number; body: T }> => {
    const u = new URL(url, "http://sandbox");
    try {
      const { handler, params } = router.match(method, u.pathname);
      const out = await handler({ method, path: u.pathname, params, query: u.searchParams, body });
      return { status: out.status ?? 200, body: out.body as T };
    } catch (err) {
      if (err instanceof ScwError) return { status: err.status, body: err.body as T };
      throw err;
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "evalap-net-"));
    ctx = { store: await Store.open(dir), readyDelayMs: 0, dataDir: dir, onStop: () => undefined, url: "" };
    seedDefaultProject(ctx, ORG, PROJECT);
    accountRoutes(router, ctx);
    vpcRoutes(router, ctx);
    ipamRoutes(router, ctx);
    iamRoutes(router, ctx);
  });
  afterAll(async () => {
    await ctx.store.flush();
    await rm(dir, { recursive: true, force: true });
  });

  const newNetwork = async (subnets: string[] | null = ["172.16.8.0/22"]) => {
    const vpc = await call<Vpc>("POST", "/vpc/v2/regions/fr-par/vpcs", { name: "v", project_id: PROJECT, tags: [] });
    expect(vpc.status).toBe(200);
    const pn = await call<PrivateNetwork>("POST", "/vpc/v2/regions/fr-par/private-networks", {
      name: "pn",
      project_id: PROJECT,
      vpc_id: vpc.body.id,
      subnets,
      tags: ["a"],
    });
    expect(pn.status).toBe(200);
    return { vpc: vpc.body, pn: pn.body };
  };

  it("gives a private network its IPv4 subnet and an IPv6 /64, in the project's organization", async () => {
    const { vpc, pn } = await newNetwork();
    expect(pn.subnets.map((s) => s.subnet)).toEqual(["172.16.8.0/22", expect.stringMatching(/^fd[0-9a-f]{2}:[0-9a-f:]+::\/64$/)]);
    expect(pn).toMatchObject({ vpc_id: vpc.id, organization_id: ORG, project_id: PROJECT, dhcp_enabled: true, region: "fr-par" });
    expect(findPrivateNetwork(ctx, "fr-par", pn.id)?.id).toBe(pn.id);
    expect(findPrivateNetwork(ctx, "nl-ams", pn.id)).toBeUndefined();
    const read = await call<Vpc>("GET", `/vpc/v2/regions/fr-par/vpcs/${vpc.id}`);
    expect(read.body.private_network_count).toBe(1);
    // Another network asking an overlapping subnet in the same VPC is refused; one asking none gets a free one.
    const clash = await call("POST", "/vpc/v2/regions/fr-par/private-networks", {
      project_id: PROJECT,
      vpc_id: vpc.id,
      subnets: ["172.16.10.0/24"],
    });
    expect(clash).toMatchObject({ status: 400, body: { type: "invalid_arguments" } });
    const auto = await call<PrivateNetwork>("POST", "/vpc/v2/regions/fr-par/private-networks", { project_id: PROJECT, vpc_id: vpc.id });
    const autoV4 = parseIpv4Cidr(auto.body.subnets[0]!.subnet)!;
    expect(overlaps(autoV4, parseIpv4Cidr("172.16.8.0/22")!)).toBe(false);
    expect(auto.body.name).toBe("pn");
  });

  it("puts a network created without a VPC in the project's default VPC, which lists as default", async () => {
    const pn = await call<PrivateNetwork>("POST", "/vpc/v2/regions/nl-ams/private-networks", { name: "x", project_id: PROJECT });
    const list = await call<{ vpcs: Vpc[] }>("GET", `/vpc/v2/regions/nl-ams/vpcs?is_default=true&project_id=${PROJECT}`);
    expect(list.body.vpcs).toEqual([expect.objectContaining({ id: pn.body.vpc_id, is_default: true, name: "default" })]);
    // data "scaleway_vpc" { is_default = true } lists with no project and takes the first: every known project has one.
    const any = await call<{ vpcs: Vpc[] }>("GET", "/vpc/v2/regions/pl-waw/vpcs?is_default=true&order_by=created_at_asc");
    expect(any.body.vpcs).toEqual([expect.objectContaining({ project_id: PROJECT, organization_id: ORG, is_default: true })]);
  });

  it("books IPs for resources (attachPrivateIp), lists them as the provider's RDB read does, and releases them", async () => {
    const { vpc, pn } = await newNetwork();
    const rdb = { type: "rdb_instance", id: "7c6b5a49-3827-4165-a4f3-e2d1c0b9a897", name: "evalap-db" };
    const loopback = attachPrivateIp(ctx, {
      region: "fr-par",
      projectId: PROJECT,
      privateNetworkId: pn.id,
      resource: rdb,
      address: "127.0.0.1/32",
    });
    expect(loopback).toMatchObject({
      address: "127.0.0.1/32",
      is_ipv6: false,
      resource: { id: rdb.id, name: rdb.name, type: "rdb_instance", mac_address: expect.stringMatching(/^02:00:00(:[0-9A-F]{2}){3}$/) },
      source: { subnet_id: pn.subnets[0]!.id },
      tags: ["managed", "scwdbaas"],
      zone: null,
    });
    const container = { type: "serverless_container", id: "8d7c6b5a-4938-4276-b5a4-f3e2d1c0b9a8", name: "evalap" };
    const first = attachPrivateIp(ctx, { region: "fr-par", projectId: PROJECT, privateNetworkId: pn.id, resource: container });
    const booked = await call<IpamIp>("POST", "/ipam/v1/regions/fr-par/ips", {
      project_id: PROJECT,
      source: { private_network_id: pn.id },
    });
    expect(first.address).toBe("172.16.8.2/22"); // .1 is the gateway
    expect(booked.body.address).toBe("172.16.8.3/22");
    expect(() =>
      attachPrivateIp(ctx, {
        region: "fr-par",
        projectId: PROJECT,
        privateNetworkId: "9e8d7c6b-5a49-4387-a6b5-c4d3e2f1a0b9",
        resource: rdb,
      }),
    ).toThrow(ScwError);

    // GetResourcePrivateIPs (internal/services/ipam/helpers.go) for the RDB instance's private endpoint.
    const query = `order_by=created_at_desc&private_network_id=${pn.id}&project_id=${PROJECT}&resource_id=${rdb.id}&resource_type=rdb_instance`;
    const listed = await call<{ ips: IpamIp[]; total_count: number }>("GET", `/ipam/v1/regions/fr-par/ips?${query}`);
    expect(listed.body).toEqual({ ips: [loopback], total_count: 1 });
    const byName = await call<{ ips: IpamIp[] }>(
      "GET",
      "/ipam/v1/regions/fr-par/ips?resource_name=evalap&resource_type=serverless_container",
    );
    expect(byName.body.ips.map((ip) => ip.id)).toEqual([first.id]);
    const all = await call<{ total_count: number }>(
      "GET",
      `/ipam/v1/regions/fr-par/ips?private_network_id=${pn.id}&resource_type=unknown_type`,
    );
    expect(all.body.total_count).toBe(3);

    // A network holding IPs cannot go (412, retried by the provider); a VPC holding networks neither.
    const refused = await call("DELETE", `/vpc/v2/regions/fr-par/private-networks/${pn.id}`);
    expect(refused).toEqual({
      status: 412,
      body: {
        help_message: "Private Network must be empty to be deleted",
        message: "precondition is not respected",
        precondition: "resource_still_in_use",
        type: "precondition_failed",
      },
    });
    expect(await call("DELETE", `/vpc/v2/regions/fr-par/vpcs/${vpc.id}`)).toMatchObject({
      status: 412,
      body: { precondition: "resource_still_in_use" },
    });

    detachPrivateIps(ctx, rdb.id);
    detachPrivateIps(ctx, container.id);
    expect((await call("GET", `/ipam/v1/regions/fr-par/ips?resource_id=${rdb.id}`)).body).toEqual({ ips: [], total_count: 0 });
    expect((await call("DELETE", `/vpc/v2/regions/fr-par/private-networks/${pn.id}`)).status).toBe(412); // the booked one is left
    expect((await call("DELETE", `/ipam/v1/regions/fr-par/ips/${booked.body.id}`)).status).toBe(204);
    expect((await call("DELETE", `/vpc/v2/regions/fr-par/private-networks/${pn.id}`)).status).toBe(204);
    expect((await call("DELETE", `/vpc/v2/regions/fr-par/vpcs/${vpc.id}`)).status).toBe(204);
    expect(await call("GET", `/vpc/v2/regions/fr-par/vpcs/${vpc.id}`)).toMatchObject({ status: 404, body: { resource: "vpc" } });
  });

  it("books a chosen address in the subnet once, and refuses one outside it", async () => {
    const { pn } = await newNetwork();
    const book = (address: string) =>
      call<IpamIp>("POST", "/ipam/v1/regions/fr-par/ips", { project_id: PROJECT, source: { private_network_id: pn.id }, address });
    expect((await book("172.16.8.7")).body.address).toBe("172.16.8.7/22");
    expect((await book("172.16.8.7")).status).toBe(409);
    expect(await book("10.0.0.7")).toMatchObject({ status: 400, body: { type: "invalid_arguments" } });
  });

  it("connects VPCs (active once both sides connect), routes through a network, lists subnet routes, and ingress rules", async () => {
    const a = await newNetwork(["172.20.0.0/22"]);
    const b = await newNetwork(["172.21.0.0/22"]);
    const ab = await call<JsonObject>("POST", "/vpc/v2/regions/fr-par/vpc-connectors", {
      name: "ab",
      vpc_id: a.vpc.id,
      target_vpc_id: b.vpc.id,
    });
    expect(ab.body.status).toBe("orphan");
    await call("POST", "/vpc/v2/regions/fr-par/vpc-connectors", { name: "ba", vpc_id: b.vpc.id, target_vpc_id: a.vpc.id });
    expect((await call<JsonObject>("GET", `/vpc/v2/regions/fr-par/vpc-connectors/${String(ab.body.id)}`)).body.status).toBe("active");
    const route = await call<JsonObject>("POST", "/vpc/v2/regions/fr-par/routes", {
      description: "",
      tags: ["t"],
      vpc_id: a.vpc.id,
      destination: "10.0.0.0/24",
      nexthop_vpc_connector_id: ab.body.id as string,
    });
    expect(route.body).toMatchObject({
      description: "Custom route",
      type: "custom",
      is_read_only: false,
      nexthop_private_network_id: null,
    });
    const listed = await call<{ routes: { route: JsonObject }[] }>("GET", `/vpc/v2/regions/fr-par/routes-with-nexthop?vpc_id=${a.vpc.id}`);
    expect(listed.body.routes.map((r) => [r.route.type, r.route.destination])).toEqual([
      ["subnet", "172.20.0.0/22"],
      ["subnet", a.pn.subnets[1]!.subnet],
      ["custom", "10.0.0.0/24"],
    ]);
    expect((await call("DELETE", `/vpc/v2/regions/fr-par/routes/${String(route.body.id)}`)).status).toBe(204);
    expect(await call("GET", `/vpc/v2/regions/fr-par/routes/${String(route.body.id)}`)).toEqual({
      status: 404,
      body: { message: "resource is not found", resource: "unknown", resource_id: "", type: "not_found" },
    });
    const rule = await call<JsonObject>("POST", "/vpc/v2/regions/fr-par/ingress-rules", {
      vpc_id: a.vpc.id,
      source: "10.2.0.0/24",
      nexthop_resource_ip: "172.20.0.2",
      nexthop_private_network_id: a.pn.id,
    });
    expect(rule.body).toMatchObject({ is_ipv6: false, organization_id: ORG, project_id: PROJECT });
    const rules = await call<{ total_count: number }>("GET", `/vpc/v2/regions/fr-par/ingress-rules?nexthop_private_network_id=${a.pn.id}`);
    expect(rules.body.total_count).toBe(1);
  });

  it("keeps users without their password, groups with their members, and 404s removing a non-member as recorded", async () => {
    const user = await call<JsonObject>("POST", "/iam/v1alpha1/users", {
      organization_id: ORG,
      member: { email: "dev@example.com", username: "dev", password: "Secret-Passw0rd" },
    });
    expect(user.body).toMatchObject({ type: "member", status: "activated", username: "dev" });
    const group = await call<JsonObject>("POST", "/iam/v1alpha1/groups", { organization_id: ORG, name: "devs" });
    const gid = String(group.body.id);
    const added = await call<JsonObject>("POST", `/iam/v1alpha1/groups/${gid}/add-member`, { user_id: user.body.id as string });
    expect(added.body.user_ids).toEqual([user.body.id]);
    expect((await call("POST", `/iam/v1alpha1/groups/${gid}/remove-member`, { user_id: user.body.id as string })).status).toBe(200);
    expect(await call("POST", `/iam/v1alpha1/groups/${gid}/remove-member`, { user_id: user.body.id as string })).toEqual({
      status: 404,
      body: { message: "resource is not found", resource: "", resource_id: user.body.id, type: "not_found" },
    });
    await ctx.store.flush();
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(path.join(dir, "state.json"), "utf8")).not.toContain("Secret-Passw0rd");
  });

  it("moves SAML from missing_certificate to valid as it is configured, and answers a SCIM token's bearer once", async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), "evalap-net-cert-"));
    try {
      // A real certificate (openssl), read for its expiry.
      const { execFileSync } = await import("node:child_process");
      const { readFile } = await import("node:fs/promises");
      execFileSync(
        "openssl",
        [
          "req",
          "-x509",
          "-newkey",
          "rsa:2048",
          "-nodes",
          "-subj",
          "/CN=idp.example.com",
          "-days",
          "30",
          "-keyout",
          path.join(work, "key.pem"),
          "-out",
          path.join(work, "cert.pem"),
        ],
        { stdio: "ignore" },
      );
      const pem = await readFile(path.join(work, "cert.pem"), "utf8");
      const saml = await call<JsonObject>("POST", `/iam/v1alpha1/organizations/${ORG}/saml`);
      expect(saml.body.status).toBe("missing_certificate");
      const cert = await call<JsonObject>("POST", `/iam/v1alpha1/saml/${String(saml.body.id)}/certificates`, {
        type: "signing",
        content: pem,
      });
      const days = (Date.parse(String(cert.body.expires_at)) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(28);
      expect(days).toBeLessThan(31);
      expect((await call<JsonObject>("GET", `/iam/v1alpha1/organizations/${ORG}/saml`)).body.status).toBe("missing_entity_id");
      const valid = await call<JsonObject>("PATCH", `/iam/v1alpha1/saml/${String(saml.body.id)}`, {
        entity_id: "https://idp.example.com/metadata",
        single_sign_on_url: "https://idp.example.com/sso",
      });
      expect(valid.body.status).toBe("valid");
      const bad = await call("POST", `/iam/v1alpha1/saml/${String(saml.body.id)}/certificates`, { type: "signing", content: "nope" });
      expect(bad.status).toBe(400);

      const scim = await call<JsonObject>("POST", `/iam/v1alpha1/organizations/${ORG}/scim`);
      const token = await call<{ token: JsonObject; bearer_token: string }>("POST", `/iam/v1alpha1/scim/${String(scim.body.id)}/tokens`);
      const listed = await call<{ scim_tokens: JsonObject[] }>("GET", `/iam/v1alpha1/scim/${String(scim.body.id)}/tokens`);
      expect(listed.body.scim_tokens).toEqual([token.body.token]);
      await ctx.store.flush();
      expect(await readFile(path.join(dir, "state.json"), "utf8")).not.toContain(token.body.bearer_token);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it("keeps IAM policies' rules in order, checks permission sets and principals, and answers an API key's secret once", async () => {
    const app = await call<{ id: string }>("POST", "/iam/v1alpha1/applications", { name: "reader", organization_id: ORG, tags: ["t"] });
    const rule = { permission_set_names: ["SecretManagerReadOnly", "SecretManagerSecretAccess"], condition: "", project_ids: [PROJECT] };
    const policy = await call<JsonObject>("POST", "/iam/v1alpha1/policies", {
      name: "reader",
      organization_id: ORG,
      application_id: app.body.id,
      rules: [rule, { permission_set_names: ["IAMManager"], organization_id: ORG }],
    });
    expect(policy.body).toMatchObject({ application_id: app.body.id, nb_rules: 0 });
    const read = await call<JsonObject>("GET", `/iam/v1alpha1/policies/${String(policy.body.id)}`);
    expect(read.body).toMatchObject({ nb_rules: 2, nb_permission_sets: 3, nb_scopes: 2 });
    const rules = await call<{ rules: JsonObject[] }>("GET", `/iam/v1alpha1/rules?policy_id=${String(policy.body.id)}`);
    expect(rules.body.rules).toEqual([
      expect.objectContaining({ ...rule, permission_sets_scope_type: "projects" }),
      expect.objectContaining({ permission_set_names: ["IAMManager"], organization_id: ORG, permission_sets_scope_type: "organization" }),
    ]);
    expect(rules.body.rules[0]).not.toHaveProperty("organization_id");

    const typo = await call<JsonObject>("POST", "/iam/v1alpha1/policies", {
      organization_id: ORG,
      no_principal: true,
      rules: [{ permission_set_names: ["SecretManagerReadOnyl"], project_ids: [PROJECT] }],
    });
    expect(typo).toMatchObject({ status: 400, body: { type: "invalid_arguments" } });
    expect(JSON.stringify(typo.body)).toContain("SecretManagerReadOnyl");
    const two = await call("POST", "/iam/v1alpha1/policies", { organization_id: ORG, no_principal: true, application_id: app.body.id });
    expect(two.status).toBe(400);

    const key = await call<JsonObject>("POST", "/iam/v1alpha1/api-keys", { application_id: app.body.id, description: "ci" });
    expect(key.body).toMatchObject({ access_key: expect.stringMatching(/^SCW[A-Z0-9]{17}$/), default_project_id: PROJECT });
    expect(typeof key.body.secret_key).toBe("string");
    const again = await call<JsonObject>("GET", `/iam/v1alpha1/api-keys/${String(key.body.access_key)}`);
    expect(again.body.secret_key).toBeNull();
    expect((await call<JsonObject>("GET", `/iam/v1alpha1/applications/${app.body.id}`)).body.nb_api_keys).toBe(1);
    // The secret key is never kept: the state on disk does not hold it.
    await ctx.store.flush();
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(path.join(dir, "state.json"), "utf8")).not.toContain(String(key.body.secret_key));
    expect((await call("DELETE", `/iam/v1alpha1/applications/${app.body.id}`)).status).toBe(204);
    expect((await call("GET", `/iam/v1alpha1/api-keys/${String(key.body.access_key)}`)).status).toBe(404);
  });
});

/** Over HTTP: authentication and the recorded error bodies, on a real sandbox. */
describe("VPC, IPAM and IAM over HTTP", () => {
  let sandbox: Sandbox;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "evalap-net-http-"));
    sandbox = await startSandbox({ dataDir: dir, token: TOKEN, account: { organizationId: ORG, defaultProjectId: PROJECT } });
  });
  afterAll(async () => {
    await sandbox.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const req = async (method: string, p: string, body?: JsonObject, token = TOKEN) => {
    const res = await fetch(`${sandbox.url}${p}`, {
      method,
      headers: { "X-Auth-Token": token, "Content-Type": "application/json" },
      body: body && JSON.stringify(body),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as JsonObject | undefined };
  };

  it("answers the recorded not_found bodies and refuses a missing token", async () => {
    const id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    expect(await req("GET", `/vpc/v2/regions/fr-par/private-networks/${id}`)).toEqual({
      status: 404,
      body: { message: "resource is not found", resource: "private_network", resource_id: id, type: "not_found" },
    });
    expect((await req("GET", `/ipam/v1/regions/fr-par/ips/${id}`)).body).toMatchObject({ resource: "ip" });
    expect((await req("GET", `/iam/v1alpha1/policies/${id}`)).body).toMatchObject({ resource: "policy" });
    expect((await req("GET", `/iam/v1alpha1/applications/${id}`)).body).toMatchObject({ resource: "application" });
    expect((await req("GET", "/iam/v1alpha1/api-keys/SCWAAAAAAAAAAAAAAAAA")).body).toMatchObject({ resource: "access_key" });
    const res = await fetch(`${sandbox.url}/vpc/v2/regions/fr-par/vpcs`);
    expect(res.status).toBe(401);
  });

  it("keeps networks, IPs and policies across a restart", async () => {
    const vpc = await req("POST", "/vpc/v2/regions/fr-par/vpcs", { name: "keep", project_id: PROJECT });
    const pn = await req("POST", "/vpc/v2/regions/fr-par/private-networks", { project_id: PROJECT, vpc_id: vpc.body?.id as string });
    const ip = await req("POST", "/ipam/v1/regions/fr-par/ips", {
      project_id: PROJECT,
      source: { private_network_id: pn.body?.id as string },
    });
    await sandbox.stop();
    sandbox = await startSandbox({ dataDir: dir, token: TOKEN });
    expect((await req("GET", `/vpc/v2/regions/fr-par/private-networks/${String(pn.body?.id)}`)).body).toEqual(pn.body);
    expect((await req("GET", `/ipam/v1/regions/fr-par/ips/${String(ip.body?.id)}`)).body).toEqual(ip.body);
  });
});
