import path from "node:path";
import { scalewayFor } from "./scaleway.js";
import { loadRuleGroups, ruleFiles, type LoadedGroup } from "../alerts/rules.js";
import { rulerClient } from "../alerts/ruler.js";
import { syncGroups, type SyncResult } from "../alerts/sync.js";
import type { ResolvedEnvironment } from "../config/load.js";
import { EvalapError } from "../core/errors.js";
import { ExitCode } from "../core/exit-codes.js";
import { sdkFailure } from "../scaleway/errors.js";
import * as tofu from "../tofu/commands.js";
import type { OutputValue } from "../tofu/commands.js";
import { step, type RunContext } from "./context.js";

/** The namespace of an environment's rules in its data source's ruler. */
export const alertsNamespace = (environment: string): string => `evalap-${environment}`;

/** The rule files of an environment: `<alerts.dir>/*.yaml` and `<alerts.dir>/<root folder name>/*.yaml`. */
export async function environmentRuleFiles(ctx: Pick<RunContext, "config">, env: ResolvedEnvironment): Promise<string[]> {
  return ruleFiles(path.resolve(ctx.config.projectDir, ctx.config.alerts.dir), path.basename(env.rootDir));
}

export interface AlertsSyncReport extends SyncResult {
  environment: string;
  projectId: string;
  region: string;
  dataSource: { id: string; url: string };
  files: string[];
}

/**
 * Pushes the environment's rule files to the ruler of its project's Scaleway Metrics data source
 * (origin `scaleway`, type `metrics`: where Serverless Containers and RDB metrics live, and where
 * Cockpit evaluates data-source-managed rules: scaleway/docs-content
 * pages/cockpit/how-to/configure-alerts-for-scw-resources.mdx). Firing alerts go to the project's
 * alert manager and its contacts. The project is the root's `project_id` output once applied, else its
 * `project_id` input; the region is the profile's (the provider's) default region.
 * `outputs`: the root's outputs when the caller has them (a deploy's apply), else read with `tofu output`.
 */
export async function syncAlerts(
  ctx: RunContext,
  env: ResolvedEnvironment,
  groups: LoadedGroup[],
  files: string[],
  outputs?: Record<string, OutputValue>,
): Promise<AlertsSyncReport> {
  const scw = await scalewayFor(ctx);
  const values = outputs !== undefined && Object.keys(outputs).length > 0 ? outputs : await tofu.output(ctx.tofu, env.rootDir);
  const projectId = environmentProject(values, env.vars.project_id ?? ctx.tofu.env.TF_VAR_project_id ?? process.env.TF_VAR_project_id);
  if (projectId === undefined) {
    throw new EvalapError("alerts_project_unknown", `${env.name}: no project to find the Cockpit data source in`, {
      exitCode: ExitCode.Prerequisite,
      hint: `deploy ${env.name} first (its root outputs project_id), or give the root's project_id input ("vars" in evalap-infra.json or TF_VAR_project_id)`,
    });
  }
  const region = scw.defaultRegion ?? "fr-par";
  return step(
    ctx,
    "alerts",
    async () => {
      const cockpit = await scw.cockpit();
      const listed = await cockpit.listDataSources({ region, projectId, origin: "scaleway", types: ["metrics"] }).catch((err: unknown) => {
        throw sdkError(err, `listing the Cockpit data sources of project ${projectId} in ${region}`);
      });
      const source = listed.dataSources[0];
      if (source === undefined) {
        throw new EvalapError("alerts_no_data_source", `project ${projectId} has no Scaleway Metrics data source in ${region}`, {
          hint: "Cockpit gives every project one; check that the project id and SCW_DEFAULT_REGION are the environment's",
        });
      }
      const ruler = rulerClient({ url: source.url, secretKey: scw.secretKey, fetch: scw.fetch });
      const synced = await syncGroups(
        ruler,
        alertsNamespace(env.name),
        groups,
        `the Scaleway Metrics data source ${source.id} (project ${projectId})`,
      );
      return { ...synced, environment: env.name, projectId, region, dataSource: { id: source.id, url: source.url }, files };
    },
    (r) => ({ detail: summary(r) }),
  );
}

/**
 * The environment's project (one per environment, infra/bootstrap): the root's `project_id` output once it
 * was applied, else its `project_id` input. Never the profile's default project: under that layout it is
 * the registry's, and rules pushed there would watch nothing of the environment.
 */
export function environmentProject(outputs: Record<string, OutputValue>, input: unknown): string | undefined {
  const fromOutput = outputs.project_id?.value;
  if (typeof fromOutput === "string" && fromOutput !== "") return fromOutput;
  return typeof input === "string" && input !== "" ? input : undefined;
}

/** "2 created, 1 updated, 1 deleted, 3 unchanged" (the parts that are not zero; "no groups" when all are). */
export function summary(r: SyncResult): string {
  const parts = (
    [
      ["created", r.created],
      ["updated", r.updated],
      ["deleted", r.deleted],
      ["unchanged", r.unchanged],
    ] as const
  )
    .filter(([, list]) => list.length > 0)
    .map(([what, list]) => `${list.length} ${what}`);
  return `${r.namespace}: ${parts.length > 0 ? parts.join(", ") : "no groups"}`;
}

/** Loads the environment's groups; null when it has no rule file. */
export async function environmentGroups(
  ctx: Pick<RunContext, "config">,
  env: ResolvedEnvironment,
): Promise<{ files: string[]; groups: LoadedGroup[] } | null> {
  const files = await environmentRuleFiles(ctx, env);
  if (files.length === 0) return null;
  const groups = await loadRuleGroups(files, ctx.config.projectDir);
  return { files: files.map((f) => path.relative(ctx.config.projectDir, f)), groups };
}

function sdkError(err: unknown, what: string): EvalapError {
  return sdkFailure(err, what, {
    unauthorized: {
      code: "alerts_unauthorized",
      hint: "use a Scaleway API key (SCW_ACCESS_KEY/SCW_SECRET_KEY) whose IAM policy grants ObservabilityFullAccess on the environment's project",
    },
    failed: {
      code: "alerts_data_source_lookup",
      hint: "check SCW_API_URL, the project and the region, then run `evalap-infra alerts sync <env>` again",
    },
  });
}
