import { isUuid, newId, timestamp } from "../clock.js";
import { formatIpv4, overlaps, parseIpv4Cidr, isIpv6Cidr, randomIpv6Prefix48, randomIpv6Subnet, type Ipv4Cidr } from "../cidr.js";
import { checkRegion, type SandboxContext } from "../context.js";
import { invalidArgument, notFound, preconditionFailed, type JsonObject } from "../errors.js";
import { Fields } from "../fields.js";
import { findInRegion } from "../lookup.js";
import { byField, paginate, sameAsQuery } from "../pagination.js";
import type { Router } from "../router.js";
import { PROJECTS, type Project } from "./account.js";
import { vpcRoutingRoutes } from "./vpc-routing.js";

/** vpc/v2 VPC, field for field in the recorded (alphabetical) order (vpc/testdata/*.cassette.yaml). */
export interface Vpc {
  created_at: string;
  custom_routes_propagation_enabled: boolean;
  id: string;
  is_default: boolean;
  name: string;
  organization_id: string;
  private_network_count: number;
  project_id: string;
  region: string;
  routing_enabled: boolean;
  s3_integration_enabled: boolean;
  tags: string[];
  transitivity_enabled: boolean;
  updated_at: string;
}

export interface Subnet {
  created_at: string;
  id: string;
  private_network_id: string;
  project_id: string;
  region: string;
  subnet: string;
  updated_at: string;
  vpc_id: string;
}

/** vpc/v2 PrivateNetwork, as recorded. */
export interface PrivateNetwork {
  created_at: string;
  default_route_propagation_enabled: boolean;
  dhcp_enabled: boolean;
  has_s3_integration: boolean;
  id: string;
  name: string;
  organization_id: string;
  project_id: string;
  region: string;
  subnets: Subnet[];
  tags: string[];
  updated_at: string;
  vpc_id: string;
}

/** vpc/v2 AclRule, as recorded (the API prefixes the description with its scope). */
export interface AclRule {
  action: "accept" | "drop";
  description: string;
  destination: string;
  dst_port_high: number;
  dst_port_low: number;
  protocol: string;
  source: string;
  src_port_high: number;
  src_port_low: number;
}

interface Acl {
  default_policy: "accept" | "drop";
  rules: AclRule[];
}

/** A VPC as stored: its private networks' IPv6 /64s are cut from one /48; its IPv4 and IPv6 ACLs. */
interface StoredVpc extends Omit<Vpc, "private_network_count"> {
  ipv6_prefix: string;
  acls?: { ipv4?: Acl; ipv6?: Acl };
}

export const VPCS = "vpc.vpcs";
export const PRIVATE_NETWORKS = "vpc.private_networks";
/** The IPAM IPs' collection (ipam.ts): a private network holding one cannot be deleted. */
export const IPAM_IPS = "ipam.ips";

/** The organization a project belongs to: the account's projects say; else the project id (as for an organization's default project). */
export function organizationOf(ctx: SandboxContext, projectId: string): string {
  return ctx.store.collection<Project>(PROJECTS).get(projectId)?.organization_id ?? projectId;
}

/** A private network by region and id (what RDB and containers check when they join one). */
export function findPrivateNetwork(ctx: SandboxContext, region: string, id: string): PrivateNetwork | undefined {
  const pn = ctx.store.collection<PrivateNetwork>(PRIVATE_NETWORKS).get(id);
  return pn && pn.region === region ? pn : undefined;
}

/** The first IPv4 subnet of a private network, parsed (every private network has one). */
export function ipv4SubnetOf(pn: PrivateNetwork): { subnet: Subnet; cidr: Ipv4Cidr } | undefined {
  for (const subnet of pn.subnets) {
    const cidr = parseIpv4Cidr(subnet.subnet);
    if (cidr) return { subnet, cidr };
  }
  return undefined;
}

type ListOrder = "created_at_asc" | "created_at_desc" | "name_asc" | "name_desc";

export function vpcRoutes(router: Router, ctx: SandboxContext): void {
  const vpcs = () => ctx.store.collection<StoredVpc>(VPCS);
  const pns = () => ctx.store.collection<PrivateNetwork>(PRIVATE_NETWORKS);
  const base = "/vpc/v2/regions/{region}";

  const pnsOf = (vpcId: string) =>
    pns()
      .all()
      .filter((p) => p.vpc_id === vpcId);
  const vpcWire = (v: StoredVpc): Vpc => ({
    created_at: v.created_at,
    custom_routes_propagation_enabled: v.custom_routes_propagation_enabled,
    id: v.id,
    is_default: v.is_default,
    name: v.name,
    organization_id: v.organization_id,
    private_network_count: pnsOf(v.id).length,
    project_id: v.project_id,
    region: v.region,
    routing_enabled: v.routing_enabled,
    s3_integration_enabled: v.s3_integration_enabled,
    tags: v.tags,
    transitivity_enabled: v.transitivity_enabled,
    updated_at: v.updated_at,
  });
  const findVpc = (region: string | undefined, id: string | undefined): StoredVpc =>
    findInRegion(
      (i) => vpcs().get(i),
      region,
      id,
      () => notFound("vpc", id ?? ""),
    );
  const findPn = (region: string | undefined, id: string | undefined): PrivateNetwork => {
    const r = checkRegion(region);
    const pn = id && isUuid(id) ? findPrivateNetwork(ctx, r, id) : undefined;
    if (!pn) throw notFound("private_network", id ?? "");
    return pn;
  };
  const newVpc = (
    region: string,
    projectId: string,
    name: string,
    tags: string[],
    isDefault: boolean,
    transitivity: boolean,
  ): StoredVpc => {
    const now = timestamp();
    const vpc: StoredVpc = {
      created_at: now,
      // Recorded since 2025-09: a new VPC answers custom routes propagation already enabled, and routing always on.
      custom_routes_propagation_enabled: true,
      id: newId(),
      is_default: isDefault,
      name,
      organization_id: organizationOf(ctx, projectId),
      project_id: projectId,
      region,
      routing_enabled: true,
      s3_integration_enabled: false,
      tags,
      transitivity_enabled: transitivity,
      updated_at: now,
      ipv6_prefix: randomIpv6Prefix48(),
    };
    vpcs().put(vpc.id, vpc);
    return vpc;
  };
  /** Every project has a default VPC per region (Scaleway makes it); the sandbox makes it when first needed. */
  const defaultVpc = (region: string, projectId: string): StoredVpc =>
    vpcs()
      .all()
      .find((v) => v.region === region && v.project_id === projectId && v.is_default) ??
    newVpc(region, projectId, "default", ["default"], true, false);
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };

  router.add("POST", `${base}/vpcs`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const name = f.string("name") || "vpc";
    const projectId = f.uuid("project_id", { required: true });
    const tags = f.strings("tags") ?? [];
    f.boolean("enable_routing"); // routing is always on now (recorded: false asked, true answered)
    const transitivity = f.boolean("enable_transitivity") ?? false;
    f.check();
    const vpc = newVpc(region, projectId, name, tags, false, transitivity);
    return save(vpcWire(vpc));
  });

  router.add("GET", `${base}/vpcs`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const tags = q.getAll("tags");
    const flag = (name: string) => (q.get(name) === null ? undefined : q.get(name) === "true");
    const isDefault = flag("is_default");
    const routing = flag("routing_enabled");
    const projectId = q.get("project_id");
    // A project's default VPC exists as soon as anyone looks for it: the asked project's, else every known project's
    // (data "scaleway_vpc" { is_default = true } lists with no project and takes the first).
    if (isDefault === true) {
      const projects = projectId
        ? [projectId]
        : ctx.store
            .collection<Project>(PROJECTS)
            .all()
            .map((p) => p.id);
      for (const p of projects) if (isUuid(p)) defaultVpc(region, p);
    }
    const matches = vpcs()
      .all()
      .filter((v) => v.region === region)
      .filter((v) => !q.get("name") || v.name.includes(q.get("name") ?? ""))
      .filter((v) => !projectId || v.project_id === projectId)
      .filter(sameAsQuery(q, "organization_id"))
      .filter((v) => tags.every((t) => v.tags.includes(t)))
      .filter((v) => isDefault === undefined || v.is_default === isDefault)
      .filter((v) => routing === undefined || v.routing_enabled === routing);
    const page = paginate(q, matches, orders<StoredVpc>(), "created_at_asc");
    return { body: { total_count: page.total, vpcs: page.items.map(vpcWire) } };
  });

  router.add("GET", `${base}/vpcs/{vpc_id}`, (req) => ({ body: vpcWire(findVpc(req.params.region, req.params.vpc_id)) }));

  router.add("PATCH", `${base}/vpcs/{vpc_id}`, async (req) => {
    const vpc = findVpc(req.params.region, req.params.vpc_id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const tags = f.strings("tags");
    f.check();
    const updated: StoredVpc = { ...vpc, name: name ?? vpc.name, tags: tags ?? vpc.tags, updated_at: timestamp() };
    vpcs().put(vpc.id, updated);
    return save(vpcWire(updated));
  });

  router.add("DELETE", `${base}/vpcs/{vpc_id}`, async (req) => {
    const vpc = findVpc(req.params.region, req.params.vpc_id);
    // Scaleway refuses to delete a VPC that still holds private networks.
    if (pnsOf(vpc.id).length > 0) throw preconditionFailed("resource_still_in_use", "VPC must be empty to be deleted");
    vpcs().delete(vpc.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  for (const [action, field] of [
    ["enable-routing", "routing_enabled"],
    ["enable-custom-routes-propagation", "custom_routes_propagation_enabled"],
  ] as const) {
    router.add("POST", `${base}/vpcs/{vpc_id}/${action}`, async (req) => {
      const vpc = findVpc(req.params.region, req.params.vpc_id);
      const updated: StoredVpc = { ...vpc, [field]: true, updated_at: timestamp() };
      vpcs().put(vpc.id, updated);
      return save(vpcWire(updated));
    });
  }

  // ACL rules: one list per IP family; a VPC without any answers "accept" and no rule.
  router.add("GET", `${base}/vpcs/{vpc_id}/acl-rules`, (req) => {
    const vpc = findVpc(req.params.region, req.params.vpc_id);
    const family = req.query.get("is_ipv6") === "true" ? "ipv6" : "ipv4";
    return { body: vpc.acls?.[family] ?? { default_policy: "accept", rules: [] } };
  });

  router.add("PUT", `${base}/vpcs/{vpc_id}/acl-rules`, async (req) => {
    const vpc = findVpc(req.params.region, req.params.vpc_id);
    const f = new Fields(req.body);
    const isIpv6 = f.boolean("is_ipv6") ?? false;
    const defaultPolicy = f.oneOf("default_policy", ["accept", "drop"] as const, "accept");
    f.check();
    const raw = Array.isArray(req.body.rules) ? (req.body.rules as JsonObject[]) : [];
    const rules = raw.map(aclRule);
    const acl: Acl = { default_policy: defaultPolicy, rules };
    const family = isIpv6 ? "ipv6" : "ipv4";
    vpcs().put(vpc.id, { ...vpc, acls: { ...vpc.acls, [family]: acl }, updated_at: timestamp() });
    return save(acl);
  });

  router.add("POST", `${base}/private-networks`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const name = f.string("name") || "pn";
    const projectId = f.uuid("project_id", { required: true });
    const tags = f.strings("tags") ?? [];
    const asked = f.strings("subnets") ?? [];
    const vpcId = f.uuid("vpc_id");
    const routePropagation = f.boolean("default_route_propagation_enabled") ?? false;
    f.check();
    const vpc = vpcId ? findVpc(region, vpcId) : defaultVpc(region, projectId);
    const ipv4 = asked.filter((s) => !s.includes(":"));
    const ipv6 = asked.filter((s) => s.includes(":"));
    const bad = [...ipv4.filter((s) => !parseIpv4Cidr(s)), ...ipv6.filter((s) => !isIpv6Cidr(s))];
    if (bad.length > 0) throw invalidArgument("subnets", "format", `not a valid CIDR: ${bad.join(", ")}`);
    const taken = pnsOf(vpc.id).flatMap((p) => p.subnets.map((s) => parseIpv4Cidr(s.subnet)).filter((c) => c !== undefined));
    for (const s of ipv4) {
      const cidr = parseIpv4Cidr(s)!;
      if (taken.some((t) => overlaps(t, cidr))) throw invalidArgument("subnets", "constraint", `${s} overlaps a subnet of this VPC`);
    }
    // Without one asked, Scaleway picks a free /22 in 172.16.0.0/12, and always adds an IPv6 /64.
    if (ipv4.length === 0) ipv4.push(freeIpv4Subnet(taken));
    if (ipv6.length === 0) ipv6.push(randomIpv6Subnet(vpc.ipv6_prefix));
    const now = timestamp();
    const id = newId();
    const pn: PrivateNetwork = {
      created_at: now,
      default_route_propagation_enabled: routePropagation,
      dhcp_enabled: true,
      has_s3_integration: false,
      id,
      name,
      organization_id: organizationOf(ctx, projectId),
      project_id: projectId,
      region,
      subnets: [...ipv4, ...ipv6].map((subnet) => ({
        created_at: now,
        id: newId(),
        private_network_id: id,
        project_id: projectId,
        region,
        subnet,
        updated_at: now,
        vpc_id: vpc.id,
      })),
      tags,
      updated_at: now,
      vpc_id: vpc.id,
    };
    pns().put(id, pn);
    return save(pn);
  });

  router.add("GET", `${base}/private-networks`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const tags = q.getAll("tags");
    const ids = q.getAll("private_network_ids");
    const dhcp = q.get("dhcp_enabled");
    const matches = pns()
      .all()
      .filter((p) => p.region === region)
      .filter((p) => !q.get("name") || p.name.includes(q.get("name") ?? ""))
      .filter(sameAsQuery(q, "project_id", "organization_id", "vpc_id"))
      .filter((p) => ids.length === 0 || ids.includes(p.id))
      .filter((p) => tags.every((t) => p.tags.includes(t)))
      .filter((p) => dhcp === null || p.dhcp_enabled === (dhcp === "true"));
    const page = paginate(q, matches, orders<PrivateNetwork>(), "created_at_asc");
    return { body: { private_networks: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/private-networks/{private_network_id}`, (req) => ({
    body: findPn(req.params.region, req.params.private_network_id),
  }));

  router.add("PATCH", `${base}/private-networks/{private_network_id}`, async (req) => {
    const pn = findPn(req.params.region, req.params.private_network_id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const tags = f.strings("tags");
    const routePropagation = f.boolean("default_route_propagation_enabled");
    f.check();
    const updated: PrivateNetwork = {
      ...pn,
      name: name ?? pn.name,
      tags: tags ?? pn.tags,
      default_route_propagation_enabled: routePropagation ?? pn.default_route_propagation_enabled,
      updated_at: timestamp(),
    };
    pns().put(pn.id, updated);
    return save(updated);
  });

  router.add("DELETE", `${base}/private-networks/{private_network_id}`, async (req) => {
    const pn = findPn(req.params.region, req.params.private_network_id);
    // Recorded wording (provider issue #3243): a network with attached resources or reserved IPs is refused
    // with a 412 the provider retries until they are gone.
    const inUse = ctx.store
      .collection<{ private_network_id: string | null }>(IPAM_IPS)
      .all()
      .some((ip) => ip.private_network_id === pn.id);
    if (inUse) throw preconditionFailed("resource_still_in_use", "Private Network must be empty to be deleted");
    pns().delete(pn.id);
    await ctx.store.flush();
    return { status: 204 };
  });
  vpcRoutingRoutes(router, ctx, { findVpc, findPn, pnsOf });
}

function orders<T extends { created_at: string; name: string }>(): Record<ListOrder, (a: T, b: T) => number> {
  const created = byField<T>((x) => x.created_at);
  const named = byField<T>((x) => x.name);
  return { created_at_asc: created.asc, created_at_desc: created.desc, name_asc: named.asc, name_desc: named.desc };
}

/** The first /22 of 172.16.0.0/12 that overlaps none of the VPC's subnets. */
function freeIpv4Subnet(taken: Ipv4Cidr[]): string {
  const start = parseIpv4Cidr("172.16.0.0/12")!.network;
  for (let n = start; n < start + 2 ** 20; n += 2 ** 10) {
    const candidate = { network: n, prefix: 22 };
    if (!taken.some((t) => overlaps(t, candidate))) return `${formatIpv4(n)}/22`;
  }
  throw preconditionFailed("resource_exhausted", "no free /22 left in 172.16.0.0/12 for this VPC");
}

/** One ACL rule from a SetAclRequest; the API stores the description prefixed with its scope (recorded). */
function aclRule(r: JsonObject): AclRule {
  const f = new Fields(r);
  const action = f.oneOf("action", ["accept", "drop"] as const, "accept");
  const protocol = f.oneOf("protocol", ["ANY", "TCP", "UDP", "ICMP"] as const, "ANY");
  const source = f.string("source", { required: true });
  const destination = f.string("destination", { required: true });
  const port = (name: string): number => {
    const v = r[name];
    if (v === undefined || v === null) return 0;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) f.fail(name, "constraint", "must be a port number (0-65535)");
    return typeof v === "number" ? v : 0;
  };
  const rule: AclRule = {
    action,
    description: `(Rule scope: client) ${f.string("description") ?? ""}`.trimEnd(),
    destination,
    dst_port_high: port("dst_port_high"),
    dst_port_low: port("dst_port_low"),
    protocol,
    source,
    src_port_high: port("src_port_high"),
    src_port_low: port("src_port_low"),
  };
  f.check();
  return rule;
}
