import { randomBytes } from "node:crypto";
import { newId, statusAfter, timestamp } from "../../clock.js";
import { checkRegion, type SandboxContext } from "../../context.js";
import { invalidArgument, notFound, ScwError } from "../../errors.js";
import { Fields } from "../../fields.js";
import type { Router } from "../../router.js";

/**
 * Container tokens (`/containers/v1beta1/regions/{region}/tokens`: create, get, delete), what
 * `scaleway_container_token` calls (provider v2.81 internal/services/container/token.go, through
 * scaleway-sdk-go's container/v1beta1), fields as recorded in container/testdata/token-basic.cassette.yaml:
 * the token is answered at creation only; a get answers `"<hidden>"` as recorded. A token is for one
 * container or for every container of a namespace; `tokenAllows` says whether one opens a container.
 */
interface StoredToken {
  id: string;
  token: string;
  container_id?: string;
  namespace_id?: string;
  description: string;
  expires_at: string | null;
  created_at: string;
  region: string;
}

export const CONTAINER_TOKENS = "container.tokens";

/** A token opens the container it names, or every container of the namespace it names, until it expires. */
export function tokenAllows(ctx: SandboxContext, token: string, container: { id: string; namespace_id: string }): boolean {
  return ctx.store
    .collection<StoredToken>(CONTAINER_TOKENS)
    .all()
    .some(
      (t) =>
        t.token === token &&
        (t.container_id === container.id || t.namespace_id === container.namespace_id) &&
        (t.expires_at === null || Date.parse(t.expires_at) > Date.now()),
    );
}

export function tokenRoutes(
  router: Router,
  ctx: SandboxContext,
  exists: { container: (region: string, id: string) => boolean; namespace: (region: string, id: string) => boolean },
): void {
  const tokens = () => ctx.store.collection<StoredToken>(CONTAINER_TOKENS);
  const base = "/containers/v1beta1/regions/{region}/tokens";
  const wire = (t: StoredToken, reveal: boolean) => ({
    token: reveal ? t.token : "<hidden>",
    public_key: "",
    ...(t.container_id ? { container_id: t.container_id } : {}),
    ...(t.namespace_id ? { namespace_id: t.namespace_id } : {}),
    id: t.id,
    status: statusAfter(t.created_at, ctx.readyDelayMs, "creating", "ready"),
    expires_at: t.expires_at,
    description: t.description,
  });
  const find = (region: string | undefined, id: string | undefined): StoredToken => {
    const t = tokens().get(id ?? "");
    // As recorded: a bare message, no type.
    if (!t || t.region !== region) throw new ScwError(404, { message: "Token was not found" });
    return t;
  };

  router.add("POST", base, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const containerId = f.uuid("container_id");
    const namespaceId = f.uuid("namespace_id");
    const description = f.string("description") ?? "";
    const expires = f.string("expires_at");
    f.check();
    if ((containerId === undefined) === (namespaceId === undefined))
      throw invalidArgument("container_id", "constraint", "exactly one of container_id and namespace_id must be set");
    if (expires !== undefined && Number.isNaN(Date.parse(expires)))
      throw invalidArgument("expires_at", "format", "must be an RFC 3339 time");
    if (containerId && !exists.container(region, containerId)) throw notFound("container", containerId);
    if (namespaceId && !exists.namespace(region, namespaceId)) throw notFound("namespace", namespaceId);
    const t: StoredToken = {
      id: newId(),
      token: `sbx.${randomBytes(32).toString("base64url")}`,
      ...(containerId ? { container_id: containerId } : {}),
      ...(namespaceId ? { namespace_id: namespaceId } : {}),
      description,
      expires_at: expires === undefined ? null : new Date(expires).toISOString().replace(/\.\d{3}Z$/, "Z"),
      created_at: timestamp(),
      region,
    };
    tokens().put(t.id, t);
    await ctx.store.flush();
    return { body: wire(t, true) };
  });

  router.add("GET", `${base}/{token_id}`, (req) => ({ body: wire(find(req.params.region, req.params.token_id), false) }));

  router.add("DELETE", `${base}/{token_id}`, async (req) => {
    const t = find(req.params.region, req.params.token_id);
    tokens().delete(t.id);
    await ctx.store.flush();
    // As recorded: the token emptied and `deleting`.
    return { body: { ...wire(t, false), token: "", status: "deleting" } };
  });
}
