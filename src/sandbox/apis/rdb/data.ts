import { timestamp } from "../../clock.js";
import type { SandboxContext } from "../../context.js";
import { alreadyExists, invalidArgument, notFound } from "../../errors.js";
import { Fields } from "../../fields.js";
import { byField, ordersBy, paginate, sameAsQuery } from "../../pagination.js";
import type { Router } from "../../router.js";
import { clusterOf, alterRole, createDatabase, createRole, databaseSize, dropDatabase, dropRole, setPermission } from "./clusters.js";
import { base } from "./instances.js";
import {
  databases,
  findInstance,
  PERMISSIONS,
  privileges,
  readyInstance,
  type StoredDatabase,
  type StoredPrivilege,
  type StoredUser,
  subKey,
  users,
} from "./model.js";

/** PostgreSQL names: what Scaleway accepts for users and databases (letters, digits, `_` and `-`). */
const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;
const RESERVED = new Set(["postgres", "_rdb_superadmin", "public", "pg_signal_backend"]);

function checkName(f: Fields, field: string, name: string): void {
  if (name !== "" && !NAME.test(name)) f.fail(field, "format", "must start with a letter or _ and hold at most 63 letters, digits, _ or -");
  if (RESERVED.has(name) || name.startsWith("pg_")) f.fail(field, "constraint", `${name} is a reserved name`);
}

export function dataRoutes(router: Router, ctx: SandboxContext): void {
  const inst = `${base}/instances/{instance_id}`;
  const userWire = (u: StoredUser) => ({ is_admin: u.is_admin, name: u.name });

  router.add("GET", `${inst}/users`, (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const name = req.query.get("name");
    const matches = users(ctx)
      .all()
      .filter((u) => u.instance_id === i.id && (!name || u.name === name));
    const by = byField<StoredUser>((u) => u.name);
    const admin = (a: StoredUser, b: StoredUser) => Number(a.is_admin) - Number(b.is_admin);
    const page = paginate(
      req.query,
      matches,
      { name_asc: by.asc, name_desc: by.desc, is_admin_asc: admin, is_admin_desc: (a, b) => -admin(a, b) },
      "name_asc",
    );
    return { body: { total_count: page.total, users: page.items.map(userWire) } };
  });

  router.add("POST", `${inst}/users`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const f = new Fields(req.body);
    const name = f.string("name", { required: true, min: 1, max: 63 });
    const password = f.string("password", { required: true, min: 8, max: 128 });
    const isAdmin = f.boolean("is_admin") ?? false;
    checkName(f, "name", name);
    f.check();
    if (users(ctx).get(subKey(i.id, name))) throw alreadyExists("user", name, `a user named ${name} already exists on this instance`);
    const dbNames = databases(ctx)
      .all()
      .filter((d) => d.instance_id === i.id)
      .map((d) => d.name);
    await createRole(await clusterOf(ctx, i), name, password, isAdmin, dbNames);
    const user: StoredUser = { instance_id: i.id, name, is_admin: isAdmin };
    users(ctx).put(subKey(i.id, name), user);
    await ctx.store.flush();
    return { body: userWire(user) };
  });

  router.add("PATCH", `${inst}/users/{name}`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const user = users(ctx).get(subKey(i.id, req.params.name ?? ""));
    if (!user) throw notFound("user", req.params.name ?? "");
    const f = new Fields(req.body);
    const password = f.string("password", { min: 8, max: 128 });
    const isAdmin = f.boolean("is_admin");
    f.check();
    await alterRole(ctx, await clusterOf(ctx, i), i.id, user.name, { password, isAdmin: isAdmin === user.is_admin ? undefined : isAdmin });
    const updated = { ...user, is_admin: isAdmin ?? user.is_admin };
    users(ctx).put(subKey(i.id, user.name), updated);
    await ctx.store.flush();
    return { body: userWire(updated) };
  });

  router.add("DELETE", `${inst}/users/{name}`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const user = users(ctx).get(subKey(i.id, req.params.name ?? ""));
    if (!user) throw notFound("user", req.params.name ?? "");
    await dropRole(await clusterOf(ctx, i), user.name);
    users(ctx).delete(subKey(i.id, user.name));
    for (const p of privileges(ctx).all())
      if (p.instance_id === i.id && p.user_name === user.name) privileges(ctx).delete(subKey(i.id, p.database_name, p.user_name));
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("GET", `${inst}/databases`, async (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const q = req.query;
    // Every database made through the API is managed and owned by `_rdb_superadmin`.
    const owner = q.get("owner");
    const matches =
      q.get("managed") === "false" || (owner !== null && owner !== "_rdb_superadmin")
        ? []
        : databases(ctx)
            .all()
            .filter((d) => d.instance_id === i.id)
            .filter(sameAsQuery(q, "name"));
    // Sizes are not tracked: `size` orders by name.
    const page = paginate(q, matches, ordersBy<StoredDatabase>({ name: (d) => d.name, size: (d) => d.name }), "name_asc");
    const cluster = await clusterOf(ctx, i);
    const out = [];
    for (const d of page.items)
      out.push({ managed: true, name: d.name, owner: "_rdb_superadmin", size: await databaseSize(cluster, d.name) });
    return { body: { databases: out, total_count: page.total } };
  });

  router.add("POST", `${inst}/databases`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const f = new Fields(req.body);
    const name = f.string("name", { required: true, min: 1, max: 63 });
    checkName(f, "name", name);
    f.check();
    if (databases(ctx).get(subKey(i.id, name)))
      throw alreadyExists("database", name, `a database named ${name} already exists on this instance`);
    await createDatabase(ctx, await clusterOf(ctx, i), i.id, name);
    databases(ctx).put(subKey(i.id, name), { instance_id: i.id, name, created_at: timestamp() });
    await ctx.store.flush();
    // Recorded: the create answers no owner and no size yet.
    return { body: { managed: true, name, owner: "", size: 0 } };
  });

  router.add("DELETE", `${inst}/databases/{name}`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const db = databases(ctx).get(subKey(i.id, req.params.name ?? ""));
    if (!db) throw notFound("database", req.params.name ?? "");
    await dropDatabase(await clusterOf(ctx, i), db.name);
    databases(ctx).delete(subKey(i.id, db.name));
    for (const p of privileges(ctx).all())
      if (p.instance_id === i.id && p.database_name === db.name) privileges(ctx).delete(subKey(i.id, p.database_name, p.user_name));
    await ctx.store.flush();
    return { status: 204 };
  });

  const privilegeWire = (p: StoredPrivilege) => ({ database_name: p.database_name, permission: p.permission, user_name: p.user_name });

  router.add("GET", `${inst}/privileges`, (req) => {
    const i = findInstance(ctx, req.params.region, req.params.instance_id);
    const q = req.query;
    const matches = privileges(ctx)
      .all()
      .filter((p) => p.instance_id === i.id)
      .filter(sameAsQuery(q, "database_name"))
      .filter((p) => !q.get("user_name") || p.user_name === q.get("user_name"));
    const page = paginate(
      q,
      matches,
      ordersBy<StoredPrivilege>({ user_name: (p) => p.user_name, database_name: (p) => p.database_name }),
      "user_name_asc",
    );
    return { body: { privileges: page.items.map(privilegeWire), total_count: page.total } };
  });

  router.add("PUT", `${inst}/privileges`, async (req) => {
    const i = readyInstance(ctx, req.params.region, req.params.instance_id);
    const f = new Fields(req.body);
    const database = f.string("database_name", { required: true, min: 1 });
    const user = f.string("user_name", { required: true, min: 1 });
    const permission = f.oneOf("permission", PERMISSIONS, "none");
    f.check();
    if (!databases(ctx).get(subKey(i.id, database))) throw notFound("database", database);
    if (!users(ctx).get(subKey(i.id, user))) throw notFound("user", user);
    if (permission === "custom") throw invalidArgument("permission", "constraint", "custom is what the API reports, it cannot be set");
    await setPermission(await clusterOf(ctx, i), database, user, permission);
    const p: StoredPrivilege = { instance_id: i.id, database_name: database, user_name: user, permission };
    privileges(ctx).put(subKey(i.id, database, user), p);
    await ctx.store.flush();
    return { body: privilegeWire(p) };
  });
}
