import { randomBytes } from "node:crypto";
import { newId, timestamp } from "../clock.js";
import { contains, formatIpv4, parseIpv4, randomMac } from "../cidr.js";
import { checkRegion, type SandboxContext } from "../context.js";
import { alreadyExists, invalidArgument, notFound, preconditionFailed, type JsonObject } from "../errors.js";
import { Fields } from "../fields.js";
import { findInRegion } from "../lookup.js";
import { byField, paginate } from "../pagination.js";
import type { Router } from "../router.js";
import { findPrivateNetwork, IPAM_IPS, ipv4SubnetOf, organizationOf, PRIVATE_NETWORKS, type PrivateNetwork } from "./vpc.js";

/** The resource an IP is attached to, as recorded (`mac_address`/`name` are null for some types). */
export interface IpamResource {
  id: string;
  mac_address: string | null;
  name: string | null;
  type: string;
}

export interface IpamReverse {
  address: string | null;
  hostname: string;
}

/** ipam/v1 IP, field for field in the recorded (alphabetical) order (ipam/testdata/*.cassette.yaml). */
export interface IpamIp {
  address: string;
  created_at: string;
  id: string;
  is_ipv6: boolean;
  project_id: string;
  region: string;
  resource: IpamResource | null;
  reverses: IpamReverse[];
  source: { subnet_id: string } | { zonal: string };
  tags: string[];
  updated_at: string;
  zone: string | null;
}

/** An IP as stored: the private network it was booked in (the API only answers its subnet). */
interface StoredIp extends IpamIp {
  private_network_id: string | null;
  vpc_id: string | null;
}

/** Managed databases' IPs carry these tags (recorded: rdb_instance and redis_cluster endpoints). */
const MANAGED_TAGS: Record<string, string[]> = { rdb_instance: ["managed", "scwdbaas"], redis_cluster: ["managed", "scwdbaas"] };

const ips = (ctx: SandboxContext) => ctx.store.collection<StoredIp>(IPAM_IPS);

const wire = (ip: StoredIp): IpamIp => ({
  address: ip.address,
  created_at: ip.created_at,
  id: ip.id,
  is_ipv6: ip.is_ipv6,
  project_id: ip.project_id,
  region: ip.region,
  resource: ip.resource,
  reverses: ip.reverses,
  source: ip.source,
  tags: ip.tags,
  updated_at: ip.updated_at,
  zone: ip.zone,
});

/**
 * Records an IPAM IP attached to a resource in a private network (what RDB/containers do when they join one).
 * `address` given: used as is (CIDR form, e.g. "127.0.0.1/32"; the RDB endpoint must be reachable on loopback,
 * so it is not checked against the subnet); else the next free address of the private network's IPv4 subnet.
 * The caller flushes the store (with its own change).
 */
export function attachPrivateIp(
  ctx: SandboxContext,
  opts: {
    region: string;
    projectId: string;
    privateNetworkId: string;
    resource: { type: string; id: string; name: string };
    address?: string;
  },
): IpamIp {
  const pn = findPrivateNetwork(ctx, opts.region, opts.privateNetworkId);
  if (!pn) throw notFound("private_network", opts.privateNetworkId);
  const v4 = ipv4SubnetOf(pn);
  if (!v4) throw preconditionFailed("resource_exhausted", "the private network has no IPv4 subnet");
  const address = opts.address ?? nextFreeIpv4(ctx, pn);
  const now = timestamp();
  const ip: StoredIp = {
    address,
    created_at: now,
    id: newId(),
    is_ipv6: false,
    project_id: opts.projectId,
    region: opts.region,
    resource: { id: opts.resource.id, mac_address: randomMac(), name: opts.resource.name, type: opts.resource.type },
    reverses: [],
    source: { subnet_id: v4.subnet.id },
    tags: [...(MANAGED_TAGS[opts.resource.type] ?? [])],
    updated_at: now,
    zone: null,
    private_network_id: pn.id,
    vpc_id: pn.vpc_id,
  };
  ips(ctx).put(ip.id, ip);
  return wire(ip);
}

/** Releases every IPAM IP attached to that resource (on its deletion or when it leaves the network). The caller flushes. */
export function detachPrivateIps(ctx: SandboxContext, resourceId: string): void {
  for (const ip of ips(ctx).all()) if (ip.resource?.id === resourceId) ips(ctx).delete(ip.id);
}

/** The IPs of a private network's subnet that are taken (by address, without the prefix length). */
const takenIn = (ctx: SandboxContext, pnId: string): Set<string> =>
  new Set(
    ips(ctx)
      .all()
      .filter((ip) => ip.private_network_id === pnId)
      .map((ip) => ip.address.split("/")[0] ?? ""),
  );

/** The next free IPv4 of the network, from .2 (.1 is the gateway, as recorded: the first IP booked is .2). */
function nextFreeIpv4(ctx: SandboxContext, pn: PrivateNetwork): string {
  const v4 = ipv4SubnetOf(pn)!;
  const taken = takenIn(ctx, pn.id);
  const last = v4.cidr.network + 2 ** (32 - v4.cidr.prefix) - 2;
  for (let n = v4.cidr.network + 2; n <= last; n++) {
    if (!taken.has(formatIpv4(n))) return `${formatIpv4(n)}/${v4.cidr.prefix}`;
  }
  throw preconditionFailed("resource_exhausted", `no free address left in ${v4.subnet.subnet}`);
}

function randomIpv6In(subnet: string): string {
  const prefix = subnet.replace(/::\/64$/, "");
  const groups = [...randomBytes(8)].reduce<string[]>((acc, byte, i) => {
    if (i % 2 === 0) acc.push(byte.toString(16).padStart(2, "0"));
    else acc[acc.length - 1] += byte.toString(16).padStart(2, "0");
    return acc;
  }, []);
  return `${prefix}:${groups.map((g) => g.replace(/^0+(?=.)/, "")).join(":")}/64`;
}

export function ipamRoutes(router: Router, ctx: SandboxContext): void {
  const base = "/ipam/v1/regions/{region}/ips";
  const find = (region: string | undefined, id: string | undefined): StoredIp =>
    findInRegion(
      (i) => ips(ctx).get(i),
      region,
      id,
      () => notFound("ip", id ?? ""),
    );
  const save = async (ip: StoredIp): Promise<{ body: IpamIp }> => {
    ips(ctx).put(ip.id, ip);
    await ctx.store.flush();
    return { body: wire(ip) };
  };
  /** A custom resource given by the client: Scaleway names it `custom` and gives it the IP's id, the MAC upper-cased. */
  const customResource = (ipId: string, raw: unknown): IpamResource | null => {
    if (raw === null || raw === undefined || typeof raw !== "object") return null;
    const r = raw as JsonObject;
    const mac = typeof r.mac_address === "string" ? r.mac_address.toUpperCase() : null;
    const name = typeof r.name === "string" ? r.name : null;
    return { id: ipId, mac_address: mac, name, type: "custom" };
  };

  router.add("POST", base, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const projectId = f.uuid("project_id", { required: true });
    const isIpv6 = f.boolean("is_ipv6") ?? false;
    const asked = f.string("address");
    const tags = f.strings("tags") ?? [];
    const source = (req.body.source ?? {}) as JsonObject;
    const pnId = typeof source.private_network_id === "string" ? source.private_network_id : undefined;
    const subnetId = typeof source.subnet_id === "string" ? source.subnet_id : undefined;
    if (!pnId && !subnetId) f.fail("source", "required", "a private_network_id or a subnet_id is required (zonal IPs are not emulated)");
    f.check();
    const pn = pnId
      ? findPrivateNetwork(ctx, region, pnId)
      : ctx.store
          .collection<PrivateNetwork>(PRIVATE_NETWORKS)
          .all()
          .find((p) => p.region === region && p.subnets.some((s) => s.id === subnetId));
    if (!pn) throw notFound(pnId ? "private_network" : "subnet", pnId ?? subnetId ?? "");
    const subnet = pn.subnets.find((s) => (subnetId ? s.id === subnetId : s.subnet.includes(":") === isIpv6));
    if (!subnet) throw invalidArgument("is_ipv6", "constraint", `the private network has no IPv${isIpv6 ? 6 : 4} subnet`);
    let address: string;
    if (isIpv6) {
      address = asked ? `${asked}/64` : randomIpv6In(subnet.subnet);
    } else if (asked) {
      const v4 = ipv4SubnetOf(pn)!;
      const n = parseIpv4(asked);
      if (n === undefined || !contains(v4.cidr, n))
        throw invalidArgument("address", "constraint", `${asked} is not in ${v4.subnet.subnet}`);
      if (takenIn(ctx, pn.id).has(asked)) throw alreadyExists("ip", asked, `${asked} is already booked`);
      address = `${asked}/${v4.cidr.prefix}`;
    } else {
      address = nextFreeIpv4(ctx, pn);
    }
    const now = timestamp();
    const id = newId();
    return save({
      address,
      created_at: now,
      id,
      is_ipv6: isIpv6,
      project_id: projectId,
      region,
      resource: customResource(id, req.body.resource),
      reverses: [],
      source: { subnet_id: subnet.id },
      tags,
      updated_at: now,
      zone: null,
      private_network_id: pn.id,
      vpc_id: pn.vpc_id,
    });
  });

  router.add("GET", base, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const has = (name: string) => q.get(name) !== null && q.get(name) !== "";
    const tags = q.getAll("tags");
    const resourceIds = q.getAll("resource_ids");
    const types = q.getAll("resource_types");
    const ipIds = q.getAll("ip_ids");
    const type = q.get("resource_type");
    const flag = (name: string) => (has(name) ? q.get(name) === "true" : undefined);
    const attached = flag("attached");
    const isIpv6 = flag("is_ipv6");
    const mac = q.get("mac_address")?.toUpperCase();
    const orgOf = (p: string) => organizationOf(ctx, p);
    const matches = ips(ctx)
      .all()
      .filter((ip) => ip.region === region)
      .filter((ip) => !has("project_id") || ip.project_id === q.get("project_id"))
      .filter((ip) => !has("organization_id") || orgOf(ip.project_id) === q.get("organization_id"))
      .filter((ip) => !has("private_network_id") || ip.private_network_id === q.get("private_network_id"))
      .filter((ip) => !has("subnet_id") || ("subnet_id" in ip.source && ip.source.subnet_id === q.get("subnet_id")))
      .filter((ip) => !has("vpc_id") || ip.vpc_id === q.get("vpc_id"))
      .filter((ip) => !has("zonal") || ip.zone === q.get("zonal"))
      .filter((ip) => attached === undefined || (ip.resource !== null) === attached)
      .filter((ip) => isIpv6 === undefined || ip.is_ipv6 === isIpv6)
      .filter((ip) => !has("resource_id") || ip.resource?.id === q.get("resource_id"))
      .filter((ip) => resourceIds.length === 0 || resourceIds.includes(ip.resource?.id ?? ""))
      .filter((ip) => !type || type === "unknown_type" || ip.resource?.type === type)
      .filter((ip) => types.length === 0 || types.includes(ip.resource?.type ?? ""))
      .filter((ip) => !has("resource_name") || ip.resource?.name === q.get("resource_name"))
      .filter((ip) => !mac || ip.resource?.mac_address?.toUpperCase() === mac)
      .filter((ip) => ipIds.length === 0 || ipIds.includes(ip.id))
      .filter((ip) => tags.every((t) => ip.tags.includes(t)));
    const created = byField<StoredIp>((ip) => ip.created_at);
    const updated = byField<StoredIp>((ip) => ip.updated_at);
    const address = byField<StoredIp>((ip) => ip.address);
    const macs = byField<StoredIp>((ip) => ip.resource?.mac_address ?? "");
    const page = paginate(
      q,
      matches,
      {
        created_at_desc: created.desc,
        created_at_asc: created.asc,
        updated_at_desc: updated.desc,
        updated_at_asc: updated.asc,
        // No attachment time is kept: an IP is attached when it is created with its resource.
        attached_at_desc: created.desc,
        attached_at_asc: created.asc,
        ip_address_desc: address.desc,
        ip_address_asc: address.asc,
        mac_address_desc: macs.desc,
        mac_address_asc: macs.asc,
      },
      "created_at_desc",
    );
    return { body: { ips: page.items.map(wire), total_count: page.total } };
  });

  router.add("GET", `${base}/{ip_id}`, (req) => ({ body: wire(find(req.params.region, req.params.ip_id)) }));

  router.add("PATCH", `${base}/{ip_id}`, async (req) => {
    const ip = find(req.params.region, req.params.ip_id);
    const f = new Fields(req.body);
    const tags = f.strings("tags");
    f.check();
    const reverses = Array.isArray(req.body.reverses)
      ? (req.body.reverses as JsonObject[]).map((r) => ({
          address: typeof r.address === "string" ? r.address : null,
          hostname: typeof r.hostname === "string" ? r.hostname : "",
        }))
      : ip.reverses;
    return save({ ...ip, tags: tags ?? ip.tags, reverses, updated_at: timestamp() });
  });

  router.add("DELETE", `${base}/{ip_id}`, async (req) => {
    const ip = find(req.params.region, req.params.ip_id);
    ips(ctx).delete(ip.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("POST", `${base}/{ip_id}/move`, async (req) => {
    const ip = find(req.params.region, req.params.ip_id);
    const to = req.body.to_resource;
    return save({ ...ip, resource: customResource(ip.id, to), updated_at: timestamp() });
  });
}
