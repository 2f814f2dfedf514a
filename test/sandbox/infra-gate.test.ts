import { cp } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES, tofuIn } from "../helpers/project.js";
import { sandboxProject, type RunningSandbox } from "../helpers/sandbox.js";

/**
 * The provider gate (issue 9): the real provider 2.81 applies infra/staging, infra/production and a
 * root per module on the sandbox; the next plan finds nothing to do (no drift, no perpetual diff);
 * destroy leaves the sandbox as it found it. A failure here is an emulator bug or an infra bug.
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

/** Destroying the alert manager disables it and removes every contact point (which is why one per project matters). */
async function alertManagerOff(sb: RunningSandbox): Promise<void> {
  const project = sb.descriptor.scaleway.projectId;
  expect(await api(sb, `/cockpit/v1/regions/fr-par/alert-manager?project_id=${project}`)).toMatchObject({ alert_manager_enabled: false });
  expect(await api(sb, `/cockpit/v1/regions/fr-par/alert-manager/contact-points?project_id=${project}`)).toMatchObject({ total_count: 0 });
}

const images = (sb: RunningSandbox) => ["-var", `images=${JSON.stringify(sb.descriptor.images)}`];

const ROOTS: GateRoot[] = [
  { dir: "gate/network" },
  { dir: "gate/secret-manager" },
  { dir: "gate/container-registry" },
  { dir: "gate/cockpit-monitoring", afterDestroy: alertManagerOff },
  { dir: "gate/managed-postgresql" },
  { dir: "infra/staging", backend: "gate/staging.tfstate", args: images },
  {
    dir: "infra/production",
    backend: "gate/production.tfstate",
    args: images,
    // Protected secrets refuse deletion (412), as on Scaleway, and the database carries
    // prevent_destroy: lift both first, as the runbook says.
    beforeDestroy: ["-var", "protect_secrets=false", "-var", "prevent_database_destroy=false"],
  },
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
});
