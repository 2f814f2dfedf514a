import { z } from "zod";
import { DURATION_PATTERN, LONG_DURATION_PATTERN, parseDuration } from "../core/duration.js";
import type { RetryPolicy } from "../retry/backoff.js";

/** A duration such as "30s", "5m", "500ms"; parsed to milliseconds. */
const duration = (dflt: string) =>
  z
    .string()
    .regex(DURATION_PATTERN, { message: 'expected a duration such as "500ms", "30s", "5m" or "1h"' })
    .default(dflt)
    .transform((s) => parseDuration(s) ?? 0);

/** A duration with no default (a value of a record), parsed to milliseconds. */
const durationValue = z
  .string()
  .regex(LONG_DURATION_PATTERN, { message: 'expected a duration such as "90d", "720h" or "30m"' })
  .transform((s) => parseDuration(s) ?? 0);

/**
 * Maximum age of the latest enabled version of each generated secret: the CLI makes these values
 * (tokens, the database's passwords and URL), so nothing outside stops a rotation. External API keys
 * (OPENAI_API_KEY...) have none unless configured: their provider decides when they change.
 */
export const DEFAULT_SECRET_MAX_AGE: Readonly<Record<string, string>> = Object.freeze({
  ADMIN_TOKEN: "90d",
  EVALAP_FRONTEND_TOKEN: "90d",
  DB_APP_CREDENTIALS: "90d",
});

const tfvarValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.unknown()), z.record(z.string(), z.unknown())]);

/** Where the environment's coordination data lives: the state bucket on Object Storage. */
const remote = z.strictObject({
  bucket: z.string().min(3).describe("The environment's state bucket (lock, release ledger and audit trail live beside the state)"),
  endpoint: z.string().url().default("https://s3.fr-par.scw.cloud").describe("Object Storage endpoint"),
  region: z.string().default("fr-par").describe("Region of the state bucket (the s3 backend's region)"),
  prefix: z.string().optional().describe('Key prefix of the tool\'s objects (default "evalap-infra/<environment>")'),
});

export const environmentSchema = z.strictObject({
  root: z.string().min(1).describe("OpenTofu root module of this environment, relative to the config file (e.g. infra/staging)"),
  protection: z
    .enum(["standard", "protected"])
    .default("standard")
    .describe('"protected" (production) needs --yes or an interactive confirmation to apply changes'),
  vars: z.record(z.string(), tfvarValue).default({}).describe("Non-secret input variables passed with -var"),
  varFiles: z.array(z.string()).default([]).describe("tfvars files passed with -var-file, relative to the root"),
  backendConfig: z.record(z.string(), z.string()).default({}).describe("Extra -backend-config key=value pairs for tofu init"),
  remote: remote
    .optional()
    .describe("Cross-machine lock, release ledger and audit trail in the state bucket; without it, only the local lock applies"),
  images: z
    .record(z.string(), z.string())
    .default({})
    .describe("Image reference per service for a first deploy, when neither --image nor a previous healthy release names one"),
  sandbox: z
    .boolean()
    .default(false)
    .describe("Deploy to the local sandbox (`evalap-infra sandbox up`): its API, bucket and keys replace SCW_*/AWS_* for this environment"),
});

/** Resource types whose deletion loses data: deleting or replacing one needs --allow-destroy. */
export const DEFAULT_STATEFUL_TYPES = [
  "scaleway_rdb_instance",
  "scaleway_rdb_database",
  "scaleway_rdb_read_replica",
  "scaleway_object_bucket",
  "scaleway_secret",
  "scaleway_secret_version",
  "scaleway_registry_namespace",
  "scaleway_cockpit",
] as const;

export const configSchema = z
  .strictObject({
    $schema: z.string().optional(),
    environments: z
      .record(
        z.string().regex(/^[a-z][a-z0-9-]*$/, { message: "environment names are lower-case letters, digits and dashes" }),
        environmentSchema,
      )
      .refine((envs) => Object.keys(envs).length > 0, { message: "declare at least one environment" })
      .describe("Deployable environments, each mapped to an OpenTofu root module"),
    modulesDir: z.string().default("infra/modules").describe("Directory of reusable modules, checked by `validate`"),
    retry: z
      .strictObject({
        attempts: z.number().int().min(1).max(20).default(5).describe("Attempts for a transient failure (first try included)"),
        baseDelay: duration("1s").describe("First backoff delay; doubles each attempt, with full jitter"),
        maxDelay: duration("30s").describe("Upper bound of one backoff delay"),
        budget: duration("10m").describe("Total time a step may spend retrying"),
      })
      .prefault({})
      .describe("Retries of transient failures (tofu steps, the state bucket, the Scaleway API)"),
    lock: z
      .strictObject({
        timeout: duration("10m").describe("How long a run waits for the deployment lock (overridden by --lock-timeout)"),
        poll: duration("2s").describe("How often a waiting run retries the lock"),
        stale: duration("30s").describe("A local lock not refreshed for this long belongs to a dead process"),
        lease: duration("60s").describe("Lease of the remote lock, renewed by a heartbeat; an expired lease may be taken over"),
      })
      .prefault({})
      .describe("The deployment locks: the local lock of this machine and the remote lease in the state bucket"),
    health: z
      .strictObject({
        consecutive: z.number().int().min(1).max(100).default(3).describe("Consecutive good answers needed per service"),
        interval: duration("2s").describe("Pause between two checks of one service"),
        timeout: duration("5s").describe("Timeout of one health request"),
        latencyBudget: duration("2s").describe("A good answer must come within this time"),
        deadline: duration("5m").describe("All services must be healthy within this time after apply"),
        // 3 definite failures 2 s apart after a 3 s grace end the gate ~8 s after apply (checks at
        // 0, 2 s in the grace, then 4, 6, 8 s): a release answering 500 is rolled back within 10 s.
        failureThreshold: z
          .number()
          .int()
          .min(1)
          .max(100)
          .default(3)
          .describe("This many definite failures in a row (5xx, 4xx, connection refused, wrong body) after the grace end the gate at once"),
        grace: duration("3s").describe(
          "Start-up grace after apply: failures of checks sent within it do not count toward failureThreshold",
        ),
      })
      .prefault({})
      .describe("The health gate after an apply (the root's services output says what to check)"),
    rollback: z
      .strictObject({
        automatic: z
          .boolean()
          .default(true)
          .describe("Roll back to the last healthy release when the health gate fails (--no-rollback overrides)"),
      })
      .prefault({})
      .describe("What a deploy does when its health gate fails"),
    alerts: z
      .strictObject({
        dir: z
          .string()
          .default("infra/alerts")
          .describe("Prometheus rule files (*.yaml) for every environment; <dir>/<root folder name>/*.yaml add an environment's own"),
        deploy: z
          .boolean()
          .default(true)
          .describe("After a healthy deploy, push the rule files to the environment's Cockpit ruler (when there are files)"),
      })
      .prefault({})
      .describe("Prometheus alert rules pushed to each environment's Cockpit (`alerts check`, `alerts sync`)"),
    secrets: z
      .strictObject({
        maxAge: z
          .record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), durationValue.nullable(), {
            // Zod reports a bad key as "Invalid key in record": say what a key must be instead.
            error: (issue) =>
              issue.code === "invalid_key" ? "a secret name is an environment variable name in capitals, such as ADMIN_TOKEN" : undefined,
          })
          .default({})
          // Merged over the defaults: naming one secret keeps the others' maximum; null removes one.
          .transform((given) => {
            const merged: Record<string, number | null> = {};
            for (const [name, age] of Object.entries(DEFAULT_SECRET_MAX_AGE)) merged[name] = parseDuration(age);
            return { ...merged, ...given };
          })
          .describe(
            'Maximum age per secret name ("90d", "720h"; null: none): `secrets list` marks a secret due when its latest enabled version is older. Merged over the defaults: 90d for ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN and DB_APP_CREDENTIALS (what `secrets rotate` renews); none for the others',
          ),
        grace: duration("5m").describe(
          "`secrets rotate`: how long the previous versions stay enabled after the release of the new ones is healthy, before they are disabled (--grace overrides)",
        ),
        generated: z
          .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, { message: "a secret name is an environment variable name in capitals" }))
          .default([])
          .describe(
            "Secrets `secrets rotate` may generate a random value for, besides ADMIN_TOKEN, EVALAP_FRONTEND_TOKEN and DB_APP_CREDENTIALS (external API keys are set with `secrets set`)",
          ),
      })
      .prefault({})
      .describe("Secret Manager secrets: maximum ages, rotation grace, generated names (`secrets list`, `set`, `rotate`)"),
    remoteTimeout: duration("10s").describe(
      "Timeout of the state bucket preflight check (unreachable means a clear error, nothing written)",
    ),
    tofu: z
      .strictObject({
        binary: z.string().optional().describe("Path of the tofu binary (default: $EVALAP_TOFU_BIN, the toolchain cache, then PATH)"),
        interruptGrace: duration("60s").describe("After forwarding SIGINT, how long tofu may take to stop before it is killed"),
        reuseProviders: z
          .boolean()
          .default(true)
          .describe("Start the providers known to support it once per run and let plan and apply reattach to them (faster)"),
      })
      .prefault({})
      .describe("How OpenTofu is run"),
    guard: z
      .strictObject({
        statefulTypes: z
          .array(z.string())
          .default([...DEFAULT_STATEFUL_TYPES])
          .describe("Resource types that may not be deleted or replaced without --allow-destroy"),
      })
      .prefault({})
      .describe("The plan guard"),
  })
  .describe("evalap-infra project configuration");

export type ProjectConfigInput = z.input<typeof configSchema>;
export type ProjectConfigData = z.output<typeof configSchema>;
export type EnvironmentConfig = ProjectConfigData["environments"][string];

export type ConfigDefaults = Readonly<Omit<ProjectConfigData, "environments" | "$schema">>;

let defaults: ConfigDefaults | undefined;

/**
 * Every default of the config as the schema fills it in (durations in milliseconds): the one source
 * for code that runs without a config (e.g. before it is loaded). Computed once, on first use.
 */
export function configDefaults(): ConfigDefaults {
  if (defaults === undefined) {
    const { environments: _environments, $schema: _schema, ...rest } = configSchema.parse({ environments: { defaults: { root: "." } } });
    defaults = Object.freeze(rest);
  }
  return defaults;
}

export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" });
}

/** The retry policy of a config's `retry` section (the schema's defaults: `configDefaults()`). */
export function retryPolicy(config: { retry: ConfigDefaults["retry"] }): RetryPolicy {
  return {
    attempts: config.retry.attempts,
    baseDelayMs: config.retry.baseDelay,
    maxDelayMs: config.retry.maxDelay,
    budgetMs: config.retry.budget,
  };
}
