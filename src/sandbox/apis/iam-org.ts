import { createHash } from "node:crypto";
import { newId, timestamp } from "../clock.js";
import type { SandboxContext } from "../context.js";
import { alreadyExists, invalidArgument, ScwError, notFound, type JsonObject } from "../errors.js";
import { Fields } from "../fields.js";
import { findById } from "../lookup.js";
import { ordersBy, paginate, sameAsQuery } from "../pagination.js";
import type { Router } from "../router.js";
import { organizationOf } from "./vpc.js";

/**
 * IAM v1alpha1's organization members and their keys (users, groups, SSH keys), beside iam.ts's
 * applications and policies. Users' passwords are never kept: the API never answers them.
 */

/** iam/v1alpha1 User, field for field in the recorded order. */
export interface User {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  phone_number: string;
  locale: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  deletable: boolean;
  last_login_at: string | null;
  type: "member" | "guest" | "owner";
  two_factor_enabled: boolean;
  status: "activated" | "invitation_pending";
  mfa: boolean;
  account_root_user_id: string;
  tags: string[];
  locked: boolean;
}

/** iam/v1alpha1 Group, as recorded. */
export interface Group {
  id: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  name: string;
  description: string;
  user_ids: string[];
  application_ids: string[];
  tags: string[];
  editable: boolean;
  deletable: boolean;
  managed: boolean;
}

/** iam/v1alpha1 SSHKey, as recorded (the public key without its comment). */
export interface SshKey {
  id: string;
  name: string;
  public_key: string;
  fingerprint: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  project_id: string;
  disabled: boolean;
}

export const USERS = "iam.users";
export const GROUPS = "iam.groups";
export const SSH_KEYS = "iam.ssh_keys";

/** `256 MD5:6b:cd:... (ssh-ed25519)`: the key's size, the MD5 of its blob and its type, as the API answers. */
export function sshFingerprint(publicKey: string): { key: string; fingerprint: string } | undefined {
  const [type, data] = publicKey.trim().split(/\s+/);
  if (!type || !data || !/^[A-Za-z0-9+/]+={0,2}$/.test(data)) return undefined;
  const blob = Buffer.from(data, "base64");
  const bits = keyBits(type, blob);
  if (bits === undefined) return undefined;
  const md5 = createHash("md5").update(blob).digest("hex").match(/../g)?.join(":") ?? "";
  return { key: `${type} ${data}`, fingerprint: `${bits} MD5:${md5} (${type})` };
}

function keyBits(type: string, blob: Buffer): number | undefined {
  if (type === "ssh-ed25519") return 256;
  const ecdsa = /^ecdsa-sha2-nistp(256|384|521)$/.exec(type);
  if (ecdsa) return Number(ecdsa[1]);
  if (type !== "ssh-rsa") return undefined;
  // string "ssh-rsa", mpint e, mpint n: the modulus' bit length.
  let at = 0;
  const next = (): Buffer | undefined => {
    if (at + 4 > blob.length) return undefined;
    const len = blob.readUInt32BE(at);
    const part = blob.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return part;
  };
  next();
  next();
  const n = next();
  if (!n || n.length === 0) return undefined;
  const first = n.findIndex((b) => b !== 0);
  return first < 0 ? undefined : (n.length - first - 1) * 8 + (32 - Math.clz32(n[first]!));
}

export function iamOrgRoutes(router: Router, ctx: SandboxContext, findApp: (id: string) => unknown): void {
  const users = () => ctx.store.collection<User>(USERS);
  const groups = () => ctx.store.collection<Group>(GROUPS);
  const sshKeys = () => ctx.store.collection<SshKey>(SSH_KEYS);
  const base = "/iam/v1alpha1";
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };
  const find = <T>(collection: () => { get(id: string): T | undefined }, resource: string, id: string | undefined): T =>
    findById(
      (i) => collection().get(i),
      id,
      () => notFound(resource, id ?? ""),
    );

  // Users (members of the organization).
  router.add("POST", `${base}/users`, async (req) => {
    const f = new Fields(req.body);
    const organizationId = f.uuid("organization_id", { required: true });
    const tags = f.strings("tags") ?? [];
    const email = f.string("email");
    f.check();
    const member = (req.body.member ?? null) as JsonObject | null;
    const m = new Fields(member ?? {});
    const memberEmail = m.string("email");
    const username = m.string("username");
    const str = (name: string) => m.string(name) ?? "";
    const firstName = str("first_name");
    const lastName = str("last_name");
    const phone = str("phone_number");
    const locale = m.string("locale") || "en_US";
    m.check();
    const address = memberEmail ?? email;
    if (!address) throw invalidArgument("member.email", "required", "a member's or a guest's email is required");
    if (
      users()
        .all()
        .some((u) => u.organization_id === organizationId && u.email === address)
    )
      throw alreadyExists("user", address, `a user with email ${address} already exists`);
    const now = timestamp();
    const user: User = {
      id: newId(),
      email: address,
      username: username || address,
      first_name: firstName,
      last_name: lastName,
      phone_number: phone,
      locale,
      created_at: now,
      updated_at: now,
      organization_id: organizationId,
      deletable: true,
      last_login_at: null,
      type: member ? "member" : "guest",
      two_factor_enabled: false,
      status: member ? "activated" : "invitation_pending",
      mfa: false,
      account_root_user_id: "",
      tags,
      locked: false,
    };
    users().put(user.id, user);
    return save(user);
  });

  router.add("GET", `${base}/users`, (req) => {
    const q = req.query;
    const ids = q.getAll("user_ids");
    const flag = (name: string) => (q.get(name) === null ? undefined : q.get(name) === "true");
    const mfa = flag("mfa");
    const type = q.get("type");
    const matches = users()
      .all()
      .filter(sameAsQuery(q, "organization_id"))
      .filter((u) => ids.length === 0 || ids.includes(u.id))
      .filter((u) => mfa === undefined || u.mfa === mfa)
      .filter((u) => !type || type === "unknown_type" || u.type === type)
      .filter((u) => !q.get("tag") || u.tags.includes(q.get("tag") ?? ""));
    const page = paginate(
      q,
      matches,
      ordersBy<User>({
        created_at: (x) => x.created_at,
        updated_at: (x) => x.updated_at,
        email: (x) => x.email,
        // No login happens on the sandbox (last_login_at stays null): creation order stands for it.
        last_login: (x) => x.created_at,
        username: (x) => x.username,
      }),
      "created_at_asc",
    );
    return { body: { users: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/users/{id}`, (req) => ({ body: find(users, "user", req.params.id) }));

  router.add("PATCH", `${base}/users/{id}`, async (req) => {
    const user = find(users, "user", req.params.id);
    const f = new Fields(req.body);
    const tags = f.strings("tags");
    const email = f.string("email");
    const firstName = f.string("first_name");
    const lastName = f.string("last_name");
    const phone = f.string("phone_number");
    const locale = f.string("locale");
    f.check();
    // Recorded: an update keeps updated_at (only the identity changed).
    const updated: User = {
      ...user,
      tags: tags ?? user.tags,
      email: email ?? user.email,
      first_name: firstName ?? user.first_name,
      last_name: lastName ?? user.last_name,
      phone_number: phone ?? user.phone_number,
      locale: locale ?? user.locale,
    };
    users().put(user.id, updated);
    return save(updated);
  });

  router.add("POST", `${base}/users/{id}/update-username`, async (req) => {
    const user = find(users, "user", req.params.id);
    const f = new Fields(req.body);
    const username = f.string("username", { required: true, min: 1 });
    f.check();
    const updated: User = { ...user, username };
    users().put(user.id, updated);
    return save(updated);
  });

  router.add("POST", `${base}/users/{id}/update-password`, async (req) => {
    const user = find(users, "user", req.params.id);
    new Fields(req.body).string("password", { required: true, min: 1 });
    return save(user);
  });

  router.add("DELETE", `${base}/users/{id}`, async (req) => {
    const user = find(users, "user", req.params.id);
    users().delete(user.id);
    for (const g of groups().all()) {
      if (g.user_ids.includes(user.id)) groups().put(g.id, { ...g, user_ids: g.user_ids.filter((id) => id !== user.id) });
    }
    await ctx.store.flush();
    return { status: 204 };
  });

  // Groups of users and applications.
  router.add("POST", `${base}/groups`, async (req) => {
    const f = new Fields(req.body);
    const organizationId = f.uuid("organization_id", { required: true });
    const name = f.string("name") || "group";
    const description = f.string("description") ?? "";
    const tags = f.strings("tags") ?? [];
    f.check();
    const now = timestamp();
    const group: Group = {
      id: newId(),
      created_at: now,
      updated_at: now,
      organization_id: organizationId,
      name,
      description,
      user_ids: [],
      application_ids: [],
      tags,
      editable: true,
      deletable: true,
      managed: false,
    };
    groups().put(group.id, group);
    return save(group);
  });

  router.add("GET", `${base}/groups`, (req) => {
    const q = req.query;
    const ids = q.getAll("group_ids");
    const userIds = q.getAll("user_ids");
    const appIds = q.getAll("application_ids");
    const matches = groups()
      .all()
      .filter(sameAsQuery(q, "organization_id"))
      .filter((g) => !q.get("name") || g.name.includes(q.get("name") ?? ""))
      .filter((g) => ids.length === 0 || ids.includes(g.id))
      .filter((g) => userIds.length === 0 || userIds.some((u) => g.user_ids.includes(u)))
      .filter((g) => appIds.length === 0 || appIds.some((a) => g.application_ids.includes(a)))
      .filter((g) => !q.get("tag") || g.tags.includes(q.get("tag") ?? ""));
    const page = paginate(
      q,
      matches,
      ordersBy<Group>({ created_at: (x) => x.created_at, updated_at: (x) => x.updated_at, name: (g) => g.name }),
      "created_at_asc",
    );
    return { body: { groups: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/groups/{id}`, (req) => ({ body: find(groups, "group", req.params.id) }));

  router.add("PATCH", `${base}/groups/{id}`, async (req) => {
    const group = find(groups, "group", req.params.id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const description = f.string("description");
    const tags = f.strings("tags");
    f.check();
    const updated: Group = {
      ...group,
      name: name ?? group.name,
      description: description ?? group.description,
      tags: tags ?? group.tags,
    };
    groups().put(group.id, updated);
    return save(updated);
  });

  router.add("DELETE", `${base}/groups/{id}`, async (req) => {
    const group = find(groups, "group", req.params.id);
    groups().delete(group.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  /** The members named in a body (`user_id`/`application_id`, or their lists), each checked to exist. */
  const members = (body: JsonObject): { users: string[]; apps: string[] } => {
    const f = new Fields(body);
    const userId = f.uuid("user_id");
    const appId = f.uuid("application_id");
    const userIds = f.strings("user_ids") ?? [];
    const appIds = f.strings("application_ids") ?? [];
    f.check();
    const u = [...(userId ? [userId] : []), ...userIds];
    const a = [...(appId ? [appId] : []), ...appIds];
    for (const id of u) find(users, "user", id);
    for (const id of a) findApp(id);
    return { users: u, apps: a };
  };
  const union = (a: string[], b: string[]) => [...a, ...b.filter((x) => !a.includes(x))];

  // AddGroupMember and AddGroupMembers: one member or lists of them, both read by members().
  for (const action of ["add-member", "add-members"]) {
    router.add("POST", `${base}/groups/{id}/${action}`, async (req) => {
      const group = find(groups, "group", req.params.id);
      const m = members(req.body);
      const updated: Group = { ...group, user_ids: union(group.user_ids, m.users), application_ids: union(group.application_ids, m.apps) };
      groups().put(group.id, updated);
      return save(updated);
    });
  }

  router.add("POST", `${base}/groups/{id}/remove-member`, async (req) => {
    const group = find(groups, "group", req.params.id);
    const f = new Fields(req.body);
    const userId = f.uuid("user_id");
    const appId = f.uuid("application_id");
    f.check();
    const member = userId ?? appId ?? "";
    // Recorded: removing a member the group does not have is a 404 naming the member, with an empty resource.
    if (!group.user_ids.includes(member) && !group.application_ids.includes(member))
      throw new ScwError(404, { message: "resource is not found", resource: "", resource_id: member, type: "not_found" });
    const updated: Group = {
      ...group,
      user_ids: group.user_ids.filter((id) => id !== member),
      application_ids: group.application_ids.filter((id) => id !== member),
    };
    groups().put(group.id, updated);
    return save(updated);
  });

  router.add("PUT", `${base}/groups/{id}/members`, async (req) => {
    const group = find(groups, "group", req.params.id);
    const m = members(req.body);
    const updated: Group = { ...group, user_ids: m.users, application_ids: m.apps };
    groups().put(group.id, updated);
    return save(updated);
  });

  // SSH keys (kept per project; the instances API reads them too).
  router.add("POST", `${base}/ssh-keys`, async (req) => {
    const f = new Fields(req.body);
    const name = f.string("name") || "key";
    const publicKey = f.string("public_key", { required: true });
    const projectId = f.uuid("project_id", { required: true });
    f.check();
    const parsed = sshFingerprint(publicKey);
    if (!parsed) throw invalidArgument("public_key", "format", "must be an OpenSSH public key (ssh-ed25519, ssh-rsa or ecdsa-sha2-*)");
    // Recorded (list-iamssh-keys-basic): the same public key may be registered twice in a project.
    const now = timestamp();
    const key: SshKey = {
      id: newId(),
      name,
      public_key: parsed.key,
      fingerprint: parsed.fingerprint,
      created_at: now,
      updated_at: now,
      organization_id: organizationOf(ctx, projectId),
      project_id: projectId,
      disabled: false,
    };
    sshKeys().put(key.id, key);
    return save(key);
  });

  router.add("GET", `${base}/ssh-keys`, (req) => {
    const q = req.query;
    const disabled = q.get("disabled");
    const matches = sshKeys()
      .all()
      .filter(sameAsQuery(q, "organization_id", "project_id"))
      .filter((k) => !q.get("name") || k.name.includes(q.get("name") ?? ""))
      .filter((k) => disabled === null || k.disabled === (disabled === "true"));
    const page = paginate(
      q,
      matches,
      ordersBy<SshKey>({ created_at: (x) => x.created_at, updated_at: (x) => x.updated_at, name: (k) => k.name }),
      "created_at_asc",
    );
    return { body: { ssh_keys: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/ssh-keys/{id}`, (req) => ({ body: find(sshKeys, "ssh_key", req.params.id) }));

  router.add("PATCH", `${base}/ssh-keys/{id}`, async (req) => {
    const key = find(sshKeys, "ssh_key", req.params.id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const disabled = f.boolean("disabled");
    f.check();
    const updated: SshKey = { ...key, name: name ?? key.name, disabled: disabled ?? key.disabled, updated_at: timestamp() };
    sshKeys().put(key.id, updated);
    return save(updated);
  });

  router.add("DELETE", `${base}/ssh-keys/{id}`, async (req) => {
    const key = find(sshKeys, "ssh_key", req.params.id);
    sshKeys().delete(key.id);
    await ctx.store.flush();
    return { status: 204 };
  });
}
