import { readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { aliasedConfiguration, installedProviders, lockedProviders, parseReattachLine, startProviders } from "../../src/tofu/providers.js";

const LOCK = `# This file is maintained automatically by "tofu init".
provider "registry.opentofu.org/hashicorp/random" {
  version = "3.6.0"
  hashes = ["h1:x"]
}

provider "registry.opentofu.org/scaleway/scaleway" {
  version     = "2.81.0"
  constraints = "~> 2.81"
  hashes = [
    "h1:Rr9=",
  ]
}
`;

const REATTACH = (pid: string) =>
  `TF_REATTACH_PROVIDERS='{"registry.terraform.io/scaleway/scaleway":{"Protocol":"grpc","ProtocolVersion":6,"Pid":${pid},` +
  `"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin1"}}}'`;

const PLATFORM = `${process.platform}_${process.arch === "x64" ? "amd64" : process.arch}`;
const dirs: string[] = [];
afterEach(async () => {
  while (dirs.length > 0) await rm(dirs.pop() ?? "", { recursive: true, force: true });
});

/** A root as init leaves it: the lock file, and the Scaleway provider's directory holding `script` (none: not installed). */
async function root(script?: string): Promise<{ dir: string; binary: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "evalap-providers-"));
  dirs.push(dir);
  await writeFile(path.join(dir, ".terraform.lock.hcl"), LOCK);
  const pdir = path.join(dir, ".terraform", "providers", "registry.opentofu.org", "scaleway", "scaleway", "2.81.0", PLATFORM);
  await mkdir(pdir, { recursive: true });
  const binary = path.join(pdir, "terraform-provider-scaleway_v2.81.0");
  if (script !== undefined) {
    await writeFile(binary, script);
    await chmod(binary, 0o755);
  }
  return { dir, binary };
}

/** A stand-in provider (a real process): prints `line` with its pid, stops on SIGINT unless told to ignore it. */
const fakeProvider = (line: string, onInt = "process.exit(0)") =>
  `#!${process.execPath}\nconst l = ${JSON.stringify(line)};\n` +
  `if (l) console.log("\\n\\t" + l.replace("PID", String(process.pid)));\n` +
  `console.error("log line with a secret");\nprocess.on("SIGINT", () => { ${onInt} });\nsetInterval(() => {}, 1000);\n`;

/** Whether the process runs (a zombie, killed and waiting for init to reap it, does not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("provider reuse: reading the root", () => {
  it("reads each provider's address and version from the lock file", () => {
    expect(lockedProviders(LOCK)).toEqual([
      { address: "registry.opentofu.org/hashicorp/random", version: "3.6.0" },
      { address: "registry.opentofu.org/scaleway/scaleway", version: "2.81.0" },
    ]);
  });

  it("reads the reattach configuration of the provider's debug-mode line, and nothing else", () => {
    expect(parseReattachLine(`\t${REATTACH("42")}`)).toEqual({
      Protocol: "grpc",
      ProtocolVersion: 6,
      Pid: 42,
      Test: true,
      Addr: { Network: "unix", String: "/tmp/plugin1" },
    });
    expect(parseReattachLine("Provider started.")).toBeNull();
    expect(parseReattachLine(`TF_REATTACH_PROVIDERS='{"a":{"Pid":"x"}}'`)).toBeNull();
    expect(parseReattachLine(`TF_REATTACH_PROVIDERS='{"a":{"Pid":1},"b":{"Pid":2}}'`)).toBeNull();
    expect(parseReattachLine(`TF_REATTACH_PROVIDERS='{not json}'`)).toBeNull();
  });

  it("finds the installed binary of each locked provider, and says which are missing", async () => {
    const { dir, binary } = await root("#!/bin/sh\n");
    const reasons: string[] = [];
    const found = await installedProviders(dir, (r) => reasons.push(r));
    expect(found).toEqual([{ address: "registry.opentofu.org/scaleway/scaleway", source: "scaleway/scaleway", binary }]);
    expect(reasons).toEqual([
      `registry.opentofu.org/hashicorp/random 3.6.0 is not installed in .terraform/providers/registry.opentofu.org/hashicorp/random/3.6.0/${PLATFORM}`,
    ]);
  });

  it("finds a provider alias in the root's files", async () => {
    const { dir } = await root();
    expect(await aliasedConfiguration(dir)).toBeNull();
    await writeFile(path.join(dir, "main.tf"), 'provider "scaleway" {\n  region = "fr-par"\n}\n');
    expect(await aliasedConfiguration(dir)).toBeNull();
    await writeFile(path.join(dir, "b.tf.json"), JSON.stringify({ provider: { scaleway: [{ alias: "ams" }] } }));
    expect(await aliasedConfiguration(dir)).toBe("b.tf.json");
  });
});

describe("provider reuse: starting and stopping", () => {
  it("starts the provider, files its reattach configuration under tofu's address, and stops it", async () => {
    const { dir } = await root(fakeProvider(REATTACH("PID")));
    const reuse = await startProviders(dir, { env: process.env });
    expect(reuse?.providers).toHaveLength(1);
    const pid = reuse?.providers[0]?.pid ?? 0;
    expect(alive(pid)).toBe(true);
    const env = JSON.parse(reuse?.env().TF_REATTACH_PROVIDERS ?? "{}") as Record<string, { Pid: number }>;
    expect(Object.keys(env)).toEqual(["registry.opentofu.org/scaleway/scaleway"]);
    expect(env["registry.opentofu.org/scaleway/scaleway"]?.Pid).toBe(pid);
    await reuse?.stop();
    expect(alive(pid)).toBe(false);
    // Once it has stopped, tofu is left to start its own.
    expect(reuse?.env()).toEqual({});
  });

  it("kills a provider that does not stop when asked", async () => {
    const { dir } = await root(fakeProvider(REATTACH("PID"), "/* ignored */"));
    const reuse = await startProviders(dir, { env: process.env });
    const pid = reuse?.providers[0]?.pid ?? 0;
    expect(alive(pid)).toBe(true);
    await reuse?.stop();
    expect(alive(pid)).toBe(false);
  });

  it("falls back (null, with the reason) when the binary is missing, exits early, or prints no reattach line in time", async () => {
    const cases: Array<[string | undefined, RegExp]> = [
      [undefined, /scaleway 2\.81\.0 is not installed/],
      ["#!/bin/sh\nexit 3\n", /exited before printing its reattach address/],
      [fakeProvider(""), /no reattach address within 300 ms/],
      [fakeProvider("TF_REATTACH_PROVIDERS='{garbled'"), /its reattach line could not be read/],
    ];
    for (const [script, reason] of cases) {
      const { dir } = await root(script);
      const reasons: string[] = [];
      expect(await startProviders(dir, { env: process.env, timeoutMs: 300, onSkip: (r) => reasons.push(r) })).toBeNull();
      expect(reasons.join("\n")).toMatch(reason);
      // Its log lines are never repeated: only our own reasons.
      expect(reasons.join("\n")).not.toContain("secret");
    }
  });
});
