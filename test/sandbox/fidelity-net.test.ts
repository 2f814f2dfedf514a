import { describe, it } from "vitest";
import { SERVED_PATHS } from "./cassettes.js";
import { FIDELITY_TOKEN, replayOnSandbox } from "./fidelity-run.js";

/**
 * The VPC, IPAM and IAM emulation against Scaleway's recorded real traffic: every cassette of the
 * provider's vpc, ipam and iam services whose calls the sandbox serves (these APIs, plus account and
 * secret, which some of them create around) is replayed, and each answer must have the recorded
 * status, field names and value types.
 */
describe("sandbox fidelity: VPC, IPAM and IAM recorded traffic", () => {
  it("answers every replayed request of the vpc, ipam and iam cassettes with the recorded shape", async () => {
    // The recordings' organization, whose id is also its default project's (as the recorded answers show).
    const recordedOrg = "564aa517-68b0-4fd7-8c8c-d21c4bcdcbd5";
    await replayOnSandbox({
      name: "evalap-fidelity-net-",
      sandbox: { account: { organizationId: recordedOrg, defaultProjectId: recordedOrg } },
      prepare: async (sandbox) => {
        // data-source-vpc-default reads the account's default VPC, which existed before the recording: ours stands for it.
        const defaults = await fetch(`${sandbox.url}/vpc/v2/regions/fr-par/vpcs?is_default=true&project_id=${recordedOrg}`, {
          headers: { "X-Auth-Token": FIDELITY_TOKEN },
        });
        const defaultVpc = ((await defaults.json()) as { vpcs: { id: string }[] }).vpcs[0]?.id ?? "";
        return {
          foreignIds: {
            "086a5171-f7ab-4667-a231-840a81203f19": defaultVpc,
            // The recordings' IAM organization, read by path (SAML, SCIM): an organization is no resource to create.
            "105bdce1-64c0-48ab-899d-868455867ecf": "105bdce1-64c0-48ab-899d-868455867ecf",
          },
        };
      },
      skip: {
        "iam/group-membership-basic":
          "records a race of the real API: remove-member answered 409 transient_state (group still updating after add-member) then 200 on the provider's retry; an emulator that is never mid-update answers 200 at once",
      },
      services: ["vpc", "ipam", "iam"],
      // Everything the sandbox serves: these cassettes also create projects and secrets around the resources.
      servedPaths: Object.values(SERVED_PATHS).flat(),
    });
  }, 300_000);
});
