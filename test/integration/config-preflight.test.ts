import { mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resultOf, trackedProjects, type CliRun, type TestProject } from "../helpers/project.js";

const project = trackedProjects();

/** No credentials at all, whatever the machine running the tests has. */
const NO_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "",
  AWS_SECRET_ACCESS_KEY: "",
  AWS_PROFILE: "",
  AWS_SHARED_CREDENTIALS_FILE: "",
  SCW_ACCESS_KEY: "",
  SCW_SECRET_KEY: "",
};

/** A PATH without tofu: the CLI must use the tofu it resolved, not one it hopes is on PATH. */
const PATH_WITHOUT_TOFU = { PATH: [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) };

async function writeConfig(p: TestProject, config: unknown): Promise<void> {
  await writeFile(path.join(p.dir, "evalap-infra.json"), typeof config === "string" ? config : JSON.stringify(config, null, 2));
}

function errorOf(run: CliRun): { code: string; message: string; hint?: string } {
  return (resultOf(run) as { error: { code: string; message: string; hint?: string } }).error;
}

describe("roots stay inside the project", () => {
  const outside: string[] = [];
  afterEach(async () => {
    while (outside.length > 0) await rm(outside.pop() as string, { recursive: true, force: true });
  });

  it("a root outside the project, missing, a file or a link leading out: exit 3 from config check and every command, naming the field", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const elsewhere = await mkdtemp(path.join(os.tmpdir(), "evalap-elsewhere-"));
    outside.push(elsewhere);
    await writeFile(path.join(elsewhere, "main.tf"), 'resource "terraform_data" "x" {}\n');
    await symlink(elsewhere, path.join(p.dir, "infra", "linked"));
    const escape = path.relative(p.dir, elsewhere);
    await writeConfig(p, {
      environments: {
        staging: { root: escape },
        missing: { root: "infra/stagin" },
        file: { root: "infra/staging/main.tf" },
        linked: { root: "infra/linked" },
      },
    });
    for (const args of [["config", "check"], ["plan", "staging"], ["deploy", "staging"], ["validate"], ["lock", "status", "staging"]]) {
      const run = await p.run([...args, "--json"]);
      expect(run.exitCode, `${args.join(" ")}: ${run.stdout}${run.stderr}`).toBe(3);
      const error = errorOf(run);
      expect(error.code).toBe("config_invalid");
      expect(error.message).toContain(`environments.staging.root: ${JSON.stringify(escape)} is outside the project directory`);
      expect(error.message).toContain('environments.missing.root: "infra/stagin" does not exist');
      expect(error.message).toContain('environments.file.root: "infra/staging/main.tf" is a file, not a directory');
      expect(error.message).toContain('environments.linked.root: "infra/linked" leads through a symbolic link');
      expect(error.hint).toMatch(/inside/);
    }
    // Nothing ran there: tofu never wrote .terraform/ outside the project.
    await expect(stat(path.join(elsewhere, ".terraform"))).rejects.toMatchObject({ code: "ENOENT" });
    const human = await p.run(["config", "check"]);
    expect(human.exitCode).toBe(3);
    expect(human.stderr).toContain("environments.missing.root");
    expect(human.stderr).not.toMatch(/tofu binary not found|ENOTDIR|internal error|\n\s+at /);
  });
});

describe("config file mistakes", () => {
  it("a JSON syntax error gives line and column with the line and a caret", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeConfig(p, '{\n  "environments": {\n    "staging": { "root": "infra/staging" },\n  }\n}\n');
    const run = await p.run(["config", "check"]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain("at line 4, column 3");
    expect(run.stderr).toContain("4 |   }\n");
    expect(run.stderr).toMatch(/\| {3}\^/);
    expect(run.stderr).not.toMatch(/position \d+/);
  });

  it("a typo'd field gets a did-you-mean", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeConfig(p, { environments: { staging: { root: "infra/staging", protecton: "protected" } }, lock: { timout: "1m" } });
    const run = await p.run(["plan", "staging", "--json"]);
    expect(run.exitCode).toBe(3);
    expect(errorOf(run).message).toContain('environments.staging: unknown field "protecton" (did you mean "protection"?)');
    expect(errorOf(run).message).toContain('lock: unknown field "timout" (did you mean "timeout"?)');
  });
});

describe("one preflight for plan and deploy", () => {
  it("a required variable and the backend's credentials missing: exit 9 from both, naming each and how to set it", async () => {
    // The release fixture: `images` has no default, and the state is in an s3 backend.
    const p = await project({ environments: { staging: { fixture: "release" } } });
    for (const command of ["plan", "deploy"]) {
      const run = await p.run([command, "staging", "--json"], { env: NO_CREDENTIALS });
      expect(run.exitCode, run.stdout + run.stderr).toBe(9);
      const error = errorOf(run);
      expect(error.code).toBe("inputs_missing");
      expect(error.message).toContain(`cannot ${command} staging: 2 required inputs are missing`);
      expect(error.message).toMatch(/variable "images": .*--var images=<value>.*export TF_VAR_images/);
      expect(error.message).toMatch(/AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: tofu's s3 backend/);
      // Stopped before tofu: no init ran, no raw prompt error.
      expect(run.events.some((e) => e.type === "step.started" && e.step === "init")).toBe(false);
      expect(run.stdout).not.toContain("Failed to request input");
    }
    const deploy = await p.run(["deploy", "staging"], { env: NO_CREDENTIALS });
    expect(deploy.stderr).toContain("--image <service>=<reference>");
  });

  it("a sensitive variable is to be exported, never written in a file; given values are not reported", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await writeFile(
      path.join(p.dir, "infra", "staging", "secret.tf"),
      'variable "passphrase" {\n  type      = string\n  sensitive = true\n}\n\nvariable "region" {\n  type = string\n}\n',
    );
    const plan = await p.run(["plan", "staging", "--json"], { env: NO_CREDENTIALS });
    expect(plan.exitCode).toBe(9);
    expect(errorOf(plan).message).toContain('variable "passphrase": export TF_VAR_passphrase (it is sensitive');
    expect(errorOf(plan).message).toContain('variable "region"');
    await writeFile(path.join(p.dir, "infra", "staging", "terraform.tfvars"), 'region = "fr-par"\n');
    const given = await p.run(["plan", "staging", "--json"], { env: { ...NO_CREDENTIALS, TF_VAR_passphrase: "a-long-enough-passphrase" } });
    expect(given.exitCode, given.stdout + given.stderr).toBe(0);
    const deployed = await p.run(["deploy", "staging", "--json"], {
      env: { ...NO_CREDENTIALS, TF_VAR_passphrase: "a-long-enough-passphrase" },
    });
    expect(deployed.exitCode, deployed.stdout + deployed.stderr).toBe(0);
  });
});

describe("validate", () => {
  it("marks a failed format check ✖, its hint gives a command that works without tofu on PATH, and --fix formats", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    const file = path.join(p.dir, "infra", "staging", "extra.tf");
    await writeFile(file, 'resource "terraform_data" "extra" {\ninput     =    "x"\n}\n');
    const run = await p.run(["validate"], { env: PATH_WITHOUT_TOFU });
    expect(run.exitCode, run.stderr).toBe(1);
    const fmtLine = run.stderr.split("\n").find((l) => l.includes("not formatted") && l.includes("fmt"));
    expect(fmtLine, run.stderr).toMatch(/^✖ fmt .*1 file not formatted/);
    expect(run.stderr).not.toMatch(/✔[^\n]*not formatted/);
    expect(run.stderr).toContain("`evalap-infra validate --fix`");
    expect(run.stderr).not.toMatch(/`tofu fmt/);

    const fixed = await p.run(["validate", "--fix", "--json"], { env: PATH_WITHOUT_TOFU });
    expect(fixed.exitCode, fixed.stdout + fixed.stderr).toBe(0);
    expect(fixed.events.find((e) => e.type === "step.finished" && e.step === "fmt")).toMatchObject({
      outcome: "ok",
      detail: "formatted 1 file",
    });
    expect(resultOf(fixed).summary).toContain("formatted 1 file");
    expect(await readFile(file, "utf8")).toBe('resource "terraform_data" "extra" {\n  input = "x"\n}\n');
    expect((await p.run(["validate", "--json"], { env: PATH_WITHOUT_TOFU })).exitCode).toBe(0);
  });

  it("marks an invalid root ✖ with the root named", async () => {
    const p = await project({ environments: { staging: { fixture: "basic" } } });
    await mkdir(path.join(p.dir, "infra", "modules", "broken"), { recursive: true });
    await writeFile(
      path.join(p.dir, "infra", "modules", "broken", "main.tf"),
      'resource "terraform_data" "x" {\n  not_an_argument = 1\n}\n',
    );
    const run = await p.run(["validate"]);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/✖ validate .*infra\/modules\/broken: invalid/);
    expect(run.stderr).not.toMatch(/✔[^\n]*invalid/);
    expect(run.stderr).toMatch(/✔ validate .*infra\/staging/);
  });
});
