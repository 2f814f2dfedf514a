import { describe, expect, it } from "vitest";
import { EvalapError } from "../../src/core/errors.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import {
  applyArgs,
  backendArgs,
  fmtArgs,
  forceUnlockArgs,
  initArgs,
  lockTimeoutArg,
  outputArgs,
  planArgs,
  providersSchemaArgs,
  showArgs,
  stateListArgs,
  statePushArgs,
  validateArgs,
  varArgs,
  versionArgs,
} from "../../src/tofu/args.js";

// The command lines of every tofu subcommand the tool runs, without running tofu.
describe("tofu argument builders", () => {
  it("init: never prompts, no colour codes; backend options or -backend=false", () => {
    expect(initArgs()).toEqual(["init", "-input=false", "-no-color"]);
    expect(initArgs({ backendConfig: { bucket: "b", key: "staging.tfstate" } })).toEqual([
      "init",
      "-input=false",
      "-no-color",
      "-backend-config=bucket=b",
      "-backend-config=key=staging.tfstate",
    ]);
    // -backend=false wins over backend options: validate of a module has no backend.
    expect(initArgs({ backend: false, backendConfig: { bucket: "b" } })).toEqual(["init", "-input=false", "-no-color", "-backend=false"]);
    expect(initArgs({ upgrade: true })).toEqual(["init", "-input=false", "-no-color", "-upgrade"]);
    // The sandbox's backend: taken as configured now (its endpoint moves when it is reset), never migrated.
    expect(initArgs({ backendConfig: { bucket: "b" }, reconfigure: true })).toEqual([
      "init",
      "-input=false",
      "-no-color",
      "-backend-config=bucket=b",
      "-reconfigure",
    ]);
    expect(initArgs({ backend: false, reconfigure: true })).toEqual(["init", "-input=false", "-no-color", "-backend=false"]);
    // It is no part of the backend's fingerprint: the same backend, reconfigured or not, is one init.
    expect(backendArgs({ backendConfig: { bucket: "b" }, reconfigure: true })).toEqual(["-backend-config=bucket=b"]);
    expect(backendArgs({})).toEqual([]);
  });

  it("plan: JSON stream, detailed exit code, the plan file, the lock timeout in whole seconds rounded up", () => {
    expect(planArgs({ out: "/p/x.tfplan", lockTimeoutMs: 1500 })).toEqual([
      "plan",
      "-input=false",
      "-json",
      "-detailed-exitcode",
      "-out=/p/x.tfplan",
      "-lock-timeout=2s",
    ]);
    const full = planArgs({
      out: "p",
      lockTimeoutMs: 0,
      destroy: true,
      refresh: false,
      targets: ["terraform_data.app"],
      replace: ["terraform_data.db"],
      varFiles: ["common.tfvars"],
      vars: { release: "r2" },
    });
    expect(full).toEqual([
      "plan",
      "-input=false",
      "-json",
      "-detailed-exitcode",
      "-out=p",
      "-lock-timeout=0s",
      "-destroy",
      "-refresh=false",
      "-target=terraform_data.app",
      "-replace=terraform_data.db",
      "-var-file=common.tfvars",
      "-var=release=r2",
    ]);
  });

  it("variables: strings as they are, anything else as JSON (an HCL expression); files before values", () => {
    const vars = { s: "a=b c", n: 3, b: false, images: { evalap: "rg/ns/evalap:1" }, l: ["x"] };
    expect(varArgs({ vars, varFiles: ["f.tfvars"] })).toEqual([
      "-var-file=f.tfvars",
      "-var=s=a=b c",
      "-var=n=3",
      "-var=b=false",
      '-var=images={"evalap":"rg/ns/evalap:1"}',
      '-var=l=["x"]',
    ]);
    expect(varArgs({})).toEqual([]);
  });

  it("a refresh-only plan (drift): -refresh-only, still with -detailed-exitcode and -out", () => {
    expect(planArgs({ out: "d.tfplan", lockTimeoutMs: 1000, refreshOnly: true })).toEqual([
      "plan",
      "-input=false",
      "-json",
      "-detailed-exitcode",
      "-out=d.tfplan",
      "-lock-timeout=1s",
      "-refresh-only",
    ]);
    // What drift reads to tell the provider's computed values from changes made by hand.
    expect(providersSchemaArgs()).toEqual(["providers", "schema", "-json"]);
  });

  it("a variable name tofu would misread is a usage error, before tofu runs", () => {
    for (const name of ["", "a b", "a=b", "1st", "-x"]) {
      let caught: unknown;
      try {
        varArgs({ vars: { [name]: "v" } });
      } catch (err) {
        caught = err;
      }
      expect(caught, name).toBeInstanceOf(EvalapError);
      expect((caught as EvalapError).exitCode).toBe(ExitCode.Usage);
      expect((caught as EvalapError).message).toContain("not a valid variable name");
    }
    expect(varArgs({ vars: { _a: "1", "db-gen": "2" } })).toEqual(["-var=_a=1", "-var=db-gen=2"]);
  });

  it("lock timeouts: never negative, never shorter than asked", () => {
    expect(lockTimeoutArg(-5)).toBe("-lock-timeout=0s");
    expect(lockTimeoutArg(0)).toBe("-lock-timeout=0s");
    expect(lockTimeoutArg(1)).toBe("-lock-timeout=1s");
    expect(lockTimeoutArg(60_000)).toBe("-lock-timeout=60s");
  });

  it("apply: exactly the saved plan, JSON stream; a plan file named like a flag stays a path", () => {
    const args = applyArgs({ planFile: "/p/x.tfplan", lockTimeoutMs: 10_000 });
    expect(args).toEqual(["apply", "-input=false", "-json", "-lock-timeout=10s", "/p/x.tfplan"]);
    expect(applyArgs({ planFile: "-destroy", lockTimeoutMs: 0 }).at(-1)).toBe("./-destroy");
    expect(() => applyArgs({ planFile: "", lockTimeoutMs: 0 })).toThrow(RangeError);
    // The plan's variables come again, before the plan file (tofu parses flags first).
    expect(applyArgs({ planFile: "p", lockTimeoutMs: 0, vars: { release: "r2" }, varFiles: ["x.tfvars"] })).toEqual([
      "apply",
      "-input=false",
      "-json",
      "-lock-timeout=0s",
      "-var-file=x.tfvars",
      "-var=release=r2",
      "p",
    ]);
  });

  it("show, output, validate, version, fmt", () => {
    expect(showArgs("p")).toEqual(["show", "-json", "-no-color", "p"]);
    expect(showArgs()).toEqual(["show", "-json", "-no-color"]);
    expect(outputArgs()).toEqual(["output", "-json", "-no-color"]);
    expect(outputArgs("services")).toEqual(["output", "-json", "-no-color", "services"]);
    expect(validateArgs()).toEqual(["validate", "-json", "-no-color"]);
    expect(versionArgs()).toEqual(["version", "-json"]);
    expect(fmtArgs({ check: true })).toEqual(["fmt", "-check", "-list=true", "-no-color", "-recursive"]);
    expect(fmtArgs({ recursive: false, targets: ["main.tf"] })).toEqual(["fmt", "-list=true", "-no-color", "main.tf"]);
  });

  it("state: force-unlock takes a real lock id only; push never forces", () => {
    const id = "1c5e2a9e-0000-4000-8000-000000000000";
    expect(forceUnlockArgs(id)).toEqual(["force-unlock", "-force", "-no-color", id]);
    for (const id of ["", "-force", "a b"]) expect(() => forceUnlockArgs(id), id).toThrow(/not a state lock id/);
    expect(statePushArgs("/r/errored.tfstate", 2500)).toEqual(["state", "push", "-no-color", "-lock-timeout=3s", "/r/errored.tfstate"]);
    expect(statePushArgs("x", 0)).not.toContain("-force");
    expect(stateListArgs()).toEqual(["state", "list", "-no-color"]);
  });
});
