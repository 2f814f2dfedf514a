import type { SandboxContext } from "../../context.js";
import { invalidArgument } from "../../errors.js";
import type { StoredEndpoint } from "./model.js";

/** What a create or an endpoint spec asks for a private network (rdb/v1 EndpointSpecPrivateNetwork). */
export interface PrivateNetworkSpec {
  private_network_id?: unknown;
  service_ip?: unknown;
  ipam_config?: unknown;
}

/**
 * A private network endpoint. Its server is the instance's own on 127.0.0.1, so its address is
 * 127.0.0.1 whatever the network's subnet: `service_ip` says so (`127.0.0.1/32`), for IPAM and static
 * endpoints alike, and the endpoint's port is the server's.
 */
export function privateEndpoint(
  _ctx: SandboxContext,
  instance: { id: string; name: string; region: string; project_id: string },
  spec: PrivateNetworkSpec,
  id: string,
): StoredEndpoint {
  const pnId = spec.private_network_id;
  if (typeof pnId !== "string" || pnId === "") {
    throw invalidArgument("endpoint_spec.private_network.private_network_id", "required", "is required");
  }
  const ipam = spec.service_ip === undefined || spec.service_ip === null || spec.ipam_config !== undefined;
  return {
    id,
    kind: "private_network",
    private_network: {
      private_network_id: pnId,
      provisioning_mode: ipam ? "ipam" : "static",
      service_ip: "127.0.0.1/32",
      zone: `${instance.region}-1`,
    },
  };
}

/** Releases what the instance's private endpoints hold in other APIs (their IPAM addresses). */
export function releasePrivateEndpoints(_ctx: SandboxContext, _instanceId: string): void {
  // Filled in with the IPAM emulation: its addresses are detached here.
}
