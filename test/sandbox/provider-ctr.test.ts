import { createHash } from "node:crypto";
import { cp, mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, REPO } from "../helpers/project.js";
import { providerHarness } from "./provider-harness.js";

/**
 * The real tofu + provider apply infra/modules/container-registry and serverless-container on the
 * sandbox: a pushed image runs as the EvalAP stand-in, its URL (the module's `services` output)
 * answers, no drift (also after a restart), an env change redeploys it, an image never pushed ends
 * in `error` (tofu warns with Scaleway's message), and destroy kills the stand-in. Needs `npm run build`.
 */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
/** Waits (at most 10 s) for a process to be gone; false if it is still running then. */
const stopped = async (pid: number): Promise<boolean> => {
  for (let n = 0; n < 100 && alive(pid); n++) await new Promise((r) => setTimeout(r, 100));
  return !alive(pid);
};

describe("the real provider on the sandbox (registry + serverless containers, EvalAP stand-in)", () => {
  const h = providerHarness({ prefix: "evalap-sandbox-ctr-" });
  const root = h.root();
  const { tofu, outputs, noDrift } = root;

  beforeAll(async () => {
    await h.start();
    await cp(path.join(FIXTURES, "sandbox-ctr"), root.dir, { recursive: true });
    await mkdir(path.join(root.dir, "modules"));
    for (const m of ["container-registry", "serverless-container"]) {
      await cp(path.join(REPO, "infra", "modules", m), path.join(root.dir, "modules", m), {
        recursive: true,
        filter: (src) => !src.includes(`${path.sep}tests`),
      });
    }
  });

  afterAll(() => h.cleanup());

  const api = async (method: string, p: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await h.fetch(p, {
      method,
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  };
  const service = async () => {
    const services = (await outputs()).services as Record<string, { url: string; health_path: string; id: string }>;
    const s = services.evalap;
    if (!s) throw new Error("no evalap service in the outputs");
    return s;
  };
  const pidOf = async (id: string): Promise<number> => {
    const r = await api("GET", `/_sandbox/containers/${id.replace(/^fr-par\//, "")}`);
    expect(r.status).toBe(200);
    return r.json.pid as number;
  };
  const proof = async (url: string, admin: string) => {
    const res = await fetch(`${url}/_standin/proof`, { headers: { "x-evalap-admin": admin } });
    return {
      status: res.status,
      json: (await res.json()) as { env: string; image: string; database: { connected: boolean }; secrets: Record<string, string | null> },
    };
  };
  const sha256 = (v: string) => createHash("sha256").update(v).digest("hex");

  it("deploys a pushed image as a running stand-in, redeploys on change, reports an unpushed image, destroys", async () => {
    expect((await tofu("init", "-input=false")).exitCode).toBe(0);

    // The registry first, then the image is pushed (as `evalap-infra sandbox push` will), then the rest.
    const reg = await tofu("apply", "-auto-approve", "-input=false", "-target=module.registry");
    expect(reg.exitCode, reg.output).toBe(0);
    const ref = "rg.fr-par.scw.cloud/evalap-sbx/evalap:v1";
    const pushed = await api("POST", "/_sandbox/registry/images", { image: ref });
    expect(pushed.status, JSON.stringify(pushed.json)).toBe(200);
    expect(pushed.json.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // A namespace that does not exist refuses the push.
    expect((await api("POST", "/_sandbox/registry/images", { image: "rg.fr-par.scw.cloud/nope-nope/evalap:v1" })).status).toBe(404);

    const apply = await tofu("apply", "-auto-approve", "-input=false");
    expect(apply.exitCode, apply.output).toBe(0);
    expect(apply.output).not.toMatch(/Container is not ready/);
    const out = await outputs();
    expect(out.registry_endpoint).toBe("rg.fr-par.scw.cloud/evalap-sbx");
    expect(out.registry_found_by_name).toBe(true);
    const svc = await service();
    expect(svc.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${svc.url}${svc.health_path}`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { openapi?: string }).openapi).toBeTypeOf("string");
    // The stand-in got the secret: its hash, never its value.
    const p1 = await proof(svc.url, "sandbox-admin-token-1");
    expect(p1.status).toBe(200);
    expect(p1.json).toMatchObject({
      env: "dev",
      image: ref,
      database: { connected: false },
      secrets: { ADMIN_TOKEN: sha256("sandbox-admin-token-1") },
    });
    expect((await proof(svc.url, "wrong")).status).toBe(403);
    // The API answers the secret as an argon2id hash.
    const id = svc.id.replace(/^fr-par\//, "");
    const read = await api("GET", `/containers/v1/regions/fr-par/containers/${id}`);
    expect((read.json.secret_environment_variables as Record<string, string>).ADMIN_TOKEN).toMatch(/^\$argon2id\$v=19\$/);
    expect(JSON.stringify(read.json)).not.toContain("sandbox-admin-token-1");
    // The pushed image is listed with its tag.
    const images = await api("GET", `/registry/v1/regions/fr-par/images?name=evalap`);
    expect(images.json.total_count).toBe(1);
    const image = (images.json.images as { id: string; tags: string[] }[])[0];
    expect(image?.tags).toEqual(["v1"]);
    const tags = await api("GET", `/registry/v1/regions/fr-par/images/${image?.id}/tags`);
    expect((tags.json.tags as { digest: string }[])[0]?.digest).toBe(pushed.json.digest);
    await noDrift();

    // A change of environment and secret redeploys: a new process, same URL, the new secret.
    const pid1 = await pidOf(svc.id);
    const changed = ["-var", "log_level=DEBUG", "-var", "admin_token=sandbox-admin-token-2"];
    const change = await tofu("apply", "-auto-approve", "-input=false", ...changed);
    expect(change.exitCode, change.output).toBe(0);
    const pid2 = await pidOf(svc.id);
    expect(pid2).not.toBe(pid1);
    // The replaced revision is stopped once the new one serves (and its requests are answered).
    expect(await stopped(pid1)).toBe(true);
    expect((await service()).url).toBe(svc.url);
    expect((await proof(svc.url, "sandbox-admin-token-2")).json.secrets.ADMIN_TOKEN).toBe(sha256("sandbox-admin-token-2"));
    await noDrift(...changed);

    // A restart of the sandbox: the stand-in is back on the same port, and nothing drifts.
    await h.stop();
    expect(alive(pid2)).toBe(false);
    await h.boot();
    expect((await fetch(`${svc.url}/openapi.json`)).status).toBe(200);
    await noDrift(...changed);

    // An image never pushed: the container ends in error with Scaleway's message; tofu warns.
    const serving = await pidOf(svc.id);
    const bad = await tofu("apply", "-auto-approve", "-input=false", ...changed, "-var", "image_tag=v404");
    expect(bad.output).toMatch(/Container is not ready, but has status "error"/);
    // (tofu wraps long warnings: compared on one line)
    expect(bad.output.replace(/\s+/g, " ")).toMatch(
      /Unable to fetch image \\+"rg\.fr-par\.scw\.cloud\/evalap-sbx\/evalap:v404\\+": failed to resolve image to digest/,
    );
    const errored = await api("GET", `/containers/v1/regions/fr-par/containers/${id}`);
    expect(errored.json.status).toBe("error");
    // As Scaleway: after a failed deploy the version deployed before keeps serving
    // (docs-content containers-limitations.mdx, "Versioning and rollback").
    expect((await fetch(`${svc.url}/openapi.json`)).status).toBe(200);
    expect(await pidOf(svc.id)).toBe(serving);
    // Rolled back to the pushed image: ready again.
    const back = await tofu("apply", "-auto-approve", "-input=false", ...changed);
    expect(back.exitCode, back.output).toBe(0);
    expect((await fetch(`${svc.url}/openapi.json`)).status).toBe(200);
    const pid3 = await pidOf(svc.id);

    const destroy = await tofu("destroy", "-auto-approve", "-input=false", ...changed);
    expect(destroy.exitCode, destroy.output).toBe(0);
    expect(alive(pid3)).toBe(false);
    await expect(fetch(`${svc.url}/openapi.json`)).rejects.toThrow();
    expect((await api("GET", "/registry/v1/regions/fr-par/namespaces")).json.total_count).toBe(0);
    expect((await api("GET", "/containers/v1/regions/fr-par/namespaces")).json.total_count).toBe(0);
    // Nothing left in the state either (deleted records go once their `deleting` time is over).
    const left = (await api("GET", "/_sandbox/resources")).json.counts as Record<string, number>;
    for (const c of ["container.namespaces", "container.containers", "registry.namespaces", "registry.images", "registry.tags"]) {
      expect(left[c] ?? 0, c).toBe(0);
    }

    h.expectAllServed();
  }, 600_000);
});
