/**
 * OpenTofu's `s3` backend with `use_lockfile = true` against the real S3 test server: state is
 * written to the bucket, and a held `<key>.tflock` makes tofu fail to acquire the lock.
 *
 * tofu comes from env EVALAP_TOFU_BIN or the toolchain cache (`bash scripts/toolchain.sh tofu`).
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { ensureS3ServerBinary, s3Client, s3Env, startS3Server, stopAllS3Servers, toolchainDir, type S3Server } from "./s3-server.js";

function tofuBin(): string {
  return process.env.EVALAP_TOFU_BIN ?? join(toolchainDir(), "bin", "tofu");
}

/** The CLI config: env TF_CLI_CONFIG_FILE when that file exists, else the toolchain's tofurc. */
function tofuCliConfig(): string | undefined {
  const fromEnv = process.env.TF_CLI_CONFIG_FILE;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const cached = join(toolchainDir(), "tofurc");
  return existsSync(cached) ? cached : undefined;
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function tofuEnv(server: S3Server, dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // Nothing of the caller's AWS or TF setup (profiles, real credentials, backends) leaks in.
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("AWS_") && !k.startsWith("TF_")) env[k] = v;
  }
  Object.assign(env, s3Env(server), {
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    TF_DATA_DIR: join(dir, ".terraform"),
    NO_COLOR: "1",
  });
  const config = tofuCliConfig();
  if (config) env.TF_CLI_CONFIG_FILE = config;
  return env;
}

function tofu(server: S3Server, dir: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(tofuBin(), [...args, "-no-color"], {
      cwd: dir,
      env: tofuEnv(server, dir),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

async function writeFixture(dir: string, server: S3Server, key: string, value: string): Promise<void> {
  await writeFile(
    join(dir, "main.tf"),
    `terraform {
  backend "s3" {
    bucket                      = "${server.bucket}"
    key                         = "${key}"
    region                      = "${server.region}"
    endpoints                   = { s3 = "${server.endpoint}" }
    use_path_style              = true
    use_lockfile                = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
    skip_s3_checksum            = true
  }
}

variable "release" {
  type    = string
  default = "${value}"
}

resource "terraform_data" "release" {
  input = var.release
}

output "release" {
  value = terraform_data.release.output
}
`,
  );
}

describe("OpenTofu s3 backend with use_lockfile against the S3 test server", () => {
  let s3: S3Server;
  let client: S3Client;
  let dir: string;
  const key = "evalap/prod/terraform.tfstate";

  beforeAll(async () => {
    if (!existsSync(tofuBin())) {
      throw new Error(`tofu not found at ${tofuBin()}: run \`bash scripts/toolchain.sh tofu\` or set EVALAP_TOFU_BIN`);
    }
    ensureS3ServerBinary();
    // Unversioned: versitygw 1.8.0 keeps a deleted .tflock's ETag under the delete marker in a
    // versioned bucket, so tofu could take the lock only once there (see s3-server.test.ts).
    s3 = await startS3Server({ bucket: "evalap-tfstate" });
    client = s3Client(s3);
    dir = await mkdtemp(join(tmpdir(), "evalap-tofu-s3-"));
    await writeFixture(dir, s3, key, "r1");
  }, 600_000);

  afterAll(async () => {
    client?.destroy();
    await s3?.stop();
    await stopAllS3Servers();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("tofu init and apply succeed, the state lands in the bucket and the lock file is released", async () => {
    const init = await tofu(s3, dir, ["init", "-input=false"]);
    expect(init.code, show(init)).toBe(0);
    expect(init.stdout).toMatch(/Successfully configured the backend "s3"/);

    const apply = await tofu(s3, dir, ["apply", "-auto-approve", "-input=false"]);
    expect(apply.code, show(apply)).toBe(0);
    expect(apply.stdout).toMatch(/Apply complete! Resources: 1 added/);

    const state = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    const parsed = JSON.parse((await state.Body?.transformToString()) ?? "{}") as {
      serial: number;
      resources: { type: string }[];
      outputs: Record<string, { value: unknown }>;
    };
    expect(parsed.resources.map((r) => r.type)).toEqual(["terraform_data"]);
    expect(parsed.outputs.release?.value).toBe("r1");

    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual([key]); // no .tflock left behind
  }, 300_000);

  it("a second apply takes and releases the lock again", async () => {
    await writeFixture(dir, s3, key, "r2");
    const apply = await tofu(s3, dir, ["apply", "-auto-approve", "-input=false"]);
    expect(apply.code, show(apply)).toBe(0);
    const state = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    expect(await state.Body?.transformToString()).toContain('"r2"');
  }, 300_000);

  it('a held <key>.tflock makes tofu plan fail with "Error acquiring the state lock"', async () => {
    const lockKey = `${key}.tflock`;
    const lockInfo = JSON.stringify({
      ID: "00000000-0000-0000-0000-000000000001",
      Operation: "OperationTypeApply",
      Info: "",
      Who: "someone@another-machine",
      Version: "1.12.6",
      Created: new Date().toISOString(),
      Path: `${s3.bucket}/${key}`,
    });
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: lockKey, Body: lockInfo, IfNoneMatch: "*" }));
    const plan = await tofu(s3, dir, ["plan", "-lock-timeout=1s", "-input=false"]);
    expect(plan.code, show(plan)).not.toBe(0);
    expect(plan.stderr).toMatch(/Error acquiring the state lock/);
    expect(plan.stderr).toMatch(/someone@another-machine/);
    // tofu left the other holder's lock alone.
    const head = await client.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: lockKey }));
    expect(head.ContentLength).toBe(Buffer.byteLength(lockInfo));
  }, 300_000);
});

// KNOWN DEVIATION of versitygw 1.8.0, pinned so that an upgrade that fixes it shows up: in a
// versioned bucket tofu releases its lock with a DeleteObject that leaves a delete marker, which
// versitygw's If-None-Match check still takes for the lock file, so the next run cannot lock
// (AWS S3 would let it). Run tofu state tests against an unversioned bucket.
describe("OpenTofu use_lockfile on a VERSIONED bucket of versitygw 1.8.0", () => {
  let s3: S3Server;
  let dir: string;
  const key = "versioned/terraform.tfstate";

  beforeAll(async () => {
    if (!existsSync(tofuBin())) throw new Error(`tofu not found at ${tofuBin()}`);
    ensureS3ServerBinary();
    s3 = await startS3Server({ bucket: "evalap-tfstate-versioned", versioning: true });
    dir = await mkdtemp(join(tmpdir(), "evalap-tofu-s3v-"));
    await writeFixture(dir, s3, key, "r1");
  }, 600_000);

  afterAll(async () => {
    await s3?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("locks once, then every later lock fails with 412 on the delete marker", async () => {
    const init = await tofu(s3, dir, ["init", "-input=false"]);
    expect(init.code, show(init)).toBe(0);
    const first = await tofu(s3, dir, ["apply", "-auto-approve", "-input=false"]);
    expect(first.code, show(first)).toBe(0);
    const second = await tofu(s3, dir, ["plan", "-lock-timeout=0s", "-input=false"]);
    expect(second.code, show(second)).not.toBe(0);
    expect(second.stderr).toMatch(/Error acquiring the state lock[\s\S]*StatusCode: 412/);
  }, 300_000);
});
