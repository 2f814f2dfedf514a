import { describe, expect, it } from "vitest";
import { configJsonSchema, parseConfig, resolveEnvironment } from "../../src/config/index.js";
import { ConfigError } from "../../src/core/errors.js";

const parse = (value: unknown) => parseConfig(JSON.stringify(value), "/project/evalap-infra.json");

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("project config", () => {
  it("fills sane defaults", () => {
    const c = parse({ environments: { staging: { root: "infra/staging" } } });
    expect(c.retry).toEqual({ attempts: 5, baseDelay: 1000, maxDelay: 30_000, budget: 600_000 });
    expect(c.lock).toEqual({ timeout: 600_000, poll: 2000, stale: 30_000, lease: 60_000 });
    expect(c.health).toEqual({
      consecutive: 3,
      interval: 2000,
      timeout: 5000,
      latencyBudget: 2000,
      deadline: 300_000,
      failureThreshold: 3,
      grace: 3000,
    });
    expect(c.rollback.automatic).toBe(true);
    expect(c.tofu.interruptGrace).toBe(60_000);
    expect(c.guard.statefulTypes).toContain("scaleway_rdb_instance");
    expect(c.environments.staging).toMatchObject({ protection: "standard", vars: {}, varFiles: [] });
    expect(c.projectDir).toBe("/project");
  });

  it("names the field path and what was expected", () => {
    const err = errorOf(() => parse({ environments: { production: { root: "infra/production", protection: "prod" } }, retry: { attempts: "five" }, lock: { timeout: "10 minutes" } }));
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/environments\.production\.protection: .*"standard".*"protected".*, got "prod"/);
    expect(err.message).toMatch(/retry\.attempts: .*number/);
    expect(err.message).toMatch(/lock\.timeout: expected a duration such as "500ms", "30s", "5m" or "1h", got "10 minutes"/);
    expect(err.hint).toContain("$schema");
  });

  it("rejects unknown fields (typos) by name", () => {
    const err = errorOf(() => parse({ environments: { staging: { root: "infra/staging", protecton: "protected" } } }));
    expect(err.message).toContain('environments.staging: unknown field "protecton"');
  });

  it("requires at least one environment and a root per environment", () => {
    expect(errorOf(() => parse({ environments: {} })).message).toContain("declare at least one environment");
    expect(errorOf(() => parse({ environments: { staging: {} } })).message).toContain("environments.staging.root");
  });

  it("says so when the file is not JSON", () => {
    const err = errorOf(() => parseConfig("{ environments: ", "/p/evalap-infra.json"));
    expect(err.message).toContain("is not valid JSON");
  });

  it("an unknown environment lists the known ones", () => {
    const c = parse({ environments: { staging: { root: "infra/staging" }, production: { root: "infra/production" } } });
    const err = errorOf(() => resolveEnvironment(c, "prod"));
    expect(err.message).toBe('unknown environment "prod"');
    expect(err.hint).toContain("staging, production");
    expect(resolveEnvironment(c, "staging").rootDir).toBe("/project/infra/staging");
    // Inherited object keys are not environments.
    expect(() => resolveEnvironment(c, "constructor")).toThrow(ConfigError);
  });

  it("exports a JSON Schema from the same source, with descriptions for editors", () => {
    const schema = configJsonSchema() as { properties: Record<string, { description?: string }>; required?: string[] };
    expect(schema.required).toContain("environments");
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["environments", "retry", "lock", "tofu", "guard"]));
    expect(schema.properties.environments?.description).toMatch(/OpenTofu root/);
  });
});

describe("the committed JSON Schema", () => {
  it("is the one the schema source generates (run `npm run schema` after changing it)", async () => {
    const { readFile } = await import("node:fs/promises");
    const { REPO } = await import("../helpers/project.js");
    const committed: unknown = JSON.parse(await readFile(`${REPO}/evalap-infra.schema.json`, "utf8"));
    expect(committed).toEqual(configJsonSchema());
  });

  it("the repository's own evalap-infra.json is valid", async () => {
    const { readFile } = await import("node:fs/promises");
    const { REPO } = await import("../helpers/project.js");
    const config = parseConfig(await readFile(`${REPO}/evalap-infra.json`, "utf8"), `${REPO}/evalap-infra.json`);
    expect(Object.keys(config.environments)).toEqual(["staging", "production"]);
    expect(config.environments.production?.protection).toBe("protected");
  });
});
