// The state buckets' region, written in four places that OpenTofu cannot tie together: backend
// blocks take no variables from another root, and the bootstrap has its own state. The bootstrap
// makes the buckets (infra/bootstrap, state_region), the roots' s3 backends read them
// (infra/<env>/versions.tf: region and endpoints.s3), and the CLI reaches the same bucket for its
// lock and release ledger (evalap-infra.json, environments.<env>.remote). They must agree.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";

const ROOTS = ["staging", "production"] as const;

/** The text of a block that opens with `header {`, up to its matching brace. */
function block(text: string, header: RegExp): string {
  const start = text.search(header);
  expect(start, `no ${String(header)} block`).toBeGreaterThanOrEqual(0);
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return text.slice(start, i + 1);
  }
  throw new Error(`unclosed ${String(header)} block`);
}

function attribute(body: string, name: string): string {
  const m = new RegExp(`^\\s*${name}\\s*=\\s*"([^"]*)"`, "m").exec(body);
  expect(m, `no ${name} = "..." in\n${body}`).not.toBeNull();
  return m?.[1] ?? "";
}

async function backend(env: string): Promise<{ region: string; endpoint: string }> {
  const text = await readFile(path.join(REPO, "infra", env, "versions.tf"), "utf8");
  const s3 = block(text, /backend\s+"s3"\s*\{/);
  return { region: attribute(s3, "region"), endpoint: attribute(block(s3, /endpoints\s*=\s*\{/), "s3") };
}

describe("the state region is the same for the bootstrap, the roots' backends and the CLI", () => {
  it("the bootstrap makes the buckets in the region the backends and evalap-infra.json read them from", async () => {
    const variables = await readFile(path.join(REPO, "infra", "bootstrap", "variables.tf"), "utf8");
    const stateRegion = block(variables, /variable\s+"state_region"\s*\{/);
    const region = attribute(stateRegion, "default");
    // The validation allows exactly the default.
    expect(stateRegion).toContain(`var.state_region == "${region}"`);

    const main = await readFile(path.join(REPO, "infra", "bootstrap", "main.tf"), "utf8");
    // The buckets take the variable, not the provider default (SCW_DEFAULT_REGION).
    expect(block(main, /module\s+"state_backend"\s*\{/)).toMatch(/^\s*region\s*=\s*var\.state_region\s*$/m);

    const config = JSON.parse(await readFile(path.join(REPO, "evalap-infra.json"), "utf8")) as {
      environments: Record<string, { remote?: { region?: string; endpoint?: string } }>;
    };
    for (const env of ROOTS) {
      expect(await backend(env), `infra/${env}/versions.tf backend "s3"`).toEqual({
        region,
        endpoint: `https://s3.${region}.scw.cloud`,
      });
      expect(config.environments[env]?.remote, `evalap-infra.json environments.${env}.remote`).toMatchObject({
        region,
        endpoint: `https://s3.${region}.scw.cloud`,
      });
    }
  });
});
