import type { ResolvedEnvironment } from "../config/load.js";
import { scalewayFor } from "./scaleway.js";
import { secretOutputs } from "../secrets/outputs.js";
import { readSecret, secretsAtPath } from "../secrets/read.js";
import { secretStatus, type SecretStatus } from "../secrets/status.js";
import * as tofu from "../tofu/commands.js";
import type { OutputValue } from "../tofu/commands.js";
import { step, type RunContext } from "./context.js";

/** A secret under the environment's path that the root does not know (made by hand, or left by an older root). */
export interface UnmanagedSecret {
  id: string;
  name: string;
  path: string;
  versionCount: number;
}

export interface SecretsListReport {
  environment: string;
  path: string;
  projectId: string | null;
  secrets: SecretStatus[];
  unmanaged: UnmanagedSecret[];
  /** The root has no secret_revisions output (applied before it existed): what the containers run is unknown. */
  revisionsKnown: boolean;
}

/**
 * Every secret of the environment, from the root's outputs (secret_ids, secret_path,
 * secret_revisions) and Secret Manager's metadata. Read-only: no lock (like `plan`, init may run).
 * `now` is the clock ages are measured against; `rootOutputs`, the root's outputs when the caller
 * has read them already (`status`), else they are read here.
 */
export async function listSecrets(
  ctx: RunContext,
  env: ResolvedEnvironment,
  now: () => number = Date.now,
  rootOutputs?: Record<string, OutputValue>,
): Promise<SecretsListReport> {
  const outputs = secretOutputs(env.name, rootOutputs ?? (await tofu.output(ctx.tofu, env.rootDir)));
  const scw = await scalewayFor(ctx);
  return step(
    ctx,
    "secrets",
    async () => {
      const api = await scw.secrets();
      const fallbackRegion = scw.defaultRegion ?? "fr-par";
      const refs = Object.entries(outputs.secrets).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const read = await Promise.all(
        refs.map(async ([name, ref]) => {
          const region = ref.region === "" ? fallbackRegion : ref.region;
          return { name, region, found: await readSecret(api, { region, id: ref.id }), secretId: `${region}/${ref.id}` };
        }),
      );
      const at = now();
      const secrets = read.map((r) =>
        secretStatus({
          name: r.name,
          secretId: r.secretId,
          secret: r.found?.secret ?? null,
          versions: r.found?.versions ?? [],
          revisions: outputs.revisions,
          maxAgeMs: ctx.config.secrets.maxAge[r.name] ?? null,
          now: at,
        }),
      );
      const known = new Set(read.map((r) => r.secretId));
      const region = read[0]?.region ?? fallbackRegion;
      const unmanaged =
        outputs.projectId === undefined
          ? []
          : (await secretsAtPath(api, region, outputs.projectId, outputs.path)).filter((s) => !known.has(s.id));
      return {
        environment: env.name,
        path: outputs.path,
        projectId: outputs.projectId ?? null,
        secrets,
        unmanaged,
        revisionsKnown: outputs.revisions !== null,
      };
    },
    (r) => ({ detail: `${r.secrets.length} secret(s)${r.unmanaged.length > 0 ? `, ${r.unmanaged.length} unmanaged` : ""}` }),
  );
}
