import { createHash } from "node:crypto";
import { timestamp, newId, nowMs } from "../clock.js";
import { checkRegion, REGIONS, type SandboxContext } from "../context.js";
import { alreadyExists, invalidArgument, ScwError } from "../errors.js";
import { Fields } from "../fields.js";
import { findById } from "../lookup.js";
import { ordersBy, paginate, sameAsQuery } from "../pagination.js";
import type { Router } from "../router.js";
import type { Collection } from "../store.js";
import { PROJECTS, type Project } from "./account.js";
import { expireDeleted, forgetLater } from "./container/expire.js";

/**
 * Container Registry v1 (`/registry/v1/regions/{region}/`): namespaces, and the images and tags that
 * exist once pushed. Nothing is pulled or stored: a push (the `POST /_sandbox/registry/images` hook,
 * or pushImage) records an image and a tag with a digest, which is what Serverless Containers need
 * to know whether an image reference can run. Fields are in the recorded (alphabetical) order.
 */
export interface RegistryNamespace {
  created_at: string;
  description: string;
  endpoint: string;
  id: string;
  image_count: number;
  is_public: boolean;
  name: string;
  organization_id: string;
  project_id: string;
  region: string;
  size: number;
  status: "ready" | "deleting";
  status_message: string;
  updated_at: string;
}

export interface RegistryImage {
  created_at: string;
  id: string;
  name: string;
  namespace_id: string;
  size: number;
  status: "ready" | "deleting";
  status_message: string;
  tags: string[];
  updated_at: string;
  visibility: "inherit" | "public" | "private";
}

export interface RegistryTag {
  created_at: string;
  digest: string;
  id: string;
  image_id: string;
  name: string;
  status: "ready" | "deleting";
  updated_at: string;
}

/** What is stored: the wire record, the region, and when a delete was asked (it is `deleting` for readyDelayMs). */
type Stored<T> = T & { _region: string; _deleted_at?: string };

export const REGISTRY_NAMESPACES = "registry.namespaces";
export const REGISTRY_IMAGES = "registry.images";
export const REGISTRY_TAGS = "registry.tags";

/** As recorded: a registry 404 is a bare message, no type (`{"message":"Namespace was not found"}`). */
const registryNotFound = (what: "Namespace" | "Image" | "Tag"): ScwError => new ScwError(404, { message: `${what} was not found` });

const NAME = /^[a-z0-9][a-z0-9-]{2,52}[a-z0-9]$/;
/** rg.<region>.scw.cloud/<namespace>/<image>:<tag>, the references Serverless Containers pull. */
const REF = /^rg\.([a-z]+-[a-z]+)\.scw\.cloud\/([a-z0-9-]+)\/([a-z0-9][a-z0-9._/-]*):([A-Za-z0-9_][A-Za-z0-9._-]{0,127})$/;

export interface ImageRef {
  region: string;
  namespace: string;
  image: string;
  tag: string;
}

export function parseImageRef(ref: string): ImageRef | undefined {
  const m = REF.exec(ref);
  if (!m || !(REGIONS as readonly string[]).includes(m[1] ?? "")) return undefined;
  return { region: m[1] ?? "", namespace: m[2] ?? "", image: m[3] ?? "", tag: m[4] ?? "" };
}

function strip<T>(s: Stored<T>): T {
  const { _region, _deleted_at, ...wire } = s;
  void _region;
  void _deleted_at;
  return wire as T;
}

const collections = (ctx: SandboxContext) => ({
  namespaces: ctx.store.collection<Stored<RegistryNamespace>>(REGISTRY_NAMESPACES),
  images: ctx.store.collection<Stored<RegistryImage>>(REGISTRY_IMAGES),
  tags: ctx.store.collection<Stored<RegistryTag>>(REGISTRY_TAGS),
});

/** A record asked to be deleted is answered `deleting` for readyDelayMs, then is gone (404), as recorded. */
function live<T extends { status: string }>(ctx: SandboxContext, s: Stored<T> | undefined): Stored<T> | undefined {
  if (!s) return undefined;
  if (s._deleted_at === undefined) return s;
  return nowMs() - Date.parse(s._deleted_at) < ctx.readyDelayMs ? { ...s, status: "deleting" } : undefined;
}

export interface PushedImage {
  ref: string;
  digest: string;
  namespace_id: string;
  image_id: string;
  tag_id: string;
}

/**
 * Records a pushed image: `ref` is `rg.<region>.scw.cloud/<namespace>/<image>:<tag>` and the namespace
 * must exist in that region. A push to an existing tag moves it to a new digest (a new build). Throws a
 * ScwError (400 bad reference, 404 unknown namespace).
 */
export function pushImage(ctx: SandboxContext, ref: string, digest?: string): PushedImage {
  const parsed = parseImageRef(ref);
  if (!parsed) {
    throw invalidArgument(
      "image",
      "format",
      "must be rg.<region>.scw.cloud/<namespace>/<image>:<tag> (a region among fr-par, nl-ams, pl-waw)",
    );
  }
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest))
    throw invalidArgument("digest", "format", "must be sha256:<64 hex digits>");
  const { namespaces, images, tags } = collections(ctx);
  const ns = namespaces.all().find((n) => live(ctx, n)?.status === "ready" && n._region === parsed.region && n.name === parsed.namespace);
  if (!ns) throw registryNotFound("Namespace");
  const now = timestamp();
  const sum = digest ?? `sha256:${createHash("sha256").update(`${ref}\n${now}`).digest("hex")}`;
  let image = images.all().find((i) => i._deleted_at === undefined && i.namespace_id === ns.id && i.name === parsed.image);
  if (!image) {
    image = {
      created_at: now,
      id: newId(),
      name: parsed.image,
      namespace_id: ns.id,
      size: 0,
      status: "ready",
      status_message: "",
      tags: [],
      updated_at: now,
      visibility: "inherit",
      _region: ns._region,
    };
  }
  let tag = tags.all().find((t) => t._deleted_at === undefined && t.image_id === image.id && t.name === parsed.tag);
  tag = tag
    ? { ...tag, digest: sum, updated_at: now }
    : {
        created_at: now,
        digest: sum,
        id: newId(),
        image_id: image.id,
        name: parsed.tag,
        status: "ready",
        updated_at: now,
        _region: ns._region,
      };
  tags.put(tag.id, tag);
  images.put(image.id, { ...image, tags: [...new Set([...image.tags, parsed.tag])], updated_at: now });
  namespaces.put(ns.id, { ...ns, updated_at: now });
  return { ref, digest: sum, namespace_id: ns.id, image_id: image.id, tag_id: tag.id };
}

/** The digest an image reference resolves to in the sandbox registry, or undefined when it was never pushed (or was deleted). */
export function resolveImage(ctx: SandboxContext, ref: string): { digest: string } | undefined {
  const parsed = parseImageRef(ref);
  if (!parsed) return undefined;
  const { namespaces, images, tags } = collections(ctx);
  const ns = namespaces.all().find((n) => n._deleted_at === undefined && n._region === parsed.region && n.name === parsed.namespace);
  const image = ns && images.all().find((i) => i._deleted_at === undefined && i.namespace_id === ns.id && i.name === parsed.image);
  const tag = image && tags.all().find((t) => t._deleted_at === undefined && t.image_id === image.id && t.name === parsed.tag);
  return tag ? { digest: tag.digest } : undefined;
}

export function registryRoutes(router: Router, ctx: SandboxContext): void {
  const { namespaces, images, tags } = collections(ctx);
  expireDeleted(ctx, REGISTRY_NAMESPACES);
  expireDeleted(ctx, REGISTRY_IMAGES);
  const base = "/registry/v1/regions/{region}";
  const orgOf = (projectId: string) => ctx.store.collection<Project>(PROJECTS).get(projectId)?.organization_id ?? projectId;

  /** image_count and size are computed from the images the namespace holds. */
  const nsWire = (n: Stored<RegistryNamespace>): RegistryNamespace => {
    const held = images.all().filter((i) => i._deleted_at === undefined && i.namespace_id === n.id);
    return strip({ ...n, image_count: held.length, size: held.reduce((s, i) => s + i.size, 0) });
  };
  /** A live record of the region (records keep their region as `_region`: the wire's `region` is not stored). */
  const findLive = <T extends { status: string }>(
    collection: Collection<Stored<T>>,
    region: string | undefined,
    id: string | undefined,
    kind: Parameters<typeof registryNotFound>[0],
  ): Stored<T> => {
    const r = checkRegion(region);
    return findById(
      (i) => live(ctx, collection.get(i)),
      id,
      () => registryNotFound(kind),
      (x) => x._region === r,
    );
  };
  const findNs = (region: string | undefined, id: string | undefined) => findLive(namespaces, region, id, "Namespace");
  const findImage = (region: string | undefined, id: string | undefined) => findLive(images, region, id, "Image");
  const findTag = (region: string | undefined, id: string | undefined) => findLive(tags, region, id, "Tag");
  const liveAll = <T extends { status: string }>(all: Stored<T>[]) => all.map((x) => live(ctx, x)).filter((x): x is Stored<T> => !!x);
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };

  router.add("POST", `${base}/namespaces`, async (req) => {
    const region = checkRegion(req.params.region);
    const f = new Fields(req.body);
    const name = f.string("name", { required: true });
    if (name !== "" && !NAME.test(name))
      f.fail("name", "format", "must be 4-54 lowercase letters, digits or dashes, not starting or ending with a dash");
    const description = f.string("description") ?? "";
    const projectId = f.uuid("project_id") ?? f.uuid("organization_id");
    if (!projectId) f.fail("project_id", "required", "is required");
    const isPublic = f.boolean("is_public") ?? false;
    f.check();
    const clash = liveAll(namespaces.all()).find((n) => n._region === region && n.name === name);
    if (clash) throw alreadyExists("namespace", clash.id, `a registry namespace named ${name} already exists`);
    const now = timestamp();
    const ns: Stored<RegistryNamespace> = {
      created_at: now,
      description,
      endpoint: `rg.${region}.scw.cloud/${name}`,
      id: newId(),
      image_count: 0,
      is_public: isPublic,
      name,
      organization_id: orgOf(projectId ?? ""),
      project_id: projectId ?? "",
      region,
      size: 0,
      status: "ready",
      status_message: "",
      updated_at: now,
      _region: region,
    };
    namespaces.put(ns.id, ns);
    return save(nsWire(ns));
  });

  router.add("GET", `${base}/namespaces`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const matches = liveAll(namespaces.all())
      .filter((n) => n._region === region)
      .filter(sameAsQuery(q, "project_id", "organization_id", "name"));
    const page = paginate(
      q,
      matches,
      ordersBy<Stored<RegistryNamespace>>({ created_at: (n) => n.created_at, name: (n) => n.name }),
      "created_at_asc",
    );
    return { body: { namespaces: page.items.map(nsWire), total_count: page.total } };
  });

  router.add("GET", `${base}/namespaces/{namespace_id}`, (req) => ({ body: nsWire(findNs(req.params.region, req.params.namespace_id)) }));

  router.add("PATCH", `${base}/namespaces/{namespace_id}`, async (req) => {
    const ns = findNs(req.params.region, req.params.namespace_id);
    const f = new Fields(req.body);
    const description = f.string("description");
    const isPublic = f.boolean("is_public");
    f.check();
    const updated = { ...ns, description: description ?? ns.description, is_public: isPublic ?? ns.is_public, updated_at: timestamp() };
    namespaces.put(ns.id, updated);
    return save(nsWire(updated));
  });

  router.add("DELETE", `${base}/namespaces/{namespace_id}`, async (req) => {
    const ns = findNs(req.params.region, req.params.namespace_id);
    const now = timestamp();
    // Its images and tags go with it.
    for (const i of images.all().filter((x) => x.namespace_id === ns.id)) {
      for (const t of tags.all().filter((x) => x.image_id === i.id)) tags.delete(t.id);
      images.delete(i.id);
    }
    const deleting = { ...ns, status: "deleting" as const, updated_at: now, _deleted_at: now };
    namespaces.put(ns.id, deleting);
    forgetLater(ctx, REGISTRY_NAMESPACES, ns.id, now);
    return save(strip(deleting));
  });

  router.add("GET", `${base}/images`, (req) => {
    const region = checkRegion(req.params.region);
    const q = req.query;
    const projectOf = (i: RegistryImage) => namespaces.get(i.namespace_id)?.project_id;
    const matches = liveAll(images.all())
      .filter((i) => i._region === region)
      .filter(sameAsQuery(q, "namespace_id", "name"))
      .filter((i) => !q.get("project_id") || projectOf(i) === q.get("project_id"));
    const page = paginate(
      q,
      matches,
      ordersBy<Stored<RegistryImage>>({ created_at: (i) => i.created_at, name: (i) => i.name }),
      "created_at_asc",
    );
    return { body: { images: page.items.map(strip), total_count: page.total } };
  });

  router.add("GET", `${base}/images/{image_id}`, (req) => ({ body: strip(findImage(req.params.region, req.params.image_id)) }));

  router.add("DELETE", `${base}/images/{image_id}`, async (req) => {
    const image = findImage(req.params.region, req.params.image_id);
    const now = timestamp();
    for (const t of tags.all().filter((x) => x.image_id === image.id)) tags.delete(t.id);
    const deleting = { ...image, status: "deleting" as const, updated_at: now, _deleted_at: now };
    images.put(image.id, deleting);
    forgetLater(ctx, REGISTRY_IMAGES, image.id, now);
    return save(strip(deleting));
  });

  router.add("GET", `${base}/images/{image_id}/tags`, (req) => {
    const image = findImage(req.params.region, req.params.image_id);
    const q = req.query;
    const matches = liveAll(tags.all())
      .filter((t) => t.image_id === image.id)
      .filter(sameAsQuery(q, "name"));
    const page = paginate(
      q,
      matches,
      ordersBy<Stored<RegistryTag>>({ created_at: (t) => t.created_at, name: (t) => t.name }),
      "created_at_asc",
    );
    return { body: { tags: page.items.map(strip), total_count: page.total } };
  });

  router.add("GET", `${base}/tags/{tag_id}`, (req) => ({ body: strip(findTag(req.params.region, req.params.tag_id)) }));

  router.add("DELETE", `${base}/tags/{tag_id}`, async (req) => {
    const tag = findTag(req.params.region, req.params.tag_id);
    tags.delete(tag.id);
    const image = images.get(tag.image_id);
    if (image) images.put(image.id, { ...image, tags: image.tags.filter((n) => n !== tag.name), updated_at: timestamp() });
    await ctx.store.flush();
    return { body: strip({ ...tag, status: "deleting" as const }) };
  });

  // Test hook: `evalap-infra sandbox push` and the tests push an image reference here.
  router.add("POST", "/_sandbox/registry/images", async (req) => {
    const f = new Fields(req.body);
    const ref = f.string("image", { required: true });
    const digest = f.string("digest");
    f.check();
    const pushed = pushImage(ctx, ref, digest);
    return save(pushed);
  });
}
