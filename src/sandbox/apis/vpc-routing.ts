import { newId, timestamp } from "../clock.js";
import { checkRegion, type SandboxContext } from "../context.js";
import { invalidArgument, notFound, ScwError } from "../errors.js";
import { Fields } from "../fields.js";
import { findInRegion } from "../lookup.js";
import { ordersBy, paginate, sameAsQuery } from "../pagination.js";
import type { Router } from "../router.js";

/**
 * VPC v2 routing (vpc-connectors, routes, ingress-rules), beside vpc.ts, which gives it its lookups
 * (VPCs and private networks live there).
 */
export interface RoutingLookups {
  findVpc(region: string | undefined, id: string | undefined): { id: string; project_id: string; organization_id: string };
  findPn(
    region: string | undefined,
    id: string | undefined,
  ): { id: string; vpc_id: string; subnets: { subnet: string; created_at: string }[] };
  pnsOf(vpcId: string): { id: string; subnets: { subnet: string; created_at: string; updated_at: string }[] }[];
}

/** vpc/v2 VpcConnector, in the recorded (alphabetical) order; `status` is derived. */
export interface VpcConnector {
  created_at: string;
  id: string;
  name: string;
  organization_id: string;
  project_id: string;
  region: string;
  status: "orphan" | "active";
  tags: string[];
  target_vpc_id: string;
  updated_at: string;
  vpc_id: string;
}

/** vpc/v2 Route, as recorded. */
export interface Route {
  created_at: string;
  description: string;
  destination: string;
  id: string;
  is_read_only: boolean;
  nexthop_private_network_id: string | null;
  nexthop_resource_id: string | null;
  nexthop_vpc_connector_id: string | null;
  region: string;
  tags: string[];
  type: "custom" | "subnet";
  updated_at: string;
  vpc_id: string;
}

/** vpc/v2 IngressRule, as recorded. */
export interface IngressRule {
  created_at: string;
  description: string;
  id: string;
  is_ipv6: boolean;
  nexthop_private_network_id: string;
  nexthop_resource_ip: string;
  organization_id: string;
  project_id: string;
  region: string;
  source: string;
  tags: string[];
  updated_at: string;
  vpc_id: string;
}

export const CONNECTORS = "vpc.connectors";
export const ROUTES = "vpc.routes";
export const INGRESS_RULES = "vpc.ingress_rules";

/** Recorded for routes and ingress rules: their not-found names no resource. */
const unknownNotFound = (): ScwError =>
  new ScwError(404, { message: "resource is not found", resource: "unknown", resource_id: "", type: "not_found" });

export function vpcRoutingRoutes(router: Router, ctx: SandboxContext, vpcs: RoutingLookups): void {
  const connectors = () => ctx.store.collection<VpcConnector>(CONNECTORS);
  const routes = () => ctx.store.collection<Route>(ROUTES);
  const ingress = () => ctx.store.collection<IngressRule>(INGRESS_RULES);
  const base = "/vpc/v2/regions/{region}";
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };
  /** A connector is active once the target VPC has one back. */
  const connectorWire = (c: VpcConnector): VpcConnector => ({
    ...c,
    status: connectors()
      .all()
      .some((o) => o.vpc_id === c.target_vpc_id && o.target_vpc_id === c.vpc_id)
      ? "active"
      : "orphan",
  });
  const findConnector = (region: string | undefined, id: string | undefined): VpcConnector =>
    findInRegion(
      (i) => connectors().get(i),
      region,
      id,
      () => notFound("vpc_connector", id ?? ""),
    );
  const findRoute = (region: string | undefined, id: string | undefined): Route =>
    findInRegion((i) => routes().get(i), region, id, unknownNotFound);
  const findIngress = (region: string | undefined, id: string | undefined): IngressRule =>
    findInRegion((i) => ingress().get(i), region, id, unknownNotFound);

  // VPC connectors.
  router.add("POST", `${base}/vpc-connectors`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const name = f.string("name") || "vpc-connector";
    const tags = f.strings("tags") ?? [];
    const vpcId = f.uuid("vpc_id", { required: true });
    const targetId = f.uuid("target_vpc_id", { required: true });
    f.check();
    const vpc = vpcs.findVpc(region, vpcId);
    vpcs.findVpc(region, targetId);
    const now = timestamp();
    const connector: VpcConnector = {
      created_at: now,
      id: newId(),
      name,
      organization_id: vpc.organization_id,
      project_id: vpc.project_id,
      region,
      status: "orphan",
      tags,
      target_vpc_id: targetId,
      updated_at: now,
      vpc_id: vpcId,
    };
    connectors().put(connector.id, connector);
    return save(connectorWire(connector));
  });

  router.add("GET", `${base}/vpc-connectors`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const tags = q.getAll("tags");
    const matches = connectors()
      .all()
      .filter((c) => c.region === region)
      .filter((c) => !q.get("name") || c.name.includes(q.get("name") ?? ""))
      .filter(sameAsQuery(q, "project_id", "organization_id", "vpc_id", "target_vpc_id"))
      .filter((c) => tags.every((t) => c.tags.includes(t)))
      .map(connectorWire)
      .filter((c) => !q.get("status") || q.get("status") === "unknown_vpc_connector_status" || c.status === q.get("status"));
    const page = paginate(q, matches, ordersBy<VpcConnector>({ created_at: (x) => x.created_at, name: (c) => c.name }), "created_at_asc");
    return { body: { total_count: page.total, vpc_connectors: page.items } };
  });

  router.add("GET", `${base}/vpc-connectors/{id}`, (req) => ({
    body: connectorWire(findConnector(req.params.region, req.params.id)),
  }));

  router.add("PATCH", `${base}/vpc-connectors/{id}`, async (req) => {
    const c = findConnector(req.params.region, req.params.id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const tags = f.strings("tags");
    f.check();
    const updated: VpcConnector = { ...c, name: name ?? c.name, tags: tags ?? c.tags, updated_at: timestamp() };
    connectors().put(c.id, updated);
    return save(connectorWire(updated));
  });

  router.add("DELETE", `${base}/vpc-connectors/{id}`, async (req) => {
    const c = findConnector(req.params.region, req.params.id);
    connectors().delete(c.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  // Custom routes; the list also answers each private network subnet's read-only route.
  const readRouteNexthop = (f: Fields, region: string) => {
    const pnId = f.uuid("nexthop_private_network_id");
    const resourceId = f.uuid("nexthop_resource_id");
    const connectorId = f.uuid("nexthop_vpc_connector_id");
    if (pnId) vpcs.findPn(region, pnId);
    if (connectorId) findConnector(region, connectorId);
    return { pnId: pnId ?? null, resourceId: resourceId ?? null, connectorId: connectorId ?? null };
  };

  router.add("POST", `${base}/routes`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const description = f.string("description") ?? "";
    const tags = f.strings("tags") ?? [];
    const vpcId = f.uuid("vpc_id", { required: true });
    const destination = f.string("destination", { required: true });
    f.check();
    vpcs.findVpc(region, vpcId);
    const hop = readRouteNexthop(f, region);
    f.check();
    if (!hop.pnId && !hop.resourceId && !hop.connectorId)
      throw invalidArgument("nexthop", "required", "one of nexthop_private_network_id, nexthop_resource_id or nexthop_vpc_connector_id");
    const now = timestamp();
    const route: Route = {
      created_at: now,
      // Recorded: a route created with no description answers "Custom route".
      description: description || "Custom route",
      destination,
      id: newId(),
      is_read_only: false,
      nexthop_private_network_id: hop.pnId,
      nexthop_resource_id: hop.resourceId,
      nexthop_vpc_connector_id: hop.connectorId,
      region,
      tags,
      type: "custom",
      updated_at: now,
      vpc_id: vpcId,
    };
    routes().put(route.id, route);
    return save(route);
  });

  router.add("GET", `${base}/routes/{id}`, (req) => ({ body: findRoute(req.params.region, req.params.id) }));

  router.add("PATCH", `${base}/routes/{id}`, async (req) => {
    const route = findRoute(req.params.region, req.params.id);
    const f = new Fields(req.body);
    const description = f.string("description");
    const tags = f.strings("tags");
    const destination = f.string("destination");
    const hop = readRouteNexthop(f, route.region);
    f.check();
    const changedHop = hop.pnId || hop.resourceId || hop.connectorId;
    const updated: Route = {
      ...route,
      description: description ?? route.description,
      tags: tags ?? route.tags,
      destination: destination ?? route.destination,
      ...(changedHop
        ? {
            nexthop_private_network_id: hop.pnId,
            nexthop_resource_id: hop.resourceId,
            nexthop_vpc_connector_id: hop.connectorId,
          }
        : {}),
      updated_at: timestamp(),
    };
    routes().put(route.id, updated);
    return save(updated);
  });

  router.add("DELETE", `${base}/routes/{id}`, async (req) => {
    const route = findRoute(req.params.region, req.params.id);
    routes().delete(route.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("GET", `${base}/routes-with-nexthop`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const vpcId = q.get("vpc_id") ?? "";
    const tags = q.getAll("tags");
    const subnetRoutes: Route[] = vpcId
      ? vpcs.pnsOf(vpcId).flatMap((pn) =>
          pn.subnets.map((s) => ({
            created_at: s.created_at,
            description: "Local Private Network route",
            destination: s.subnet,
            id: "",
            is_read_only: true,
            nexthop_private_network_id: pn.id,
            nexthop_resource_id: null,
            nexthop_vpc_connector_id: null,
            region,
            tags: ["MANAGED"],
            type: "subnet" as const,
            updated_at: s.updated_at,
            vpc_id: vpcId,
          })),
        )
      : [];
    const isIpv6 = q.get("is_ipv6");
    const matches = [...subnetRoutes, ...routes().all()]
      .filter((r) => r.region === region)
      .filter((r) => !vpcId || r.vpc_id === vpcId)
      .filter(sameAsQuery(q, "nexthop_private_network_id", "nexthop_resource_id", "nexthop_vpc_connector_id"))
      .filter((r) => !q.get("contains") || r.destination === q.get("contains"))
      .filter((r) => isIpv6 === null || r.destination.includes(":") === (isIpv6 === "true"))
      .filter((r) => tags.every((t) => r.tags.includes(t)));
    const page = paginate(
      q,
      matches,
      ordersBy<Route>({ created_at: (x) => x.created_at, destination: (r) => r.destination }),
      "created_at_asc",
    );
    const items = page.items.map((route) => ({
      nexthop_ip: null,
      nexthop_name: null,
      nexthop_resource_type: "unknown_type",
      route,
    }));
    return { body: { routes: items, total_count: page.total } };
  });

  // Ingress rules: traffic from `source` into the VPC goes to an IP of one of its private networks.
  router.add("POST", `${base}/ingress-rules`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const vpcId = f.uuid("vpc_id", { required: true });
    const source = f.string("source", { required: true });
    const ip = f.string("nexthop_resource_ip", { required: true });
    const pnId = f.uuid("nexthop_private_network_id", { required: true });
    const description = f.string("description") ?? "";
    const tags = f.strings("tags") ?? [];
    f.check();
    const vpc = vpcs.findVpc(region, vpcId);
    vpcs.findPn(region, pnId);
    const now = timestamp();
    const rule: IngressRule = {
      created_at: now,
      description,
      id: newId(),
      is_ipv6: source.includes(":"),
      nexthop_private_network_id: pnId,
      nexthop_resource_ip: ip,
      organization_id: vpc.organization_id,
      project_id: vpc.project_id,
      region,
      source,
      tags,
      updated_at: now,
      vpc_id: vpcId,
    };
    ingress().put(rule.id, rule);
    return save(rule);
  });

  router.add("GET", `${base}/ingress-rules`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const tags = q.getAll("tags");
    const isIpv6 = q.get("is_ipv6");
    const matches = ingress()
      .all()
      .filter((r) => r.region === region)
      .filter(sameAsQuery(q, "vpc_id", "nexthop_private_network_id", "nexthop_resource_ip", "project_id", "organization_id", "source"))
      .filter((r) => isIpv6 === null || r.is_ipv6 === (isIpv6 === "true"))
      .filter((r) => tags.every((t) => r.tags.includes(t)));
    const page = paginate(q, matches, ordersBy<IngressRule>({ created_at: (x) => x.created_at }), "created_at_asc");
    return { body: { rules: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/ingress-rules/{id}`, (req) => ({ body: findIngress(req.params.region, req.params.id) }));

  router.add("PATCH", `${base}/ingress-rules/{id}`, async (req) => {
    const rule = findIngress(req.params.region, req.params.id);
    const f = new Fields(req.body);
    const description = f.string("description");
    const tags = f.strings("tags");
    const source = f.string("source");
    const ip = f.string("nexthop_resource_ip");
    const pnId = f.uuid("nexthop_private_network_id");
    f.check();
    if (pnId) vpcs.findPn(rule.region, pnId);
    const updated: IngressRule = {
      ...rule,
      description: description ?? rule.description,
      tags: tags ?? rule.tags,
      source: source ?? rule.source,
      is_ipv6: (source ?? rule.source).includes(":"),
      nexthop_resource_ip: ip ?? rule.nexthop_resource_ip,
      nexthop_private_network_id: pnId ?? rule.nexthop_private_network_id,
      updated_at: timestamp(),
    };
    ingress().put(rule.id, updated);
    return save(updated);
  });

  router.add("DELETE", `${base}/ingress-rules/{id}`, async (req) => {
    const rule = findIngress(req.params.region, req.params.id);
    ingress().delete(rule.id);
    await ctx.store.flush();
    return { status: 204 };
  });
}
