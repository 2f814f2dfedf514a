import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { configDefaults, configJsonSchema, loadConfig, parseConfig, resolveEnvironment } from "../../src/config/index.js";
import { closestKey, editDistance } from "../../src/config/explain.js";
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
    const err = errorOf(() =>
      parse({
        environments: { production: { root: "infra/production", protection: "prod" } },
        retry: { attempts: "five" },
        lock: { timeout: "10 minutes" },
      }),
    );
    expect(err.exitCode).toBe(3);
    expect(err.message).toMatch(/environments\.production\.protection: .*"standard".*"protected".*, got "prod"/);
    expect(err.message).toMatch(/retry\.attempts: .*number/);
    expect(err.message).toMatch(/lock\.timeout: expected a duration such as "500ms", "30s", "5m" or "1h", got "10 minutes"/);
    expect(err.hint).toContain("$schema");
  });

  it("secrets.grace (5 minutes by default) and secrets.generated (names in capitals)", () => {
    const dflt = parse({ environments: { staging: { root: "infra/staging" } } }).secrets;
    expect(dflt).toMatchObject({ grace: 300_000, generated: [] });
    const given = parse({
      environments: { staging: { root: "infra/staging" } },
      secrets: { grace: "0s", generated: ["HF_TOKEN"] },
    }).secrets;
    expect(given).toMatchObject({ grace: 0, generated: ["HF_TOKEN"] });
    expect(
      errorOf(() => parse({ environments: { staging: { root: "infra/staging" } }, secrets: { generated: ["hf_token"] } })).message,
    ).toMatch(/secrets\.generated\.0: a secret name is an environment variable name in capitals/);
  });

  it("secrets.maxAge: 90 days for the generated secrets, none for external keys, merged over by the file", () => {
    const DAY = 86_400_000;
    const dflt = parse({ environments: { staging: { root: "infra/staging" } } }).secrets.maxAge;
    // What `secrets rotate` renews; POSTGRES_URL follows DB_APP_CREDENTIALS, the admin password is tofu's.
    expect(dflt).toEqual({ ADMIN_TOKEN: 90 * DAY, EVALAP_FRONTEND_TOKEN: 90 * DAY, DB_APP_CREDENTIALS: 90 * DAY });
    expect(configDefaults().secrets.maxAge).toEqual(dflt);
    const given = parse({
      environments: { staging: { root: "infra/staging" } },
      secrets: { maxAge: { OPENAI_API_KEY: "180d", ADMIN_TOKEN: "720h", DB_APP_CREDENTIALS: null } },
    }).secrets.maxAge;
    expect(given).toMatchObject({
      OPENAI_API_KEY: 180 * DAY,
      ADMIN_TOKEN: 30 * DAY,
      DB_APP_CREDENTIALS: null,
      EVALAP_FRONTEND_TOKEN: 90 * DAY,
    });
    const bad = errorOf(() =>
      parse({ environments: { staging: { root: "infra/staging" } }, secrets: { maxAge: { ADMIN_TOKEN: "3 months" } } }),
    );
    expect(bad.message).toMatch(/secrets\.maxAge\.ADMIN_TOKEN: expected a duration such as "90d"/);
    const name = errorOf(() =>
      parse({ environments: { staging: { root: "infra/staging" } }, secrets: { maxAge: { "admin-token": "1d" } } }),
    );
    expect(name.message).toContain(
      "secrets.maxAge.admin-token: a secret name is an environment variable name in capitals, such as ADMIN_TOKEN",
    );
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

  it("gives a JSON syntax error's line and column, with the line and a caret, not a character position", () => {
    const text = '{\n  "environments": {\n    "staging": { "root": "infra/staging", }\n  }\n}\n';
    const err = errorOf(() => parseConfig(text, "/p/evalap-infra.json"));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain("at line 3, column 43");
    expect(err.message).not.toMatch(/position \d+/);
    expect(err.message).toContain('    3 |     "staging": { "root": "infra/staging", }\n      | ' + " ".repeat(42) + "^");
    expect(err.hint).toContain("trailing comma");
    // A file cut short points at its end.
    expect(errorOf(() => parseConfig('{\n  "environments": {', "/p/evalap-infra.json")).message).toContain("at line 2, column 20");
  });

  it("suggests the closest known field for a typo, else lists the known ones", () => {
    const err = errorOf(() =>
      parse({
        environments: { staging: { root: "infra/staging", protecton: "protected" } },
        retires: {},
        lock: { timout: "1m" },
        helath: {},
        colour: 1,
      }),
    );
    expect(err.message).toContain('environments.staging: unknown field "protecton" (did you mean "protection"?)');
    expect(err.message).toContain('lock: unknown field "timout" (did you mean "timeout"?)');
    expect(err.message).toMatch(
      /\(top level\): unknown fields "retires" \(did you mean "retry"\?\), "helath" \(did you mean "health"\?\), "colour"/,
    );
    const far = errorOf(() => parse({ environments: { staging: { root: "infra/staging", zzz: 1 } } }));
    expect(far.message).toContain(
      'environments.staging: unknown field "zzz" (known fields: root, protection, vars, varFiles, backendConfig, remote, images, sandbox)',
    );
    const remote = errorOf(() =>
      parse({ environments: { staging: { root: "infra/staging", remote: { bucket: "abc", endpiont: "http://x" } } } }),
    );
    expect(remote.message).toContain('environments.staging.remote: unknown field "endpiont" (did you mean "endpoint"?)');
  });

  it("edit distance counts a swap of two letters as one edit", () => {
    expect(editDistance("timeout", "timeout")).toBe(0);
    expect(editDistance("tiemout", "timeout")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(closestKey("Lease", ["timeout", "poll", "stale", "lease"])).toBe("lease");
    expect(closestKey("banana", ["timeout", "poll"])).toBeNull();
  });

  it("the defaults come from the schema, in milliseconds", () => {
    const d = configDefaults();
    const c = parse({ environments: { staging: { root: "infra/staging" } } });
    for (const key of ["retry", "lock", "health", "rollback", "tofu", "guard", "modulesDir", "remoteTimeout", "alerts", "secrets"] as const)
      expect(d[key]).toEqual(c[key]);
    expect(d.alerts).toEqual({ dir: "infra/alerts", deploy: true });
    expect(d.tofu.interruptGrace).toBe(60_000);
    expect(d).not.toHaveProperty("environments");
    expect(Object.isFrozen(d)).toBe(true);
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

describe("paths of the config (roots, varFiles, modulesDir)", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    while (dirs.length > 0) await rm(dirs.pop() as string, { recursive: true, force: true });
  });

  /** A project with infra/staging (a root), a file and a link leading outside; returns its directory. */
  async function project(config: Record<string, unknown>): Promise<string> {
    const outside = await mkdtemp(path.join(os.tmpdir(), "evalap-outside-"));
    const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-paths-"));
    dirs.push(dir, outside);
    await mkdir(path.join(dir, "infra", "staging"), { recursive: true });
    await writeFile(path.join(dir, "infra", "staging", "main.tf"), "");
    await writeFile(path.join(dir, "infra", "staging", "staging.tfvars"), "");
    await symlink(outside, path.join(dir, "infra", "elsewhere"));
    await writeFile(path.join(dir, "evalap-infra.json"), JSON.stringify(config));
    return dir;
  }

  const load = async (config: Record<string, unknown>) => {
    const dir = await project(config);
    try {
      await loadConfig(dir);
    } catch (err) {
      if (err instanceof ConfigError) return { dir, err };
      throw err;
    }
    throw new Error("expected a ConfigError");
  };

  it("accepts roots, varFiles and modulesDir inside the project", async () => {
    const dir = await project({
      environments: { staging: { root: "infra/staging", varFiles: ["staging.tfvars"] }, all: { root: "." } },
      modulesDir: "infra",
    });
    const config = await loadConfig(dir);
    expect(resolveEnvironment(config, "staging").rootDir).toBe(path.join(dir, "infra", "staging"));
  });

  it("refuses a root outside the project, missing, a file, or reached through a link leading outside, naming each field", async () => {
    const { dir, err } = await load({
      environments: {
        up: { root: "../../etc" },
        absolute: { root: "/etc" },
        missing: { root: "infra/stagin" },
        file: { root: "infra/staging/main.tf" },
        linked: { root: "infra/elsewhere" },
      },
    });
    expect(err.exitCode).toBe(3);
    expect(err.code).toBe("config_invalid");
    expect(err.message).toContain(`environments.up.root: "../../etc" is outside the project directory ${dir}`);
    expect(err.message).toContain('environments.absolute.root: "/etc" is outside the project directory');
    expect(err.message).toContain('environments.missing.root: "infra/stagin" does not exist');
    expect(err.message).toContain('environments.file.root: "infra/staging/main.tf" is a file, not a directory');
    expect(err.message).toContain(
      `environments.linked.root: "infra/elsewhere" leads through a symbolic link to ${await realpath(path.join(dir, "infra", "elsewhere"))}`,
    );
    expect(err.hint).toMatch(/inside/);
  });

  it("refuses varFiles (relative to the root) and a modulesDir outside the project", async () => {
    const { err } = await load({
      environments: { staging: { root: "infra/staging", varFiles: ["../../../secrets.tfvars", "staging.tfvars"] } },
      modulesDir: "../modules",
    });
    expect(err.message).toContain('environments.staging.varFiles[0]: "../../../secrets.tfvars" is outside the project directory');
    expect(err.message).not.toContain("varFiles[1]");
    expect(err.message).toContain('modulesDir: "../modules" is outside the project directory');
  });

  it("refuses an alerts.dir outside the project or that is a file; a missing one is fine (no rules)", async () => {
    const outside = await load({ environments: { staging: { root: "infra/staging" } }, alerts: { dir: "../alerts" } });
    expect(outside.err.message).toContain('alerts.dir: "../alerts" is outside the project directory');
    const file = await load({ environments: { staging: { root: "infra/staging" } }, alerts: { dir: "evalap-infra.json" } });
    expect(file.err.message).toContain(
      'alerts.dir: "evalap-infra.json" is a file, not a directory; name the directory holding the rule files',
    );
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
