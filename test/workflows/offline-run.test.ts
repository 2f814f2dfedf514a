import { writeFile } from "node:fs/promises";
import pg from "pg";
import type { SecretsListReport } from "../../src/operations/secrets.js";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";
import { sandboxProject, type RunningSandbox } from "../helpers/sandbox.js";
import { loadWorkflow, runJob, type JobResult, type JobRunOptions, type Workflow, type WorkflowEvent } from "../helpers/workflow-run.js";

/**
 * The workflows of .github/workflows, run offline (issue 13): every `run:` step that calls
 * evalap-infra runs as the runner would run it, with the environment its workflow, job and step set,
 * against the sandbox (the real tofu and Scaleway provider on the emulator): staging deployed on a
 * merge, then by hand with a new image; production promoted from staging's healthy release;
 * staging rolled back; the scheduled backups, their verification and the monthly rotation. Each
 * step's exit code is asserted. The GitHub secrets map to the sandbox's credentials, its variables
 * to the sandbox's projects.
 */
describe("the workflows, run offline on the sandbox", () => {
  let sb: RunningSandbox;
  let productionProject = "";
  // Not a placeholder domain: the monitoring module refuses those.
  const PRODUCTION_ONCALL = "oncall-production@evalap.beta.gouv.fr";
  const wf: Record<string, Workflow> = {};

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
    for (const name of ["staging", "production", "rollback", "operations", "pr"]) {
      wf[name] = await loadWorkflow(path.join(REPO, ".github", "workflows", `${name}.yml`));
    }
    // infra/bootstrap's layout: staging in the sandbox environment's project, production in its own.
    const res = await fetch(`${sb.descriptor.apiUrl}/account/v3/projects`, {
      method: "POST",
      headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "evalap-production", organization_id: sb.descriptor.scaleway.organizationId }),
    });
    expect(res.status).toBeLessThan(300);
    productionProject = String(((await res.json()) as { id: string }).id);
    // Both environments on the sandbox (its bucket and keys), production in its own project.
    await writeFile(
      path.join(sb.projectDir, "evalap-infra.json"),
      JSON.stringify({
        environments: {
          staging: { root: "infra/staging", sandbox: true },
          production: {
            root: "infra/production",
            protection: "protected",
            sandbox: true,
            vars: { project_id: productionProject, project_name: "evalap-production", alert_contact_emails: [PRODUCTION_ONCALL] },
          },
        },
      }),
    );
  }, 180_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const options = (event: WorkflowEvent, extra: Partial<JobRunOptions> = {}): JobRunOptions => ({
    cwd: sb.projectDir,
    event,
    secrets: () => ({
      SCW_ACCESS_KEY: sb.descriptor.scaleway.accessKey,
      SCW_SECRET_KEY: sb.descriptor.scaleway.secretKey,
      SCW_DEFAULT_ORGANIZATION_ID: sb.descriptor.scaleway.organizationId,
      STATE_PASSPHRASE: sb.descriptor.statePassphrase,
    }),
    vars: (environment) => ({
      SCW_DEFAULT_PROJECT_ID: sb.descriptor.scaleway.projectId,
      PROJECT_ID: environment.startsWith("production") ? productionProject : sb.descriptor.environmentProject.id,
      REGISTRY_PROJECT_ID: sb.descriptor.scaleway.projectId,
      ALERT_CONTACT_EMAILS: environment.startsWith("production")
        ? JSON.stringify([PRODUCTION_ONCALL])
        : '["alerts@evalap-sandbox.internal"]',
    }),
    ...extra,
  });
  const job = (workflow: string, id: string, event: WorkflowEvent, extra?: Partial<JobRunOptions>) => {
    const w = wf[workflow];
    if (!w) throw new Error(`no workflow ${workflow}`);
    return runJob(w, id, options(event, extra));
  };
  /** Each step's name and exit code, with the output of any step that did not end as expected. */
  const expectSteps = (r: JobResult, expected: Array<[string, number]>) => {
    const got = r.steps.map((s) => [s.name, s.exitCode]);
    const transcript = r.steps.map((s) => `--- ${s.name}: exit ${s.exitCode}\n${s.stdout}\n${s.stderr}`).join("\n");
    expect(got, transcript).toEqual(expected);
  };
  const releases = async (environment: string) => {
    const r = await sb.run(["releases", "list", environment, "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    return r.events.find((e) => e.type === "data" && e.kind === "releases")?.data as Array<{
      id: string;
      kind: string;
      rollbackOf?: string;
      status: string;
      images: Record<string, string>;
    }>;
  };
  /**
   * The tables of EvalAP's schema the stand-in's migrations do not create (it needs only a few),
   * created as the app user: what the restore test checks a restored database for.
   */
  const completeSchema = async (environment: string) => {
    const r = await sb.run(["secrets", "list", environment, "--json"]);
    const report = r.events.find((e) => e.type === "data" && e.kind === "secrets.list")?.data as SecretsListReport;
    const id = report.secrets.find((x) => x.name === "POSTGRES_URL")?.secretId.split("/")[1] ?? "";
    const res = await fetch(`${sb.descriptor.apiUrl}/secret-manager/v1beta1/regions/fr-par/secrets/${id}/versions/latest_enabled/access`, {
      headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey },
    });
    const url = new URL(
      Buffer.from(((await res.json()) as { data: string }).data, "base64")
        .toString("utf8")
        .replace(/^postgresql\+psycopg2:/, "postgresql:"),
    );
    const client = new pg.Client({
      host: url.hostname,
      port: Number(url.port),
      // The application database the backups hold (backup.test.ts connects to it by the same name).
      database: "evalap",
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
    });
    await client.connect();
    try {
      for (const table of ["datasets", "models", "experiments", "experiment_sets", "results", "observation_table", "answers"]) {
        await client.query(`CREATE TABLE IF NOT EXISTS ${table} (id serial PRIMARY KEY)`);
      }
    } finally {
      await client.end();
    }
  };
  const image = (tag: string) => `${sb.descriptor.images.evalap?.replace(/:[^:/]+$/, "")}:${tag}`;

  it("staging.yml on a merge to main: deploys staging, healthy", async () => {
    const r = await job("staging", "deploy", { name: "push" });
    expect(r.environment).toBe("staging");
    expect(r.notRun).toEqual(["actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1", "./.github/actions/setup"]);
    expectSteps(r, [["Deploy staging", 0]]);
    // The job's credentials reached the step by name; the sandbox's replaced them (a sandbox run never reaches Scaleway).
    expect(Object.keys(r.steps[0]?.env ?? {})).toEqual(
      expect.arrayContaining(["SCW_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY", "TF_VAR_state_passphrase"]),
    );
    const [current] = await releases("staging");
    expect(current).toMatchObject({ status: "healthy", images: { evalap: sb.descriptor.images.evalap } });
  }, 900_000);

  it("staging.yml by hand with an image: deploys that image", async () => {
    const push = await sb.cli(["sandbox", "push", image("sandbox-2"), "--data-dir", sb.dataDir]);
    expect(push.exitCode, push.stdout + push.stderr).toBe(0);
    const r = await job("staging", "deploy", { name: "workflow_dispatch", inputs: { images: `evalap=${image("sandbox-2")}` } });
    expectSteps(r, [["Deploy staging", 0]]);
    const [current] = await releases("staging");
    expect(current).toMatchObject({ status: "healthy", images: { evalap: image("sandbox-2") } });
  }, 900_000);

  it("production.yml: promotes exactly the images staging runs healthy", async () => {
    const r = await job("production", "deploy", { name: "workflow_dispatch" });
    expect(r.environment).toBe("production");
    expectSteps(r, [["Promote staging's images to production", 0]]);
    const [staging] = await releases("staging");
    const [production] = await releases("production");
    expect(production?.status).toBe("healthy");
    expect(production?.images).toEqual(staging?.images);
    expect(production?.images.evalap).toBe(image("sandbox-2"));
  }, 900_000);

  it("rollback.yml: staging back to its previous healthy release, then to a release named by id", async () => {
    const back = await job("rollback", "rollback", { name: "workflow_dispatch", inputs: { environment: "staging", release: "" } });
    expect(back.environment).toBe("staging");
    expectSteps(back, [["Roll back", 0]]);
    const after = await releases("staging");
    expect(after[0]).toMatchObject({ kind: "rollback", status: "healthy", images: { evalap: sb.descriptor.images.evalap } });
    // The release it left is marked rolled back: no longer a target.
    expect(after.find((r) => r.images.evalap === image("sandbox-2") && r.kind === "deploy")?.status).toBe("rolled_back");

    // A release id typed in the form reaches --to: the first deploy.
    const first = after.find((r) => r.kind === "deploy" && r.status === "healthy" && r.images.evalap === sb.descriptor.images.evalap);
    expect(first).toBeDefined();
    const named = await job("rollback", "rollback", {
      name: "workflow_dispatch",
      inputs: { environment: "staging", release: first?.id ?? "" },
    });
    expectSteps(named, [["Roll back", 0]]);
    const [again] = await releases("staging");
    expect(again).toMatchObject({ kind: "rollback", rollbackOf: first?.id, status: "healthy" });
  }, 900_000);

  it("operations.yml on its schedules: backups by tier, verify (restore test weekly), rotation after the monthly backup", async () => {
    const staging = { matrix: { environment: "staging" } };
    const schedule = (cron: string): WorkflowEvent => ({ name: "schedule", schedule: cron });

    // Not this schedule's jobs: skipped as GitHub skips them.
    expect((await job("operations", "drift", schedule("0 2 * * *"), staging)).ran).toBe(false);

    // 1st of the month on a new environment: the monthly backup is made, verify fails on the missing
    // daily (exit 19, the lowest failing check's: the backup the deploy's migration took first is a
    // `premigrate` one, never a daily) and weekly, and the rotation, which needs the backups, does not run.
    const monthly = await job("operations", "backup", schedule("0 4 1 * *"), staging);
    expect(monthly.environment).toBe("staging-operations");
    expectSteps(monthly, [
      ["Back up", 0],
      ["Verify the backups", 19],
    ]);
    expect((await job("operations", "rotate", schedule("0 4 1 * *"), { ...staging, needs: { backup: "failure" } })).ran).toBe(false);

    // The nightly one: daily backup; the weekly is still missing (exit 20).
    const daily = await job("operations", "backup", schedule("0 2 * * *"), staging);
    expectSteps(daily, [
      ["Back up", 0],
      ["Verify the backups", 20],
    ]);

    // Sunday: weekly backup, then every check passes and the restore test restores it (EvalAP's
    // tables in it: the stand-in's own migrations make only some).
    await completeSchema("staging");
    const weekly = await job("operations", "backup", schedule("0 3 * * 0"), staging);
    expect(weekly.steps[1]?.env.RESTORE_TEST).toBe("true");
    expectSteps(weekly, [
      ["Back up", 0],
      ["Verify the backups", 0],
    ]);
    expect(weekly.steps[1]?.stdout + (weekly.steps[1]?.stderr ?? "")).toMatch(/restore/i);

    // The next 1st of the month: backups pass, so the rotation runs; nothing is due yet (exit 0).
    const nextMonthly = await job("operations", "backup", schedule("0 4 1 * *"), staging);
    expectSteps(nextMonthly, [
      ["Back up", 0],
      ["Verify the backups", 0],
    ]);
    const rotate = await job("operations", "rotate", schedule("0 4 1 * *"), { ...staging, needs: { backup: nextMonthly.result } });
    expectSteps(rotate, [["Rotate the secrets that are due", 0]]);

    // By hand: a rotation on its own runs although the backup job was skipped.
    const byHand = await job(
      "operations",
      "rotate",
      { name: "workflow_dispatch", inputs: { operation: "rotate" } },
      { ...staging, needs: { backup: "skipped" } },
    );
    expectSteps(byHand, [["Rotate the secrets that are due", 0]]);
  }, 1_800_000);

  it("drift nightly and the pull request's plan and cost: exit codes and the job summaries the GitHub reporter writes", async () => {
    const staging = { matrix: { environment: "staging" } };
    // Nothing changed staging behind tofu's back since the deploys above: exit 0, and a summary.
    const drift = await job("operations", "drift", { name: "schedule", schedule: "0 1 * * *" }, staging);
    expectSteps(drift, [["Drift", 0]]);
    expect(drift.steps[0]?.summary).toMatch(/evalap-infra drift staging: succeeded/);

    // A pull request from this repository: plan and cost of staging, both in the job summary.
    const pullRequest = (repo: string): WorkflowEvent => ({
      name: "pull_request",
      ref: "refs/pull/7/merge",
      payload: { pull_request: { number: 7, head: { repo: { full_name: repo } } } },
    });
    const plan = await job("pr", "plan", pullRequest("etalab-ia/evalap-infra"), { ...staging, needs: { checks: "success" } });
    expectSteps(plan, [
      ["Plan staging", 0],
      ["Cost of staging", 0],
    ]);
    expect(plan.steps[0]?.summary).toMatch(/#### Estimated monthly cost/);
    expect(plan.steps[1]?.summary).toMatch(/evalap-infra cost staging: succeeded/);
    // From a fork, no secrets: the plan job does not run.
    expect((await job("pr", "plan", pullRequest("someone/evalap-infra"), { ...staging, needs: { checks: "success" } })).ran).toBe(false);
  }, 600_000);
});
