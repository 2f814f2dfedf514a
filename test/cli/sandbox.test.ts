import { execa } from "execa";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os from "node:os";
import path from "node:path";
import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/exit-codes.js";
import { SandboxDescriptorSchema, sandboxEnv, type SandboxDescriptor } from "../../src/sandbox/descriptor.js";
import { CLI, parseEvents, type CliRun } from "../helpers/project.js";

/**
 * `evalap-infra sandbox …` as a user runs it: the built CLI, a real detached daemon, the real
 * versitygw and the emulator on 127.0.0.1. Every process started under the test's temp folder is
 * killed in afterAll (found by its command line, which names that folder).
 */

let root: string;

async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const r = await execa("node", [CLI, ...args], {
    cwd: root,
    env: { NO_COLOR: "1", EVALAP_SANDBOX_DIR: "", ...env },
    extendEnv: true,
    reject: false,
    stdin: "ignore",
    timeout: 240_000,
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr), events: parseEvents(String(r.stdout)) };
}

const dirs: string[] = [];
async function newDataDir(name: string): Promise<string> {
  const dir = path.join(root, name);
  dirs.push(dir);
  return dir;
}

/** Pids of the processes whose command line names `dir` (the daemon, versitygw, PostgreSQL...). */
function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmdline.includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Running: a zombie (dead, waiting for an init that reaps slowly) is not. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return false;
  }
}

async function waitUntil(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

async function descriptorOf(dataDir: string): Promise<SandboxDescriptor> {
  return SandboxDescriptorSchema.parse(JSON.parse(await readFile(path.join(dataDir, "sandbox.json"), "utf8")));
}

const output = (r: CliRun): string => `${r.stdout}\n${r.stderr}`;

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-cli-"));
});

afterAll(async () => {
  for (const dir of dirs) if (existsSync(dir)) await cli(["sandbox", "down", "--data-dir", dir, "--grace", "10s"]);
  for (const pid of processesUnder(root)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await rm(root, { recursive: true, force: true });
}, 120_000);

describe("sandbox up, status, push, env, down", () => {
  let dataDir: string;
  let first: SandboxDescriptor;

  it("up starts a detached daemon and returns once the descriptor is written (0600)", async () => {
    dataDir = await newDataDir("life");
    const up = await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"]);
    expect(up.exitCode, output(up)).toBe(0);
    first = await descriptorOf(dataDir);
    expect(up.stdout).toContain(first.apiUrl);
    expect(up.stdout).toContain("evalap-infra deploy sandbox");
    expect(up.stdout).toContain('eval "$(evalap-infra sandbox env)"');
    // The CLI process has exited: the daemon outlives it, in a session of its own (no terminal's SIGHUP reaches it).
    expect(alive(first.pid)).toBe(true);
    const procStat = readFileSync(`/proc/${first.pid}/stat`, "utf8");
    const session = Number(procStat.slice(procStat.lastIndexOf(")") + 2).split(" ")[3]);
    expect(session).toBe(first.pid);
    expect((await stat(path.join(dataDir, "sandbox.json"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dataDir, "credentials.json"))).mode & 0o777).toBe(0o600);
    expect(first.dataDir).toBe(dataDir);
    expect(first.images).toEqual({ evalap: "rg.fr-par.scw.cloud/evalap/evalap:sandbox-1" });
    expect(Object.keys(first.appSecrets).sort()).toEqual(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "USER_API_KEYS"]);
    // Nothing secret in what up prints, nor in the daemon's log.
    const log = await readFile(path.join(dataDir, "sandbox.log"), "utf8");
    for (const secret of [first.scaleway.secretKey, first.s3.secretKey, first.statePassphrase, ...Object.values(first.appSecrets)]) {
      expect(output(up)).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
    expect(log).toContain("ready");
  }, 240_000);

  it("seeded the state bucket, with the descriptor's S3 keys, where a lock file can be taken, released and taken again", async () => {
    const s3 = new S3Client({
      endpoint: first.s3.endpoint,
      region: first.s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: first.s3.accessKey, secretAccessKey: first.s3.secretKey },
      maxAttempts: 1,
    });
    const take = () =>
      s3.send(new PutObjectCommand({ Bucket: first.s3.stateBucket, Key: "seed-test.tflock", Body: "{}", IfNoneMatch: "*" }));
    try {
      expect(first.s3.stateBucket).toBe("evalap-tfstate-staging");
      await take();
      // Held: a second taker is refused, as tofu's use_lockfile expects.
      await expect(take()).rejects.toMatchObject({ name: "PreconditionFailed" });
      await s3.send(new DeleteObjectCommand({ Bucket: first.s3.stateBucket, Key: "seed-test.tflock" }));
      // Released: the next run takes it (a versioned bucket on versitygw refuses this one).
      await take();
      await s3.send(new DeleteObjectCommand({ Bucket: first.s3.stateBucket, Key: "seed-test.tflock" }));
    } finally {
      s3.destroy();
    }
  });

  it("status says it runs, where, and what it holds, without any secret", async () => {
    const st = await cli(["--json", "sandbox", "status", "--data-dir", dataDir]);
    expect(st.exitCode, output(st)).toBe(0);
    const data = st.events.find((e) => e.type === "data")?.data as Record<string, unknown>;
    expect(data).toMatchObject({ running: true, pid: first.pid, apiUrl: first.apiUrl, s3Endpoint: first.s3.endpoint, dataDir });
    // The default project (the registry's) and the environment's own, as infra/bootstrap makes them.
    expect((data.counts as Record<string, number>)["account.projects"]).toBe(2);
    for (const secret of [first.scaleway.secretKey, first.s3.secretKey, first.statePassphrase, ...Object.values(first.appSecrets)]) {
      expect(output(st)).not.toContain(secret);
    }
    const human = await cli(["sandbox", "status", "--data-dir", dataDir]);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/account\.projects 2/);
  });

  it("push registers an image through the registry hook, or says the sandbox has none", async () => {
    const image = "rg.fr-par.scw.cloud/evalap/evalap:1.2.3";
    // Whether this sandbox serves the hook: the CLI must say the same.
    const probe = await fetch(`${first.apiUrl}/_sandbox/registry/images`, {
      method: "POST",
      headers: { "X-Auth-Token": first.scaleway.secretKey, "Content-Type": "application/json" },
      body: JSON.stringify({ image: "rg.fr-par.scw.cloud/evalap/evalap:probe" }),
    });
    const probeBody = (await probe.json().catch(() => ({}))) as { resource?: string };
    const served = !(probe.status === 404 && probeBody.resource === "route");
    const push = await cli(["sandbox", "push", image, "--data-dir", dataDir]);
    if (served) {
      expect(push.exitCode, output(push)).toBe(0);
      expect(push.stdout).toContain(`pushed ${image}`);
      // The daemon made the namespace and pushed the stand-in image through the Registry API.
      const headers = { "X-Auth-Token": first.scaleway.secretKey };
      const ns = (await (await fetch(`${first.apiUrl}/registry/v1/regions/fr-par/namespaces?name=evalap`, { headers })).json()) as {
        namespaces: { name: string; id: string; project_id: string }[];
      };
      expect(ns.namespaces.map((n) => [n.name, n.project_id])).toEqual([["evalap", first.scaleway.projectId]]);
      const images = (await (
        await fetch(`${first.apiUrl}/registry/v1/regions/fr-par/images?namespace_id=${ns.namespaces[0]?.id}`, { headers })
      ).json()) as { images: { name: string; tags: string[] }[] };
      expect(images.images.map((i) => [i.name, [...i.tags].sort()])).toEqual([["evalap", ["1.2.3", "probe", "sandbox-1"]]]);
      const bad = await cli(["sandbox", "push", "evalap:1.2.3", "--data-dir", dataDir]);
      expect(bad.exitCode).toBe(ExitCode.Usage);
      expect(bad.stderr).toContain("the sandbox registry refused the image");
    } else {
      expect(push.exitCode).toBe(ExitCode.Failure);
      expect(push.stderr).toContain("no container registry");
      const log = await readFile(path.join(dataDir, "sandbox.log"), "utf8");
      expect(log).toContain("not pushed, this sandbox has no registry image hook");
    }
  });

  it("env prints sandboxEnv() as shell exports and as JSON; the exported keys work on the API", async () => {
    const sh = await cli(["sandbox", "env", "--data-dir", dataDir]);
    expect(sh.exitCode, output(sh)).toBe(0);
    const expected = sandboxEnv(first);
    // What a shell gets from eval: the same values, quotes included.
    const evaluated = await execa("sh", ["-c", `${sh.stdout}\nenv`], { env: {}, extendEnv: false });
    const got = Object.fromEntries(
      String(evaluated.stdout)
        .split("\n")
        .filter((l) => /^[A-Za-z_]+=/.test(l))
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    for (const [k, v] of Object.entries(expected)) expect(got[k], k).toBe(v);
    const json = await cli(["sandbox", "env", "--shell", "json", "--data-dir", dataDir]);
    expect(JSON.parse(json.stdout)).toEqual(expected);
    const global = await cli(["--json", "sandbox", "env", "--data-dir", dataDir]);
    expect(JSON.parse(global.stdout)).toEqual(expected);
    const res = await fetch(`${expected.SCW_API_URL}/account/v3/projects?organization_id=${expected.SCW_DEFAULT_ORGANIZATION_ID}`, {
      headers: { "X-Auth-Token": expected.SCW_SECRET_KEY ?? "" },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { projects: { id: string; name: string }[] };
    expect(body.projects.map((p) => [p.id, p.name]).sort()).toEqual(
      [
        [expected.SCW_DEFAULT_PROJECT_ID, "default"],
        [expected.TF_VAR_project_id, "evalap-sandbox"],
      ].sort(),
    );
  });

  it("a second up is refused while it runs, naming the pid and `sandbox down`", async () => {
    const again = await cli(["sandbox", "up", "--data-dir", dataDir]);
    expect(again.exitCode).toBe(ExitCode.SandboxRunning);
    expect(again.stderr).toContain(`pid ${first.pid}`);
    expect(again.stderr).toContain("sandbox down");
    expect(alive(first.pid)).toBe(true);
  }, 120_000);

  it("down stops every process, removes the descriptor, keeps the state; up again reuses keys, ids and ports", async () => {
    const down = await cli(["sandbox", "down", "--data-dir", dataDir]);
    expect(down.exitCode, output(down)).toBe(0);
    expect(down.stdout).toContain(`stopped the sandbox (pid ${first.pid})`);
    expect(processesUnder(dataDir)).toEqual([]);
    expect(existsSync(path.join(dataDir, "sandbox.json"))).toBe(false);
    expect(existsSync(path.join(dataDir, "state.json"))).toBe(true);
    const st = await cli(["sandbox", "status", "--data-dir", dataDir]);
    expect(st.exitCode).toBe(ExitCode.SandboxNotRunning);
    expect(st.stderr).toContain("none is running");
    const env = await cli(["sandbox", "env", "--data-dir", dataDir]);
    expect(env.exitCode).toBe(ExitCode.SandboxNotRunning);
    expect(env.stdout).toBe("");
    const twice = await cli(["sandbox", "down", "--data-dir", dataDir]);
    expect(twice.exitCode).toBe(0);
    expect(twice.stdout).toContain("nothing to stop");

    const up = await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"]);
    expect(up.exitCode, output(up)).toBe(0);
    const second = await descriptorOf(dataDir);
    expect(second.pid).not.toBe(first.pid);
    expect({ ...second, pid: 0, startedAt: "" }).toEqual({ ...first, pid: 0, startedAt: "" });
    const down2 = await cli(["sandbox", "down", "--data-dir", dataDir]);
    expect(down2.exitCode).toBe(0);
    expect(processesUnder(dataDir)).toEqual([]);
  }, 240_000);
});

describe("sandbox up: bad cases", () => {
  let blocker: Server | undefined;
  afterAll(async () => {
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
  });

  it("a --port in use: exit 16, named, and no daemon left", async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker?.listen(0, "127.0.0.1", () => r()));
    const addr = blocker.address();
    const port = typeof addr === "object" && addr ? addr.port : 0;
    const dataDir = await newDataDir("port");
    const up = await cli(["sandbox", "up", "--data-dir", dataDir, "--port", String(port)]);
    expect(up.exitCode).toBe(ExitCode.PortInUse);
    expect(up.stderr).toContain(`port ${port}`);
    expect(up.stderr).toContain("--port");
    expect(processesUnder(dataDir)).toEqual([]);
  }, 120_000);

  it("PostgreSQL or versitygw missing: exit 9 with the command that installs it", async () => {
    const dataDir = await newDataDir("prereq");
    const noPg = await cli(["sandbox", "up", "--data-dir", dataDir], { EVALAP_PG_BINDIR: path.join(root, "no-such-dir") });
    expect(noPg.exitCode).toBe(ExitCode.Prerequisite);
    expect(noPg.stderr).toContain("initdb");
    expect(noPg.stderr).toContain("apt-get install postgresql-15");
    const noS3 = await cli(["sandbox", "up", "--data-dir", dataDir], { EVALAP_S3_SERVER_BIN: path.join(root, "no-versitygw") });
    expect(noS3.exitCode).toBe(ExitCode.Prerequisite);
    expect(noS3.stderr).toContain("versitygw");
    expect(noS3.stderr).toContain("scripts/s3-server.sh");
    expect(processesUnder(dataDir)).toEqual([]);
  }, 120_000);

  it("malformed values are usage errors before anything runs", async () => {
    const dataDir = await newDataDir("usage");
    expect((await cli(["sandbox", "up", "--data-dir", dataDir, "--port", "70000"])).exitCode).toBe(ExitCode.Usage);
    const delay = await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "soon"]);
    expect(delay.exitCode).toBe(ExitCode.Usage);
    expect(delay.stderr).toContain("--ready-delay");
    expect((await cli(["sandbox", "env", "--data-dir", dataDir, "--shell", "fish"])).exitCode).toBe(ExitCode.Usage);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);
});

describe("a daemon that died, or does not stop", () => {
  it("kill -9 of the daemon: status says it is gone, up takes the folder over (the orphan S3 server too)", async () => {
    const dataDir = await newDataDir("killed");
    expect((await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"])).exitCode).toBe(0);
    const before = await descriptorOf(dataDir);
    const orphans = processesUnder(dataDir).filter((p) => p !== before.pid);
    expect(orphans.length).toBeGreaterThan(0);
    process.kill(before.pid, "SIGKILL");
    expect(await waitUntil(() => !alive(before.pid), 10_000)).toBe(true);

    const st = await cli(["sandbox", "status", "--data-dir", dataDir]);
    expect(st.exitCode).toBe(ExitCode.SandboxNotRunning);
    expect(st.stderr).toContain(`pid ${before.pid}) is gone`);

    const up = await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"]);
    expect(up.exitCode, output(up)).toBe(0);
    expect(up.stderr).toContain(`pid ${before.pid} died without cleaning up`);
    const after = await descriptorOf(dataDir);
    expect(after.pid).not.toBe(before.pid);
    // Same keys, same URLs: the user's shell environment is still right.
    expect(after.apiUrl).toBe(before.apiUrl);
    expect(after.s3.endpoint).toBe(before.s3.endpoint);
    for (const pid of orphans) expect(alive(pid), `orphan ${pid}`).toBe(false);
    expect((await cli(["sandbox", "status", "--data-dir", dataDir])).exitCode).toBe(0);
    expect((await cli(["sandbox", "down", "--data-dir", dataDir])).exitCode).toBe(0);
    expect(processesUnder(dataDir)).toEqual([]);
  }, 240_000);

  it("a stale descriptor whose pid is dead (written by hand) is taken over", async () => {
    const dataDir = await newDataDir("stale");
    await mkdir(dataDir, { recursive: true });
    const gone = await execa("node", ["-e", "process.stdout.write(String(process.pid))"]);
    const deadPid = Number(gone.stdout);
    const stale: SandboxDescriptor = {
      format: 1,
      pid: deadPid,
      startedAt: new Date(0).toISOString(),
      dataDir,
      apiUrl: "http://127.0.0.1:9",
      scaleway: {
        accessKey: "SCWXXXXXXXXXXXXXXXXX",
        secretKey: "x",
        organizationId: "o",
        projectId: "p",
        region: "fr-par",
        zone: "fr-par-1",
      },
      s3: { endpoint: "http://127.0.0.1:9", region: "fr-par", accessKey: "a", secretKey: "s", stateBucket: "b" },
      statePassphrase: "0123456789abcdef0123",
      appSecrets: {},
      images: {},
      environmentProject: { id: "e1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d", name: "evalap-sandbox" },
    };
    await writeFile(path.join(dataDir, "sandbox.json"), JSON.stringify(stale), { mode: 0o600 });
    const down = await cli(["sandbox", "down", "--data-dir", dataDir]);
    expect(down.exitCode).toBe(0);
    expect(down.stdout).toContain(`cleaned what pid ${deadPid} left`);
    expect(existsSync(path.join(dataDir, "sandbox.json"))).toBe(false);

    await writeFile(path.join(dataDir, "sandbox.json"), JSON.stringify(stale), { mode: 0o600 });
    const up = await cli(["--json", "sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"]);
    expect(up.exitCode, output(up)).toBe(0);
    const d = await descriptorOf(dataDir);
    expect(d.pid).not.toBe(deadPid);
    // NDJSON only on stdout: the take-over said as a warning, the sandbox as data, no secret.
    expect(
      up.stdout
        .trim()
        .split("\n")
        .every((l) => l.startsWith("{")),
    ).toBe(true);
    expect(up.events.some((e) => e.type === "log" && String(e.message).includes(`pid ${deadPid} died`))).toBe(true);
    expect(up.events.find((e) => e.type === "data")?.data).toMatchObject({ running: true, pid: d.pid, apiUrl: d.apiUrl });
    for (const secret of [d.scaleway.secretKey, d.s3.secretKey, d.statePassphrase]) expect(up.stdout).not.toContain(secret);
    expect((await cli(["sandbox", "down", "--data-dir", dataDir])).exitCode).toBe(0);
  }, 240_000);

  it("a daemon that ignores SIGTERM is killed after the grace, and down says so", async () => {
    const dataDir = await newDataDir("stuck");
    expect((await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"])).exitCode).toBe(0);
    const d = await descriptorOf(dataDir);
    // A stopped process cannot act on SIGTERM: the daemon stays until SIGKILL.
    process.kill(d.pid, "SIGSTOP");
    const down = await cli(["sandbox", "down", "--data-dir", dataDir, "--grace", "2s"]);
    expect(down.exitCode, output(down)).toBe(0);
    expect(down.stderr).toContain("SIGKILL");
    expect(down.stdout).toContain(`killed the sandbox (pid ${d.pid}`);
    expect(await waitUntil(() => processesUnder(dataDir).length === 0, 10_000)).toBe(true);
    expect(existsSync(path.join(dataDir, "sandbox.json"))).toBe(false);
    const up = await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"]);
    expect(up.exitCode, output(up)).toBe(0);
    expect((await cli(["sandbox", "down", "--data-dir", dataDir])).exitCode).toBe(0);
  }, 240_000);
});

describe("Ctrl-C during up", () => {
  it("stops the daemon it was starting: nothing is left running, no descriptor", async () => {
    const dataDir = await newDataDir("interrupted");
    // An S3 server slow to start keeps the daemon starting long enough to interrupt `up`.
    const slow = path.join(root, "slow-versitygw");
    const real = path.join(
      process.env.EVALAP_TOOLCHAIN_DIR ?? path.join(os.homedir(), ".cache", "evalap-infra", "toolchain"),
      "bin",
      "versitygw",
    );
    await writeFile(slow, `#!/bin/sh\nsleep 4\nexec ${real} "$@"\n`, { mode: 0o755 });
    const up = execa("node", [CLI, "sandbox", "up", "--data-dir", dataDir], {
      cwd: root,
      env: { NO_COLOR: "1", EVALAP_SANDBOX_DIR: "", EVALAP_S3_SERVER_BIN: slow },
      reject: false,
      stdin: "ignore",
    });
    expect(await waitUntil(() => existsSync(path.join(dataDir, "daemon", "sandbox.pid")), 60_000)).toBe(true);
    const daemonPid = Number(readFileSync(path.join(dataDir, "daemon", "sandbox.pid"), "utf8"));
    up.kill("SIGINT");
    const r = await up;
    expect(r.exitCode, `${String(r.stdout)}\n${String(r.stderr)}`).toBe(ExitCode.Interrupted);
    expect(alive(daemonPid)).toBe(false);
    expect(await waitUntil(() => processesUnder(dataDir).length === 0, 10_000)).toBe(true);
    expect(existsSync(path.join(dataDir, "sandbox.json"))).toBe(false);
  }, 120_000);
});

describe("sandbox reset", () => {
  it("refuses without --yes when there is no terminal, then deletes the folder with --yes", async () => {
    const dataDir = await newDataDir("reset");
    expect((await cli(["sandbox", "up", "--data-dir", dataDir, "--ready-delay", "0s"])).exitCode).toBe(0);
    const refused = await cli(["sandbox", "reset", "--data-dir", dataDir]);
    expect(refused.exitCode).toBe(ExitCode.GuardRefused);
    expect(refused.stderr).toContain("no terminal");
    expect(refused.stderr).toContain("--yes");
    expect((await cli(["sandbox", "status", "--data-dir", dataDir])).exitCode).toBe(0);

    const reset = await cli(["sandbox", "reset", "--data-dir", dataDir, "--yes"]);
    expect(reset.exitCode, output(reset)).toBe(0);
    expect(existsSync(dataDir)).toBe(false);
    expect(processesUnder(dataDir)).toEqual([]);
    const again = await cli(["sandbox", "reset", "--data-dir", dataDir, "--yes"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain("nothing to delete");
  }, 240_000);

  it("does not delete a folder that is not a sandbox's", async () => {
    const dataDir = await newDataDir("not-a-sandbox");
    await mkdir(dataDir, { recursive: true });
    await writeFile(path.join(dataDir, "notes.txt"), "mine");
    const reset = await cli(["sandbox", "reset", "--data-dir", dataDir, "--yes"]);
    expect(reset.exitCode).toBe(ExitCode.Usage);
    expect(reset.stderr).toContain("does not look like a sandbox data folder");
    expect(existsSync(path.join(dataDir, "notes.txt"))).toBe(true);
  }, 60_000);
});

describe("the data folder of a project", () => {
  it("is .evalap-infra/sandbox beside evalap-infra.json, found from a subfolder; the daemon is hidden from the help", async () => {
    const project = path.join(root, "project");
    await mkdir(path.join(project, "sub"), { recursive: true });
    await writeFile(path.join(project, "evalap-infra.json"), JSON.stringify({ environments: {} }));
    const r = await execa("node", [CLI, "--json", "sandbox", "status"], {
      cwd: path.join(project, "sub"),
      env: { EVALAP_SANDBOX_DIR: "" },
      reject: false,
    });
    expect(r.exitCode).toBe(ExitCode.SandboxNotRunning);
    const data = parseEvents(String(r.stdout)).find((e) => e.type === "data")?.data as { dataDir: string };
    expect(data.dataDir).toBe(path.join(project, ".evalap-infra", "sandbox"));
    const help = await execa("node", [CLI, "sandbox", "--help"], { reject: false });
    expect(String(help.stdout)).toContain("up");
    expect(String(help.stdout)).not.toMatch(/^\s+serve\b/m);
  }, 60_000);
});
