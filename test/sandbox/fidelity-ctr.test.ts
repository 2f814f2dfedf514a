import { describe, it } from "vitest";
import { type OutOfBandStep } from "./cassette-replay.js";
import { servedPathsOf } from "./cassettes.js";
import { replayOnSandbox } from "./fidelity-run.js";

/**
 * Serverless Containers v1 and Container Registry v1 against Scaleway's recorded real traffic: every
 * replayable cassette of the provider's `container` and `registry` services, each answer with the
 * recorded status, field names and value types. (Needs `npm run build`: containers whose image is
 * pushed run the stand-in; the recorded ones use Docker Hub images, which end in `error` here.)
 */
/** The image-tag cassette's test pushed `alpine:test` with docker between its interactions 2 and 3: pushed here through the sandbox's hook. */
const PUSH_ALPINE: OutOfBandStep = {
  before: 3,
  madeIds: ["97acc09a-89cb-4c45-8b75-207be248b202", "325e15bf-bd80-4c38-8c78-d169a20e031c"],
  run: async ({ baseUrl, token }) => {
    const call = async (method: string, p: string, body?: unknown) => {
      const res = await fetch(`${baseUrl}${p}`, {
        method,
        headers: { "X-Auth-Token": token, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as Record<string, string>;
    };
    const pushed = await call("POST", "/_sandbox/registry/images", {
      image: "rg.fr-par.scw.cloud/test-namespace-2/alpine:test",
      digest: "sha256:96e9340afe8cd4ab5ee2989f5a544c3405ff2fc2450dd1a6f9eee2a63e6cda56",
    });
    return { "97acc09a-89cb-4c45-8b75-207be248b202": pushed.image_id ?? "", "325e15bf-bd80-4c38-8c78-d169a20e031c": pushed.tag_id ?? "" };
  },
};

describe("sandbox fidelity: containers and registry", () => {
  it("answers every replayed request of the container and registry cassettes with the recorded shape", async () => {
    await replayOnSandbox({
      name: "evalap-fidelity-ctr-",
      services: ["container", "registry"],
      // The private-network cassette makes its VPC and private networks first: the VPC API (i9-net) is served too.
      servedPaths: servedPathsOf("container", "registry", "vpc"),
      outOfBand: { "registry/data-source-image-tag-basic": [PUSH_ALPINE] },
    });
  }, 300_000);
});
