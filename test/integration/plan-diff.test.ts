import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { trackedProjects } from "../helpers/project.js";

const project = trackedProjects();

// A resource whose input carries a sensitive variable, beside the basic fixture's resources.
const SENSITIVE_TF = `
variable "api_token" {
  type      = string
  sensitive = true
  default   = "tok-initial-value-0000"
}

resource "terraform_data" "api" {
  input = { token = var.api_token, name = "api-\${var.release}" }
}
`;

const SECRET = "PLANTED-api-token-7f3e9d2c";

interface Change {
  address: string;
  action: string;
  attributes?: Array<{ path: string; before?: string; after?: string; forcesReplacement?: boolean }>;
}

describe("plan: attribute-level changes", () => {
  it("plan --diff: before → after per attribute, sensitive values masked and never printed; without it no attributes are shown", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeFile(path.join(p.dir, "infra", "staging", "api.tf"), SENSITIVE_TF);
    const env = { TF_VAR_api_token: SECRET };
    expect((await p.run(["deploy", "staging", "--json"], { env })).exitCode).toBe(0);

    const planArgs = ["plan", "staging", "--var", "release=r9", "--var", "db_generation=2"];
    const changedToken = { TF_VAR_api_token: `${SECRET}-new` };
    const run = await p.run([...planArgs, "--diff", "--json"], { env: changedToken });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout + run.stderr).not.toContain("PLANTED");
    const event = run.events.find((e) => e.type === "plan.summary") as { diff: boolean; summary: { changes: Change[] } } | undefined;
    expect(event?.diff).toBe(true);
    const byAddress = new Map(event?.summary.changes.map((c) => [c.address, c]));
    expect(byAddress.get("terraform_data.app")?.attributes).toContainEqual({ path: "input", before: '"r1"', after: '"r9"' });
    const db = byAddress.get("terraform_data.db")?.attributes?.[0];
    expect(db).toEqual({ path: "triggers_replace", before: '"1"', after: '"2"', forcesReplacement: true });
    const api = byAddress.get("terraform_data.api")?.attributes ?? [];
    expect(api).toContainEqual({ path: "input.token", before: "(sensitive)", after: "(sensitive)" });
    expect(api).toContainEqual({ path: "input.name", before: '"api-r1"', after: '"api-r9"' });
    expect(run.events.some((e) => e.type === "step.started" && e.step === "diff")).toBe(true);

    // The human rendering, on a pipe: the same lines under each address.
    const human = await p.run([...planArgs, "--diff"], { env: changedToken });
    expect(human.exitCode, human.stderr).toBe(0);
    expect(human.stderr).toContain('input = "r1" → "r9"');
    expect(human.stderr).toContain('triggers_replace = "1" → "2" # forces replacement');
    expect(human.stderr).toContain("input.token = (sensitive) → (sensitive)");
    expect(human.stdout + human.stderr).not.toContain("PLANTED");

    // An unchanged sensitive value is not listed.
    const same = await p.run([...planArgs, "--diff"], { env });
    expect(same.stderr).toContain('input.name = "api-r1" → "api-r9"');
    expect(same.stderr).not.toContain("input.token");

    // Not asked for and nobody at a terminal (CI): no attributes (plan still reads the plan once, as step "cost", for its estimate).
    const plain = await p.run([...planArgs, "--json"], { env });
    const summary = plain.events.find((e) => e.type === "plan.summary") as { diff: boolean; summary: { changes: Change[] } } | undefined;
    expect(summary?.diff).toBe(false);
    expect(summary?.summary.changes.every((c) => c.attributes === undefined)).toBe(true);
    expect(plain.events.some((e) => e.type === "step.started" && e.step === "diff")).toBe(false);
  });
});
