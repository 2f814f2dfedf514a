import { createClient, type Client } from "@scaleway/sdk-client";

/** A JSON call to a sandbox started in the test (`startSandbox`); a status of 300 or more throws with the answer. */
export type SandboxCall = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** `url` is read at each call: the sandbox starts in the test's beforeAll. */
export function sandboxCall(url: () => string | undefined, token: string): SandboxCall {
  return async (method, p, body) => {
    const res = await fetch(`${url() ?? ""}${p}`, {
      method,
      headers: { "X-Auth-Token": token, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}

/** Polls a container until it is ready or in error (deadline: 60 s, then its last state). */
export async function settledContainer(call: SandboxCall, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const c = await call("GET", `/containers/v1/regions/fr-par/containers/${id}`);
    if (c.status === "ready" || c.status === "error" || Date.now() > deadline) return c;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The real SDK's client on a sandbox started in the test, for one project, in fr-par. */
export function sdkClient(url: string, token: string, project: string): Client {
  return createClient({
    accessKey: "SCWXXXXXXXXXXXXXXXXX",
    secretKey: token,
    apiURL: url,
    defaultOrganizationId: project,
    defaultProjectId: project,
    defaultRegion: "fr-par",
  });
}
