import { timestamp, newId, isUuid } from "../clock.js";
import type { SandboxContext } from "../context.js";
import { alreadyExists, invalidArgument, notFound } from "../errors.js";
import { Fields } from "../fields.js";
import { ordersBy, paginate } from "../pagination.js";
import type { Router } from "../router.js";

/** account/v3 Project, as the API answers it (recorded in account/testdata/*.cassette.yaml). */
export interface Project {
  id: string;
  name: string;
  organization_id: string;
  created_at: string;
  updated_at: string;
  description: string;
  qualification: { architecture_type: string } | null;
}

export const PROJECTS = "account.projects";

const qualified = (p: Project): Project => ({ ...p, qualification: p.qualification ?? { architecture_type: "unknown_architecture_type" } });

/**
 * A real account always has its default project (the one SCW_DEFAULT_PROJECT_ID names, which
 * `data "scaleway_account_project" {}` reads): created on first start, kept afterwards.
 */
export function seedDefaultProject(ctx: SandboxContext, organizationId: string, projectId: string): boolean {
  const projects = ctx.store.collection<Project>(PROJECTS);
  if (projects.get(projectId)) return false;
  const now = timestamp();
  projects.put(projectId, {
    id: projectId,
    name: "default",
    organization_id: organizationId,
    created_at: now,
    updated_at: now,
    description: "",
    qualification: { architecture_type: "unknown_architecture_type" },
  });
  return true;
}

export function accountRoutes(router: Router, ctx: SandboxContext): void {
  const projects = () => ctx.store.collection<Project>(PROJECTS);
  const find = (id: string): Project => {
    const p = isUuid(id) ? projects().get(id) : undefined;
    if (!p) throw notFound("project_id", id);
    return p;
  };
  const base = "/account/v3/projects";

  router.add("POST", base, async (req) => {
    const f = new Fields(req.body);
    const name = f.string("name", { required: true, min: 1, max: 64 });
    const organizationId = f.uuid("organization_id", { required: true });
    const description = f.string("description", { max: 200 }) ?? "";
    f.check();
    const clash = projects()
      .all()
      .find((p) => p.organization_id === organizationId && p.name === name);
    if (clash) throw alreadyExists("project", clash.id, `a project named ${name} already exists in this organization`);
    const now = timestamp();
    const project: Project = {
      id: newId(),
      name,
      organization_id: organizationId,
      created_at: now,
      updated_at: now,
      description,
      // The creation answer has no qualification yet; every later read has the default one.
      qualification: null,
    };
    projects().put(project.id, { ...project, qualification: { architecture_type: "unknown_architecture_type" } });
    await ctx.store.flush();
    return { body: project };
  });

  router.add("GET", base, (req) => {
    const q = req.query;
    const ids = q.getAll("project_ids");
    const bad = ids.find((id) => !isUuid(id));
    if (bad !== undefined) throw invalidArgument("project_ids", "format", `${bad} is not a UUID`);
    const org = q.get("organization_id");
    const name = q.get("name");
    const matches = projects()
      .all()
      .filter((p) => (org ? p.organization_id === org : true))
      // The name filter is a substring match, as the console's search.
      .filter((p) => (name ? p.name.includes(name) : true))
      .filter((p) => (ids.length > 0 ? ids.includes(p.id) : true));
    const page = paginate(q, matches, ordersBy<Project>({ created_at: (p) => p.created_at, name: (p) => p.name }), "created_at_asc");
    return { body: { total_count: page.total, projects: page.items.map(qualified) } };
  });

  router.add("GET", `${base}/{project_id}`, (req) => ({ body: qualified(find(req.params.project_id ?? "")) }));

  router.add("PATCH", `${base}/{project_id}`, async (req) => {
    const project = find(req.params.project_id ?? "");
    const f = new Fields(req.body);
    const name = f.string("name", { min: 1, max: 64 });
    const description = f.string("description", { max: 200 });
    f.check();
    const updated: Project = {
      ...project,
      name: name ?? project.name,
      description: description ?? project.description,
      updated_at: timestamp(),
    };
    projects().put(project.id, updated);
    await ctx.store.flush();
    // Recorded (project-basic.cassette.yaml): an update answers no qualification, as a creation does.
    return { body: { ...updated, qualification: null } };
  });

  router.add("DELETE", `${base}/{project_id}`, async (req) => {
    const project = find(req.params.project_id ?? "");
    projects().delete(project.id);
    await ctx.store.flush();
    return { status: 204 };
  });
}
