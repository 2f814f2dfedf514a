import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ResolvedEnvironment } from "../../src/config/load.js";
import { missingInputs } from "../../src/operations/preflight.js";
import { REPO } from "../helpers/project.js";

const NONE: NodeJS.ProcessEnv = { HOME: "/nonexistent-home" };

function envAt(rootDir: string, extra: Partial<ResolvedEnvironment> = {}): ResolvedEnvironment {
  return {
    name: "staging",
    root: "infra/staging",
    rootDir,
    protection: "standard",
    vars: {},
    varFiles: [],
    backendConfig: {},
    images: {},
    sandbox: false,
    ...extra,
  };
}

const names = (missing: Awaited<ReturnType<typeof missingInputs>>) => missing.map((m) => m.names.join(","));

describe("preflight: what a root needs before tofu runs", () => {
  it("the repository's staging root: its four unset variables, the backend's and the provider's credentials", async () => {
    const env = envAt(path.join(REPO, "infra", "staging"));
    const missing = await missingInputs(env, {}, NONE);
    expect(names(missing)).toEqual([
      "images",
      "state_passphrase",
      "project_id",
      "alert_contact_emails",
      "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY",
      "SCW_ACCESS_KEY,SCW_SECRET_KEY",
    ]);
    // The deployment's own settings (no committed value on purpose) are pointed at the root's tfvars.
    expect(missing.find((m) => m.names[0] === "project_id")?.how).toMatch(/^project_id = … in infra\/staging\/terraform\.tfvars, /);
    const given: NodeJS.ProcessEnv = {
      ...NONE,
      TF_VAR_state_passphrase: "x",
      AWS_ACCESS_KEY_ID: "a",
      AWS_SECRET_ACCESS_KEY: "b",
      SCW_ACCESS_KEY: "c",
      SCW_SECRET_KEY: "d",
    };
    const settings = { images: { evalap: "rg/x:1" }, project_id: "p", alert_contact_emails: ["oncall@evalap.beta.gouv.fr"] };
    expect(await missingInputs(env, settings, given)).toEqual([]);
    // One half of a pair is named alone.
    expect(names(await missingInputs(env, settings, { ...given, AWS_SECRET_ACCESS_KEY: "" }))).toEqual(["AWS_SECRET_ACCESS_KEY"]);
  });

  describe("where values come from", () => {
    const dirs: string[] = [];
    afterEach(async () => {
      while (dirs.length > 0) await rm(dirs.pop() as string, { recursive: true, force: true });
    });

    async function root(files: Record<string, string>): Promise<string> {
      const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-preflight-"));
      dirs.push(dir);
      for (const [name, text] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
        await writeFile(path.join(dir, name), text);
      }
      return dir;
    }

    const vars =
      'variable "a" {}\nvariable "b" {}\nvariable "c" {}\nvariable "d" {}\nvariable "e" {}\nvariable "f" {\n  default = null\n}\n';

    it("config vars, --var, var files (HCL and JSON, auto-loaded or listed) and TF_VAR_*", async () => {
      const dir = await root({
        "main.tf": vars,
        "terraform.tfvars": 'a = "1"\n# b = "commented"\n',
        "x.auto.tfvars.json": '{ "b": 2 }',
        "env/staging.tfvars": 'c = {\n  nested = "d = not a variable"\n}\n',
      });
      const env = envAt(dir, { vars: { d: 1 }, varFiles: ["env/staging.tfvars"] });
      expect(names(await missingInputs(env, {}, NONE))).toEqual(["e"]);
      expect(await missingInputs(env, { e: "run" }, NONE)).toEqual([]);
      expect(await missingInputs(env, {}, { ...NONE, TF_VAR_e: "" })).toEqual([]);
    });

    it("a var file it cannot read leaves the variables to tofu", async () => {
      const dir = await root({ "main.tf": vars });
      expect(await missingInputs(envAt(dir, { varFiles: ["missing.tfvars"] }), {}, NONE)).toEqual([]);
    });

    it("variables declared in .tf.json; sensitive ones are to be exported", async () => {
      const dir = await root({ "vars.tf.json": JSON.stringify({ variable: { token: { sensitive: true }, size: { default: 1 } } }) });
      const [token, ...rest] = await missingInputs(envAt(dir), {}, NONE);
      expect(rest).toEqual([]);
      expect(token).toMatchObject({ kind: "variable", names: ["token"], how: expect.stringContaining("export TF_VAR_token") });
    });

    it("s3 backend keys given by backendConfig or a profile; Scaleway resources found through local modules, or a CLI config", async () => {
      const dir = await root({
        "main.tf": 'terraform {\n  backend "s3" {}\n}\nmodule "m" {\n  source = "./modules/m"\n}\n',
        "modules/m/main.tf": 'module "n" {\n  source = "../n"\n}\n',
        "modules/n/main.tf": 'resource "scaleway_object_bucket" "b" {\n  name = "x"\n}\n',
        "home/.config/scw/config.yaml": "profiles: {}\n",
      });
      expect(names(await missingInputs(envAt(dir), {}, NONE))).toEqual([
        "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY",
        "SCW_ACCESS_KEY,SCW_SECRET_KEY",
      ]);
      const keys = envAt(dir, { backendConfig: { access_key: "a", secret_key: "b" } });
      expect(await missingInputs(keys, {}, { HOME: path.join(dir, "home") })).toEqual([]);
      expect(names(await missingInputs(envAt(dir), {}, { ...NONE, AWS_PROFILE: "scw" }))).toEqual(["SCW_ACCESS_KEY,SCW_SECRET_KEY"]);
    });

    it("a provider declared with no resource (or only data sources) needs no key", async () => {
      const dir = await root({ "main.tf": 'provider "scaleway" {}\ndata "scaleway_account_project" "p" {\n  count = 0\n}\n' });
      expect(await missingInputs(envAt(dir), {}, NONE)).toEqual([]);
    });
  });
});
