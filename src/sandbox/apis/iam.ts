import { randomInt, randomUUID } from "node:crypto";
import { isUuid, newId, timestamp } from "../clock.js";
import type { SandboxContext } from "../context.js";
import { invalidArgument, invalidArguments, notFound, type ArgumentDetail, type JsonObject } from "../errors.js";
import { Fields } from "../fields.js";
import { findById } from "../lookup.js";
import { ordersBy, paginate, sameAsQuery } from "../pagination.js";
import type { Router } from "../router.js";
import { PROJECTS, type Project } from "./account.js";
import { GROUPS, iamOrgRoutes, type Group } from "./iam-org.js";
import { iamSsoRoutes } from "./iam-sso.js";

/** iam/v1alpha1 Application, field for field in the recorded order (iam/testdata/*.cassette.yaml). */
export interface Application {
  id: string;
  name: string;
  description: string;
  created_at: string;
  updated_at: string;
  organization_id: string;
  editable: boolean;
  deletable: boolean;
  managed: boolean;
  nb_api_keys: number;
  tags: string[];
}

/** A policy's principal: exactly one of these (the API answers the one set). */
type Principal = { user_id: string } | { group_id: string } | { application_id: string } | { no_principal: true };

/** iam/v1alpha1 Policy as recorded: its counters, then its principal. */
export type Policy = PolicyBase & Principal;

interface PolicyBase {
  id: string;
  name: string;
  description: string;
  organization_id: string;
  created_at: string;
  updated_at: string;
  editable: boolean;
  deletable: boolean;
  managed: boolean;
  nb_rules: number;
  nb_scopes: number;
  nb_permission_sets: number;
  tags: string[];
}

/** iam/v1alpha1 Rule: scoped to an organization or to projects. */
export type Rule = {
  id: string;
  permission_set_names: string[];
  permission_sets_scope_type: "projects" | "organization";
  condition: string;
} & ({ organization_id: string } | { project_ids: string[] });

interface StoredPolicy {
  policy: PolicyBase;
  principal: Principal;
  rules: Rule[];
}

/** iam/v1alpha1 APIKey, as recorded; the secret key is answered once, at creation, and never stored. */
export type ApiKey = {
  access_key: string;
  secret_key: string | null;
  description: string;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  default_project_id: string;
  editable: boolean;
  deletable: boolean;
  managed: boolean;
  creation_ip: string;
} & ({ application_id: string } | { user_id: string });

export const APPLICATIONS = "iam.applications";
export const API_KEYS = "iam.api_keys";
export const POLICIES = "iam.policies";

/**
 * The permission sets the sandbox knows, with their scope (recorded: AllProductsFullAccess and
 * ContainerRegistryReadOnly answer `projects`, IAMManager `organization`). A rule naming another is
 * refused, so a typo in a root fails on the sandbox as it would on Scaleway.
 */
const ORGANIZATION_SETS = [
  "IAMManager",
  "IAMReadOnly",
  "OrganizationManager",
  "OrganizationReadOnly",
  "ProjectManager",
  "ProjectReadOnly",
  "BillingManager",
  "BillingReadOnly",
  "SupportTicketManager",
  "AuditTrailReadOnly",
  "ContractsManager",
] as const;
const PRODUCTS = [
  "AllProducts",
  "Audit",
  "BlockStorage",
  "Cockpit",
  "ContainerRegistry",
  "Containers",
  "DomainsDNS",
  "Functions",
  "Instances",
  "IPAM",
  "Kubernetes",
  "LoadBalancers",
  "ObjectStorage",
  "PrivateNetworks",
  "PublicGateways",
  "RelationalDatabases",
  "Redis",
  "SecretManager",
  "ServerlessJobs",
  "TransactionalEmail",
  "VPC",
  "KeyManager",
  "GenerativeApis",
  "InferenceAPIs",
  "Observability",
] as const;
const PROJECT_SETS = new Set<string>([
  ...PRODUCTS.flatMap((p) => [`${p}FullAccess`, `${p}ReadOnly`]),
  // Calling a private Serverless Container with an API key's X-Auth-Token (Scaleway docs:
  // serverless-containers/how-to/migrate-jwt-to-iam-authentication); project-scoped.
  "ContainersPrivateAccess",
  "SecretManagerSecretAccess",
  "SecretManagerSecretCreate",
  "SecretManagerSecretDelete",
  "SecretManagerSecretWrite",
  "SecretManagerSecretRestore",
  "ContainerRegistryFullAccess",
  "ObjectStorageObjectsRead",
  "ObjectStorageObjectsWrite",
  "ObjectStorageObjectsDelete",
  "ObjectStorageBucketsRead",
  "ObjectStorageBucketsWrite",
  "ObjectStorageBucketsDelete",
  "RelationalDatabasesManager",
  "InstancesSSHKeysManager",
  "ProjectDataFullAccess",
]);

export function permissionSetScope(name: string): "projects" | "organization" | undefined {
  if ((ORGANIZATION_SETS as readonly string[]).includes(name)) return "organization";
  return PROJECT_SETS.has(name) ? "projects" : undefined;
}

export function iamRoutes(router: Router, ctx: SandboxContext): void {
  const apps = () => ctx.store.collection<Application>(APPLICATIONS);
  const policies = () => ctx.store.collection<StoredPolicy>(POLICIES);
  const base = "/iam/v1alpha1";
  const keys = () => ctx.store.collection<ApiKey>(API_KEYS);
  const appWire = (app: Application): Application => ({
    ...app,
    nb_api_keys: keys()
      .all()
      .filter((k) => "application_id" in k && k.application_id === app.id).length,
  });
  const findKey = (accessKey: string | undefined): ApiKey => {
    const key = accessKey ? keys().get(accessKey) : undefined;
    if (!key) throw notFound("access_key", accessKey ?? "");
    return key;
  };
  /** The organization's default project (the account's project named "default"), else the organization id, as recorded. */
  const defaultProjectOf = (organizationId: string): string =>
    ctx.store
      .collection<Project>(PROJECTS)
      .all()
      .find((p) => p.organization_id === organizationId && p.name === "default")?.id ?? organizationId;
  const findApp = (id: string | undefined): Application =>
    findById(
      (i) => apps().get(i),
      id,
      () => notFound("application", id ?? ""),
    );
  const findPolicy = (id: string | undefined): StoredPolicy =>
    findById(
      (i) => policies().get(i),
      id,
      () => notFound("policy", id ?? ""),
    );
  /** The counters are computed on read (the creation answer has them at 0, as recorded). */
  const counted = ({ policy, principal, rules }: StoredPolicy): Policy => {
    const scopes = new Set(rules.map((r) => ("organization_id" in r ? `o:${r.organization_id}` : `p:${r.project_ids.join(",")}`)));
    return {
      ...policy,
      nb_rules: rules.length,
      nb_scopes: scopes.size,
      nb_permission_sets: new Set(rules.flatMap((r) => r.permission_set_names)).size,
      ...principal,
    };
  };
  const save = async <T>(body: T): Promise<{ body: T }> => {
    await ctx.store.flush();
    return { body };
  };

  // Applications.
  router.add("POST", `${base}/applications`, async (req) => {
    const f = new Fields(req.body);
    const name = f.string("name") || "application";
    const organizationId = f.uuid("organization_id", { required: true });
    const description = f.string("description", { max: 200 }) ?? "";
    const tags = f.strings("tags") ?? [];
    f.check();
    const now = timestamp();
    const app: Application = {
      id: newId(),
      name,
      description,
      created_at: now,
      updated_at: now,
      organization_id: organizationId,
      editable: true,
      deletable: true,
      managed: false,
      nb_api_keys: 0,
      tags,
    };
    apps().put(app.id, app);
    return save(app);
  });

  router.add("GET", `${base}/applications`, (req) => {
    const q = req.query;
    const ids = q.getAll("application_ids");
    const editable = q.get("editable");
    const matches = apps()
      .all()
      .filter(sameAsQuery(q, "organization_id"))
      .filter((a) => !q.get("name") || a.name.includes(q.get("name") ?? ""))
      .filter((a) => ids.length === 0 || ids.includes(a.id))
      .filter((a) => editable === null || a.editable === (editable === "true"))
      .filter((a) => !q.get("tag") || a.tags.includes(q.get("tag") ?? ""));
    const page = paginate(
      q,
      matches,
      ordersBy<Application>({ created_at: (a) => a.created_at, updated_at: (a) => a.updated_at, name: (a) => a.name }),
      "created_at_asc",
    );
    return { body: { applications: page.items.map(appWire), total_count: page.total } };
  });

  router.add("GET", `${base}/applications/{application_id}`, (req) => ({ body: appWire(findApp(req.params.application_id)) }));

  router.add("PATCH", `${base}/applications/{application_id}`, async (req) => {
    const app = findApp(req.params.application_id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const description = f.string("description", { max: 200 });
    const tags = f.strings("tags");
    f.check();
    const updated: Application = {
      ...app,
      name: name ?? app.name,
      description: description ?? app.description,
      tags: tags ?? app.tags,
      updated_at: timestamp(),
    };
    apps().put(app.id, updated);
    return save(appWire(updated));
  });

  router.add("DELETE", `${base}/applications/{application_id}`, async (req) => {
    const app = findApp(req.params.application_id);
    apps().delete(app.id);
    // An application's API keys go with it.
    for (const k of keys().all()) if ("application_id" in k && k.application_id === app.id) keys().delete(k.access_key);
    // And its group memberships.
    const groups = ctx.store.collection<Group>(GROUPS);
    for (const g of groups.all()) {
      if (g.application_ids.includes(app.id)) groups.put(g.id, { ...g, application_ids: g.application_ids.filter((id) => id !== app.id) });
    }
    await ctx.store.flush();
    return { status: 204 };
  });

  // API keys, by access key.
  router.add("POST", `${base}/api-keys`, async (req) => {
    const f = new Fields(req.body);
    const applicationId = f.uuid("application_id");
    const userId = f.uuid("user_id");
    const description = f.string("description", { max: 200 }) ?? "";
    const defaultProject = f.uuid("default_project_id");
    const expiresAt = f.string("expires_at");
    if ((applicationId === undefined) === (userId === undefined))
      f.fail("bearer", "constraint", "exactly one of application_id or user_id must be set");
    if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) f.fail("expires_at", "format", "must be an RFC 3339 time");
    f.check();
    const app = applicationId ? findApp(applicationId) : undefined;
    const now = timestamp();
    const key: ApiKey = {
      access_key: newAccessKey(),
      secret_key: null,
      description,
      created_at: now,
      updated_at: now,
      expires_at: expiresAt === undefined ? null : timestamp(Date.parse(expiresAt)),
      default_project_id: defaultProject ?? (app ? defaultProjectOf(app.organization_id) : ""),
      editable: true,
      deletable: true,
      managed: false,
      creation_ip: "127.0.0.1",
      ...(app ? { application_id: app.id } : { user_id: userId ?? "" }),
    };
    keys().put(key.access_key, key);
    return save({ ...key, secret_key: randomUUID() });
  });

  router.add("GET", `${base}/api-keys`, (req) => {
    const q = req.query;
    const orgOf = (k: ApiKey) => ("application_id" in k ? apps().get(k.application_id)?.organization_id : undefined);
    const bearerId = q.get("bearer_id") ?? q.get("application_id") ?? q.get("user_id");
    const bearerType = q.get("bearer_type");
    const editable = q.get("editable");
    const expired = q.get("expired");
    const accessKeys = q.getAll("access_keys");
    const isExpired = (k: ApiKey) => k.expires_at !== null && Date.parse(k.expires_at) <= Date.now();
    const matches = keys()
      .all()
      .filter((k) => !q.get("organization_id") || (orgOf(k) ?? q.get("organization_id")) === q.get("organization_id"))
      .filter((k) => !bearerId || ("application_id" in k ? k.application_id : k.user_id) === bearerId)
      .filter((k) => !bearerType || bearerType === "unknown_bearer_type" || (bearerType === "application") === "application_id" in k)
      .filter((k) => editable === null || k.editable === (editable === "true"))
      .filter((k) => expired === null || isExpired(k) === (expired === "true"))
      .filter((k) => !q.get("description") || k.description.includes(q.get("description") ?? ""))
      .filter(sameAsQuery(q, "access_key"))
      .filter((k) => accessKeys.length === 0 || accessKeys.includes(k.access_key));
    const page = paginate(
      q,
      matches,
      ordersBy<ApiKey>({
        created_at: (k) => k.created_at,
        updated_at: (k) => k.updated_at,
        expires_at: (k) => k.expires_at ?? "",
        access_key: (k) => k.access_key,
      }),
      "created_at_asc",
    );
    return { body: { api_keys: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/api-keys/{access_key}`, (req) => ({ body: findKey(req.params.access_key) }));

  router.add("PATCH", `${base}/api-keys/{access_key}`, async (req) => {
    const key = findKey(req.params.access_key);
    const f = new Fields(req.body);
    const description = f.string("description", { max: 200 });
    const defaultProject = f.uuid("default_project_id");
    const expiresAt = f.string("expires_at");
    if (expiresAt !== undefined && Number.isNaN(Date.parse(expiresAt))) f.fail("expires_at", "format", "must be an RFC 3339 time");
    f.check();
    const updated: ApiKey = {
      ...key,
      description: description ?? key.description,
      default_project_id: defaultProject ?? key.default_project_id,
      expires_at: expiresAt === undefined ? key.expires_at : timestamp(Date.parse(expiresAt)),
      updated_at: timestamp(),
    };
    keys().put(key.access_key, updated);
    return save(updated);
  });

  router.add("DELETE", `${base}/api-keys/{access_key}`, async (req) => {
    const key = findKey(req.params.access_key);
    keys().delete(key.access_key);
    await ctx.store.flush();
    return { status: 204 };
  });

  // Policies and their rules.
  router.add("POST", `${base}/policies`, async (req) => {
    const f = new Fields(req.body);
    const name = f.string("name") || "policy";
    const description = f.string("description", { max: 200 }) ?? "";
    const organizationId = f.uuid("organization_id", { required: true });
    const tags = f.strings("tags") ?? [];
    const principal = readPrincipal(f);
    f.check();
    if ("application_id" in principal) findApp(principal.application_id);
    const rules = readRules(req.body.rules);
    const now = timestamp();
    const policy: PolicyBase = {
      id: newId(),
      name,
      description,
      organization_id: organizationId,
      created_at: now,
      updated_at: now,
      editable: true,
      deletable: true,
      managed: false,
      nb_rules: 0,
      nb_scopes: 0,
      nb_permission_sets: 0,
      tags,
    };
    policies().put(policy.id, { policy, principal, rules });
    // Recorded: the creation answer counts no rule yet; reads do.
    return save({ ...policy, ...principal });
  });

  router.add("GET", `${base}/policies`, (req) => {
    const q = req.query;
    const list = (name: string) => q.getAll(name);
    const [userIds, groupIds, appIds, policyIds] = [list("user_ids"), list("group_ids"), list("application_ids"), list("policy_ids")];
    const editable = q.get("editable");
    const noPrincipal = q.get("no_principal");
    const matches = policies()
      .all()
      .map(counted)
      .filter(sameAsQuery(q, "organization_id"))
      .filter((p) => !q.get("policy_name") || p.name.includes(q.get("policy_name") ?? ""))
      .filter((p) => editable === null || p.editable === (editable === "true"))
      .filter((p) => noPrincipal === null || "no_principal" in p === (noPrincipal === "true"))
      .filter((p) => userIds.length === 0 || ("user_id" in p && userIds.includes(p.user_id)))
      .filter((p) => groupIds.length === 0 || ("group_id" in p && groupIds.includes(p.group_id)))
      .filter((p) => appIds.length === 0 || ("application_id" in p && appIds.includes(p.application_id)))
      .filter((p) => policyIds.length === 0 || policyIds.includes(p.id))
      .filter((p) => !q.get("tag") || p.tags.includes(q.get("tag") ?? ""));
    const page = paginate(q, matches, ordersBy<Policy>({ policy_name: (p) => p.name, created_at: (p) => p.created_at }), "policy_name_asc");
    return { body: { policies: page.items, total_count: page.total } };
  });

  router.add("GET", `${base}/policies/{policy_id}`, (req) => ({ body: counted(findPolicy(req.params.policy_id)) }));

  router.add("PATCH", `${base}/policies/{policy_id}`, async (req) => {
    const stored = findPolicy(req.params.policy_id);
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1 });
    const description = f.string("description", { max: 200 });
    const tags = f.strings("tags");
    const principal = ["user_id", "group_id", "application_id", "no_principal"].some((k) => f.has(k)) ? readPrincipal(f) : undefined;
    f.check();
    if (principal && "application_id" in principal) findApp(principal.application_id);
    const updated: StoredPolicy = {
      policy: {
        ...stored.policy,
        name: name ?? stored.policy.name,
        description: description ?? stored.policy.description,
        tags: tags ?? stored.policy.tags,
        updated_at: timestamp(),
      },
      principal: principal ?? stored.principal,
      rules: stored.rules,
    };
    policies().put(stored.policy.id, updated);
    return save(counted(updated));
  });

  router.add("DELETE", `${base}/policies/{policy_id}`, async (req) => {
    const stored = findPolicy(req.params.policy_id);
    policies().delete(stored.policy.id);
    await ctx.store.flush();
    return { status: 204 };
  });

  router.add("GET", `${base}/rules`, (req) => {
    const stored = findPolicy(req.query.get("policy_id") ?? undefined);
    const page = paginate(req.query, stored.rules, { natural: () => 0 }, "natural");
    return { body: { rules: page.items, total_count: page.total } };
  });

  router.add("PUT", `${base}/rules`, async (req) => {
    const f = new Fields(req.body);
    const policyId = f.uuid("policy_id", { required: true });
    f.check();
    const stored = findPolicy(policyId);
    const rules = readRules(req.body.rules);
    policies().put(policyId, { ...stored, policy: { ...stored.policy, updated_at: timestamp() }, rules });
    // Recorded: SetRules answers the new rules without a total_count.
    return save({ rules });
  });

  iamOrgRoutes(router, ctx, findApp);
  iamSsoRoutes(router, ctx);

  router.add("GET", `${base}/permission-sets`, (req) => {
    const all = [
      ...ORGANIZATION_SETS.map((name) => ({ name, scope_type: "organization" })),
      ...[...PROJECT_SETS].map((name) => ({ name, scope_type: "projects" })),
    ].map(({ name, scope_type }) => ({ id: permissionSetId(name), name, scope_type, description: "", categories: [] as string[] }));
    const page = paginate(
      req.query,
      all,
      // The catalogue has no creation time: `created_at` orders by name.
      ordersBy<(typeof all)[number]>({ name: (p) => p.name, created_at: (p) => p.name }),
      "created_at_asc",
    );
    return { body: { permission_sets: page.items, total_count: page.total } };
  });
}

/** Exactly one principal: a user, a group, an application, or none (`no_principal: true`). */
function readPrincipal(f: Fields): Principal {
  const userId = f.uuid("user_id");
  const groupId = f.uuid("group_id");
  const applicationId = f.uuid("application_id");
  const none = f.boolean("no_principal") === true;
  const given = [userId, groupId, applicationId].filter((x) => x !== undefined).length + (none ? 1 : 0);
  if (given !== 1) {
    f.fail("principal", "constraint", "exactly one of user_id, group_id, application_id or no_principal must be set");
    return { no_principal: true };
  }
  if (userId) return { user_id: userId };
  if (groupId) return { group_id: groupId };
  if (applicationId) return { application_id: applicationId };
  return { no_principal: true };
}

/** RuleSpecs → Rules: known permission sets, and one scope (an organization or projects) per rule. */
function readRules(raw: unknown): Rule[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw invalidArgument("rules", "format", "must be a list of rules");
  const details: ArgumentDetail[] = [];
  const fail = (i: number, name: string, help: string) =>
    details.push({ argument_name: `rules.${i}.${name}`, reason: "constraint", help_message: help });
  const rules = (raw as unknown[]).map((item, i): Rule => {
    const r = (typeof item === "object" && item !== null ? item : {}) as JsonObject;
    const names = Array.isArray(r.permission_set_names) ? r.permission_set_names.filter((n): n is string => typeof n === "string") : [];
    if (names.length === 0) fail(i, "permission_set_names", "at least one permission set is required");
    const unknown = names.filter((n) => permissionSetScope(n) === undefined);
    if (unknown.length > 0) fail(i, "permission_set_names", `unknown permission set(s): ${unknown.join(", ")}`);
    const condition = typeof r.condition === "string" ? r.condition : "";
    const projectIds = Array.isArray(r.project_ids) ? r.project_ids.filter((p): p is string => typeof p === "string") : undefined;
    const orgId = typeof r.organization_id === "string" && r.organization_id !== "" ? r.organization_id : undefined;
    if ((projectIds === undefined) === (orgId === undefined)) fail(i, "scope", "exactly one of organization_id or project_ids must be set");
    if (projectIds?.some((p) => !isUuid(p))) fail(i, "project_ids", "must be UUIDs");
    const scopeType = names.some((n) => permissionSetScope(n) === "organization") ? "organization" : "projects";
    const head = { id: newId(), permission_set_names: names, permission_sets_scope_type: scopeType, condition } as const;
    return projectIds !== undefined ? { ...head, project_ids: projectIds } : { ...head, organization_id: orgId ?? "" };
  });
  if (details.length > 0) throw invalidArguments(details);
  return rules;
}

/** A stable id per permission set name (the real ones are fixed UUIDs too). */
function permissionSetId(name: string): string {
  let h = 0x811c9dc5;
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) {
    for (const c of `${name}/${i}`) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
    bytes.push(h & 0xff);
  }
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const ACCESS_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** `SCW` and 17 characters, as Scaleway's access keys (and SCW_ACCESS_KEY's check) are shaped. */
function newAccessKey(): string {
  let out = "SCW";
  for (let i = 0; i < 17; i++) out += ACCESS_KEY_ALPHABET[randomInt(ACCESS_KEY_ALPHABET.length)];
  return out;
}
