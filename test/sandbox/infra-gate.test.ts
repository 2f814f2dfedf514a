import { cp, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, tofuIn } from "../helpers/project.js";
import { sandboxProject, type RunningSandbox } from "../helpers/sandbox.js";
import { seedAppSecrets } from "../helpers/secret-seed.js";

/**
 * The provider gate (issue 9): the real provider 2.81 applies a root per module, then infra/staging and
 * infra/production, each in its own project, on the sandbox; the next plan finds nothing to do (no drift,
 * no perpetual diff); destroy leaves the sandbox as it found it. A failure here is an emulator bug or an
 * infra bug. Issue 10: a root pointed at the other environment's project stops before changing anything,
 * and destroying staging leaves production's alerting as it was. Issue 11: Secret Manager holds the
 * application secrets' values; a root's first full apply needs an enabled version of each (seeded here
 * as the CLI's `secrets set` writes them), and a new version redeploys the containers.
 */

/**
 * Collections that are no resources of a root: records Scaleway keeps of deleted ones (scheduled
 * deletions, counters) and per-project settings (a project's Cockpit alert manager always exists,
 * enabled or not: the cockpit root checks it is disabled and empty after its destroy).
 */
const TOMBSTONES = /^(secret\.scheduled_for_deletion|secret\.revisions|cockpit\.alert_managers)$/;

const live = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).filter(([k, n]) => !TOMBSTONES.test(k) && n > 0));

interface GateRoot {
  /** The root, relative to the sandbox project. */
  dir: string;
  /** Uses the s3 backend: pointed at the sandbox's bucket under its own key. */
  backend?: string;
  /** Files copied into the root before init, relative to the sandbox project (a part of another root). */
  copy?: string[];
  /** Extra arguments of plan/apply/destroy. */
  args?: (sb: RunningSandbox) => string[];
  /** Before destroy: what an operator does first (production's secrets are protected). */
  beforeDestroy?: string[];
  /** After destroy: what must hold besides the resource counts. */
  afterDestroy?: (sb: RunningSandbox) => Promise<void>;
}

/** GET on the sandbox's API as the provider's key. */
async function api(sb: RunningSandbox, pathAndQuery: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${sb.descriptor.apiUrl}${pathAndQuery}`, { headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey } });
  expect(res.status, pathAndQuery).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/** A project's alert manager: enabled or not, its contact emails and its enabled preconfigured rules. */
async function alerting(sb: RunningSandbox, project: string): Promise<{ enabled: boolean; contacts: string[]; rules: number }> {
  const regional = "/cockpit/v1/regions/fr-par";
  const manager = await api(sb, `${regional}/alert-manager?project_id=${project}`);
  const points = (await api(sb, `${regional}/alert-manager/contact-points?project_id=${project}`)) as {
    contact_points: { email: { to: string } }[];
  };
  const alerts = (await api(sb, `${regional}/alerts?is_preconfigured=true&project_id=${project}`)) as { alerts: { rule_status: string }[] };
  return {
    enabled: manager.alert_manager_enabled === true,
    contacts: points.contact_points.map((c) => c.email.to),
    rules: alerts.alerts.filter((a) => a.rule_status === "enabled" || a.rule_status === "enabling").length,
  };
}

/** Destroying the alert manager disables it and removes every contact point (which is why one per project matters). */
async function alertManagerOff(sb: RunningSandbox): Promise<void> {
  expect(await alerting(sb, sb.descriptor.scaleway.projectId)).toMatchObject({ enabled: false, contacts: [] });
}

async function call(sb: RunningSandbox, method: string, pathAndQuery: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${sb.descriptor.apiUrl}${pathAndQuery}`, {
    method,
    headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey, "Content-Type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status, `${method} ${pathAndQuery}`).toBeLessThan(300);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

const images = (sb: RunningSandbox) => ["-var", `images=${JSON.stringify(sb.descriptor.images)}`];

const ROOTS: GateRoot[] = [
  { dir: "gate/network" },
  { dir: "gate/secret-manager" },
  { dir: "gate/container-registry" },
  { dir: "gate/cockpit-monitoring", afterDestroy: alertManagerOff },
  { dir: "gate/managed-postgresql" },
  // The bootstrap's projects and IAM: the real provider checks every rule shape and permission set name.
  { dir: "gate/bootstrap-iam", copy: ["infra/bootstrap/projects.tf", "infra/bootstrap/iam.tf"] },
];

describe("provider gate: infra/ applied by the real provider on the sandbox", () => {
  let sb: RunningSandbox;
  let baseline: Record<string, number>;

  beforeAll(async () => {
    sb = await sandboxProject();
    await cp(path.join(FIXTURES, "infra-gate"), path.join(sb.projectDir, "gate"), { recursive: true });
    baseline = live(await sb.counts());
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  for (const root of ROOTS) {
    it(`${root.dir}: apply, no drift, destroy to nothing`, async () => {
      const dir = path.join(sb.projectDir, root.dir);
      const tofu = async (...args: string[]) => {
        const r = await tofuIn(dir, [...args, "-no-color", "-input=false"], sb.env);
        return { ...r, output: `tofu ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
      };
      for (const file of root.copy ?? []) await cp(path.join(sb.projectDir, file), path.join(dir, path.basename(file)));
      const extra = root.args?.(sb) ?? [];
      const backend = root.backend
        ? [
            `-backend-config=bucket=${sb.descriptor.s3.stateBucket}`,
            `-backend-config=key=${root.backend}`,
            `-backend-config=endpoints={s3=${JSON.stringify(sb.descriptor.s3.endpoint)}}`,
          ]
        : [];
      const init = await tofu("init", ...backend);
      expect(init.exitCode, init.output).toBe(0);
      const apply = await tofu("apply", "-auto-approve", ...extra);
      expect(apply.exitCode, apply.output).toBe(0);
      const plan = await tofu("plan", "-detailed-exitcode", ...extra);
      expect(plan.exitCode, plan.output).toBe(0);
      if (root.beforeDestroy) {
        const prepare = await tofu("apply", "-auto-approve", ...extra, ...root.beforeDestroy);
        expect(prepare.exitCode, prepare.output).toBe(0);
      }
      const destroy = await tofu("destroy", "-auto-approve", ...extra, ...(root.beforeDestroy ?? []));
      expect(destroy.exitCode, destroy.output).toBe(0);
      // A deleted record answers `deleting` for the sandbox's ready delay before it leaves, as Scaleway's do.
      await expect.poll(async () => live(await sb.counts()), { timeout: 15_000, interval: 250 }).toEqual(baseline);
      await root.afterDestroy?.(sb);
    }, 600_000);
  }
  it("infra/staging and infra/production in their own projects: no crossing, and destroying staging leaves production's alerting intact", async () => {
    const tofuAt = (dir: string, key: string) => {
      const cwd = path.join(sb.projectDir, dir);
      const run = async (...args: string[]) => {
        const r = await tofuIn(cwd, [...args, "-no-color", "-input=false"], sb.env);
        return { ...r, output: `tofu ${args.join(" ")} (${dir}) exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
      };
      const init = () =>
        run(
          "init",
          `-backend-config=bucket=${sb.descriptor.s3.stateBucket}`,
          `-backend-config=key=${key}`,
          `-backend-config=endpoints={s3=${JSON.stringify(sb.descriptor.s3.endpoint)}}`,
        );
      return { run, init };
    };
    // infra/bootstrap's layout: staging in the sandbox environment's project, production in its own.
    const stagingProject = sb.descriptor.environmentProject.id;
    const created = await call(sb, "POST", "/account/v3/projects", {
      name: "evalap-production",
      organization_id: sb.descriptor.scaleway.organizationId,
    });
    const productionProject = String(created.id);
    const staging = tofuAt("infra/staging", "gate/staging.tfstate");
    const production = tofuAt("infra/production", "gate/production.tfstate");
    const productionVars = [
      ...images(sb),
      "-var",
      `project_id=${productionProject}`,
      "-var",
      "project_name=evalap-production",
      "-var",
      'alert_contact_emails=["oncall-production@evalap.beta.gouv.fr"]',
    ];
    const expectOk = (r: { exitCode: number; output: string }) => expect(r.exitCode, r.output).toBe(0);

    expectOk(await staging.init());
    expectOk(await production.init());
    const projectDir = sb.projectDir;

    // Staging handed production's project (a copied tfvars line): the plan stops at the name check.
    const crossed = await staging.run("plan", ...images(sb), "-var", `project_id=${productionProject}`);
    expect(crossed.exitCode, crossed.output).toBe(1);
    expect(crossed.output.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ")).toContain('is not the project named "evalap-sandbox"');
    expect(live(await sb.counts())).toEqual({ ...baseline, "account.projects": (baseline["account.projects"] ?? 0) + 1 });

    // The secret shells, then a version of each application secret, before the first full apply.
    await seedAppSecrets({ sb, root: path.join(projectDir, "infra/staging"), environment: "staging", args: images(sb) });
    await seedAppSecrets({
      sb,
      root: path.join(projectDir, "infra/production"),
      environment: "production",
      args: productionVars,
      projectId: productionProject,
    });
    expectOk(await staging.run("apply", "-auto-approve", ...images(sb)));
    expectOk(await production.run("apply", "-auto-approve", ...productionVars));
    expectOk(await staging.run("plan", "-detailed-exitcode", ...images(sb)));
    expectOk(await production.run("plan", "-detailed-exitcode", ...productionVars));

    // One alert manager per project, each with its own contacts and the PostgreSQL rules.
    expect(await alerting(sb, stagingProject)).toEqual({ enabled: true, contacts: ["alerts@evalap-sandbox.internal"], rules: 3 });
    const productionAlerting = await alerting(sb, productionProject);
    expect(productionAlerting).toEqual({ enabled: true, contacts: ["oncall-production@evalap.beta.gouv.fr"], rules: 3 });

    expectOk(await staging.run("destroy", "-auto-approve", ...images(sb)));
    expect(await alerting(sb, stagingProject)).toMatchObject({ enabled: false, contacts: [] });
    // Production's alerting is untouched by staging's destroy.
    expect(await alerting(sb, productionProject)).toEqual(productionAlerting);
    expectOk(await production.run("plan", "-detailed-exitcode", ...productionVars));

    // Protected secrets refuse deletion (412), as on Scaleway, and the database carries prevent_destroy:
    // lift both first, as the runbook says.
    const lifted = [...productionVars, "-var", "protect_secrets=false", "-var", "prevent_database_destroy=false"];
    expectOk(await production.run("apply", "-auto-approve", ...lifted));
    expectOk(await production.run("destroy", "-auto-approve", ...lifted));
    await call(sb, "DELETE", `/account/v3/projects/${productionProject}`);
    await expect.poll(async () => live(await sb.counts()), { timeout: 15_000, interval: 250 }).toEqual(baseline);
  }, 900_000);
  it("app secrets come from Secret Manager: a missing version stops the first full apply, a new version redeploys the containers", async () => {
    const dir = path.join(sb.projectDir, "infra/staging");
    const tofu = async (...args: string[]) => {
      const r = await tofuIn(dir, [...args, "-no-color", "-input=false"], sb.env);
      return { ...r, output: `tofu ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
    };
    const expectOk = (r: { exitCode: number; output: string }) => expect(r.exitCode, r.output).toBe(0);
    const revisions = async () => {
      const r = await tofu("output", "-json", "secret_revisions");
      expectOk(r);
      return JSON.parse(r.stdout) as Record<string, number>;
    };
    expectOk(
      await tofu(
        "init",
        "-reconfigure",
        `-backend-config=bucket=${sb.descriptor.s3.stateBucket}`,
        "-backend-config=key=gate/staging-secrets.tfstate",
        `-backend-config=endpoints={s3=${JSON.stringify(sb.descriptor.s3.endpoint)}}`,
      ),
    );

    // The shells exist, but OPENAI_API_KEY (in staging's default app_secret_names) has no version yet.
    await seedAppSecrets({ sb, root: dir, environment: "staging", args: images(sb), only: ["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN"] });
    const missing = await tofu("apply", "-auto-approve", ...images(sb));
    expect(missing.exitCode, missing.output).toBe(1);
    const message = missing.output.replace(/[│╷╵]/g, " ").replace(/\s+/g, " ");
    expect(message).toContain('data.scaleway_secret_version.app["OPENAI_API_KEY"]');
    expect(message).toMatch(/secret_version .* is not found/);
    expect(live(await sb.counts())["container.containers"] ?? 0).toBe(0);

    const first = await seedAppSecrets({ sb, root: dir, environment: "staging", args: images(sb), only: ["OPENAI_API_KEY"] });
    expectOk(await tofu("apply", "-auto-approve", ...images(sb)));
    const before = await revisions();
    expect(before).toMatchObject({
      ADMIN_TOKEN: 1,
      EVALAP_FRONTEND_TOKEN: 1,
      OPENAI_API_KEY: first.OPENAI_API_KEY?.revision,
      POSTGRES_URL: 1,
      DB_APP_CREDENTIALS: 1,
    });
    expectOk(await tofu("plan", "-detailed-exitcode", ...images(sb)));

    // A rotation as the CLI writes it: a new version through the SDK. The next plan changes the
    // containers' secret environment (which redeploys them), and after the apply secret_revisions
    // names the new revision.
    const rotated = await seedAppSecrets({
      sb,
      root: dir,
      environment: "staging",
      args: images(sb),
      only: ["ADMIN_TOKEN"],
      values: { ADMIN_TOKEN: "rotated-admin-token-value" },
    });
    expect(rotated.ADMIN_TOKEN?.revision).toBe(2);
    const plan = await tofu("plan", "-detailed-exitcode", ...images(sb));
    expect(plan.exitCode, plan.output).toBe(2);
    expect(plan.output).toContain('module.platform.module.containers.scaleway_container.this["evalap"] will be updated in-place');
    expect(plan.output).toMatch(/~ secret_environment_variables/);
    expect(plan.output).not.toContain("rotated-admin-token-value");
    expectOk(await tofu("apply", "-auto-approve", ...images(sb)));
    expect(await revisions()).toEqual({ ...before, ADMIN_TOKEN: 2 });
    expectOk(await tofu("plan", "-detailed-exitcode", ...images(sb)));

    expectOk(await tofu("destroy", "-auto-approve", ...images(sb)));
  }, 900_000);
  it("a state of issue 10's secret-manager module forgets its versions instead of deleting the values", async () => {
    const dir = path.join(sb.projectDir, "gate/secret-manager-migration");
    const moduleDir = path.join(dir, "module");
    const tofu = async (...args: string[]) => {
      const r = await tofuIn(dir, [...args, "-no-color", "-input=false"], sb.env);
      return { ...r, output: `tofu ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}` };
    };
    const expectOk = (r: { exitCode: number; output: string }) => expect(r.exitCode, r.output).toBe(0);
    const root = (values: string) => `terraform {
  required_providers {
    scaleway = { source = "scaleway/scaleway", version = "~> 2.81" }
  }
}
data "scaleway_account_project" "current" {}
module "secrets" {
  source      = "./module"
  name_prefix = "migrate"
  path        = "/evalap/migrate"
  project_id  = data.scaleway_account_project.current.project_id
  secrets     = { ADMIN_TOKEN = {} }
${values}}
output "secret_ids" {
  value = module.secrets.secret_ids
}
`;
    // Issue 10's module (test/fixtures/secret-manager-issue10): tofu wrote the value as a version.
    await cp(path.join(FIXTURES, "secret-manager-issue10"), moduleDir, { recursive: true });
    await writeFile(path.join(dir, "main.tf"), root('  values      = { ADMIN_TOKEN = "migrate-admin-token-value" }\n'));
    expectOk(await tofu("init"));
    expectOk(await tofu("apply", "-auto-approve"));
    const ids = JSON.parse((await tofu("output", "-json", "secret_ids")).stdout) as Record<string, string>;
    const versions = async () => {
      const body = (await api(sb, `/secret-manager/v1beta1/regions/fr-par/secrets/${ids.ADMIN_TOKEN?.split("/")[1]}/versions`)) as {
        versions: { revision: number; status: string }[];
      };
      return body.versions.map((v) => ({ revision: v.revision, status: v.status }));
    };
    expect(await versions()).toEqual([{ revision: 1, status: "enabled" }]);

    // Today's module in its place: the plan forgets the version (removed block), and the value stays.
    await rm(moduleDir, { recursive: true });
    await cp(path.join(sb.projectDir, "infra/modules/secret-manager"), moduleDir, {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}tests`),
    });
    await writeFile(path.join(dir, "main.tf"), root(""));
    const plan = await tofu("plan");
    expectOk(plan);
    expect(plan.output).toContain(
      'module.secrets.scaleway_secret_version.this["ADMIN_TOKEN"] will be removed from the OpenTofu state but will not be destroyed',
    );
    expect(plan.output).toContain("0 to destroy");
    expectOk(await tofu("apply", "-auto-approve"));
    expect(await versions()).toEqual([{ revision: 1, status: "enabled" }]);
    expectOk(await tofu("plan", "-detailed-exitcode"));

    expectOk(await tofu("destroy", "-auto-approve"));
    await expect.poll(async () => live(await sb.counts()), { timeout: 15_000, interval: 250 }).toEqual(baseline);
  }, 600_000);
});
