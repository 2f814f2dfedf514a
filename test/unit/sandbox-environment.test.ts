import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config/load.js";
import type { EvalapError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import { sandboxEnv, type SandboxDescriptor } from "../../src/sandbox/descriptor.js";
import { attachSandbox, isSandboxEnvironment, sandboxEnvironment } from "../../src/sandbox/environment.js";
import { rejection } from "../helpers/rejection.js";
import { sandboxDescriptor } from "../helpers/sandbox-descriptor.js";

const descriptor = sandboxDescriptor;

describe("the sandbox environment", () => {
  let project: string | undefined;
  afterEach(async () => {
    if (project) await rm(project, { recursive: true, force: true });
    project = undefined;
  });

  const setUp = async (config: object, written?: (dataDir: string) => SandboxDescriptor) => {
    project = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-env-"));
    await mkdir(path.join(project, "infra", "staging"), { recursive: true });
    const file = path.join(project, "evalap-infra.json");
    await writeFile(file, JSON.stringify(config));
    const dataDir = path.join(project, ".evalap-infra", "sandbox");
    if (written) {
      await mkdir(dataDir, { recursive: true });
      await writeFile(path.join(dataDir, "sandbox.json"), JSON.stringify(written(dataDir)));
    }
    return parseConfig(JSON.stringify(config), file);
  };
  const noEnv: NodeJS.ProcessEnv = {};

  it("is the built-in `sandbox` or a declared one with sandbox: true, never another", async () => {
    const config = await setUp({ environments: { staging: { root: "infra/staging" }, lab: { root: "infra/staging", sandbox: true } } });
    expect(isSandboxEnvironment(config, "sandbox")).toBe(true);
    expect(isSandboxEnvironment(config, "lab")).toBe(true);
    expect(isSandboxEnvironment(config, "staging")).toBe(false);
    expect(isSandboxEnvironment(config, undefined)).toBe(false);
  });

  it("without a running sandbox: exit 14, naming the command that starts it", async () => {
    const config = await setUp({ environments: { staging: { root: "infra/staging" } } });
    const err = (await rejection(attachSandbox(config, "sandbox", noEnv))) as EvalapError;
    expect(err.code).toBe("sandbox_not_running");
    expect(err.exitCode).toBe(ExitCode.SandboxNotRunning);
    expect(err.message).toMatch(/none is running/);
    expect(err.hint).toMatch(/evalap-infra sandbox up/);
  });

  it("a descriptor left by a dead daemon, or naming a process that is no daemon, counts as not running", async () => {
    for (const pid of [2 ** 22 + 12345, process.pid]) {
      const config = await setUp({ environments: { staging: { root: "infra/staging" } } }, (d) => descriptor(d, pid));
      const err = (await rejection(attachSandbox(config, "sandbox", noEnv))) as EvalapError;
      expect(err.code).toBe("sandbox_not_running");
      expect(err.message).toMatch(/gone without cleaning up/);
      await rm(project ?? "", { recursive: true, force: true });
    }
  });

  it("the built-in one deploys infra/staging to the sandbox's bucket, API and keys, and its images on a first deploy", async () => {
    const d = descriptor("/nowhere");
    expect(sandboxEnvironment(undefined, d)).toMatchObject({
      root: "infra/staging",
      protection: "standard",
      backendConfig: { bucket: "evalap-tfstate-staging", endpoints: '{s3="http://127.0.0.1:40002"}' },
      remote: { bucket: "evalap-tfstate-staging", endpoint: "http://127.0.0.1:40002", region: "fr-par" },
      images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:sandbox-1" },
    });
    const env = sandboxEnv(d);
    expect(env).toMatchObject({
      SCW_API_URL: "http://127.0.0.1:40001",
      SCW_SECRET_KEY: "3f0a4c47-0b5e-4a6e-9d36-6f1a9e3b2c11",
      AWS_SECRET_ACCESS_KEY: "s3-secret-value-42",
      TF_VAR_state_passphrase: "a-passphrase-of-32-characters-xx",
    });
    expect(JSON.parse(env.EVALAP_SANDBOX_APP_SECRETS ?? "{}")).toEqual({ ADMIN_TOKEN: "admin-token-value-1" });
    // Secret Manager holds the application secrets: no root input carries them any more.
    expect(Object.keys(env).filter((k) => k.includes("app_secrets"))).toEqual([]);
    // The roots deploy into the environment's own project (checked by name), the registry stays in the default one.
    expect(env).toMatchObject({
      TF_VAR_project_id: "e1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
      TF_VAR_project_name: "evalap-sandbox",
      TF_VAR_registry_project_id: "7d2f8c3a-6e41-4b9a-b0c5-9e8d7f6a5b43",
    });
    expect(JSON.parse(env.TF_VAR_alert_contact_emails ?? "[]")).toEqual(["alerts@evalap-sandbox.internal"]);
  });

  it("a declared one keeps its root and settings; its images win over the sandbox's", () => {
    const declared = {
      root: "infra/lab",
      protection: "standard" as const,
      sandbox: true,
      vars: { log_level: "DEBUG" },
      varFiles: [],
      backendConfig: { key: "lab.tfstate" },
      images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:mine" },
    };
    expect(sandboxEnvironment(declared, descriptor("/nowhere"))).toMatchObject({
      root: "infra/lab",
      sandbox: true,
      vars: { log_level: "DEBUG" },
      backendConfig: { key: "lab.tfstate", bucket: "evalap-tfstate-staging" },
      images: { evalap: "rg.fr-par.scw.cloud/evalap/evalap:mine" },
    });
  });

  it("the built-in one in a project without infra/staging: a config error saying how to declare it", async () => {
    const config = await setUp({ environments: { staging: { root: "infra/staging" } } }, (d) => descriptor(d));
    await rm(path.join(project ?? "", "infra"), { recursive: true });
    const err = (await rejection(attachSandbox(config, "sandbox", noEnv))) as EvalapError;
    expect(err.exitCode).toBe(ExitCode.Usage);
    expect(err.hint).toContain('"sandbox": true');
  });
});
