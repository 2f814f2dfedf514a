import type { SandboxContext } from "../../context.js";
import { invalidArgument, notFound } from "../../errors.js";
import { attachPrivateIp, detachPrivateIps } from "../ipam.js";
import { findPrivateNetwork } from "../vpc.js";
import type { StoredEndpoint } from "./model.js";

/** What a create or an endpoint spec asks for a private network (rdb/v1 EndpointSpecPrivateNetwork). */
export interface PrivateNetworkSpec {
  private_network_id?: unknown;
  service_ip?: unknown;
  ipam_config?: unknown;
}

/** The address of every private endpoint: the instance's server listens on 127.0.0.1 only. */
export const LOOPBACK = "127.0.0.1/32";

/**
 * A private network endpoint, on a private network the VPC API knows. Its server is the instance's
 * own, on 127.0.0.1: an IPAM endpoint books 127.0.0.1/32 in IPAM (not checked against the network's
 * subnet), a static one keeps the `service_ip` asked (what the provider reads back) and answers
 * 127.0.0.1 as its `ip`. The endpoint's port is the server's.
 */
export function privateEndpoint(ctx: SandboxContext, region: string, spec: PrivateNetworkSpec, id: string): StoredEndpoint {
  const pnId = spec.private_network_id;
  if (typeof pnId !== "string" || pnId === "") {
    throw invalidArgument("endpoint_spec.private_network.private_network_id", "required", "is required");
  }
  if (!findPrivateNetwork(ctx, region, pnId)) throw notFound("private_network", pnId);
  const staticIp = typeof spec.service_ip === "string" && spec.service_ip !== "" ? spec.service_ip : undefined;
  return {
    id,
    kind: "private_network",
    private_network: {
      private_network_id: pnId,
      provisioning_mode: staticIp ? "static" : "ipam",
      service_ip: staticIp ?? LOOPBACK,
      zone: `${region}-1`,
    },
  };
}

/** Books the IPAM addresses of an instance's IPAM endpoints (once the instance exists). The caller flushes. */
export function attachEndpointIps(
  ctx: SandboxContext,
  instance: { id: string; name: string; region: string; project_id: string },
  endpoints: StoredEndpoint[],
): void {
  for (const e of endpoints) {
    if (e.private_network?.provisioning_mode !== "ipam") continue;
    attachPrivateIp(ctx, {
      region: instance.region,
      projectId: instance.project_id,
      privateNetworkId: e.private_network.private_network_id,
      resource: { type: "rdb_instance", id: instance.id, name: instance.name },
      address: LOOPBACK,
    });
  }
}

/** Releases what the instance's private endpoints hold in IPAM. The caller flushes. */
export function releasePrivateEndpoints(ctx: SandboxContext, instanceId: string): void {
  detachPrivateIps(ctx, instanceId);
}
