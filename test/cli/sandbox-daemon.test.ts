import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUuid } from "../../src/core/ids.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import { removeDataDir } from "../../src/sandbox/daemon/control.js";
import { generateCredentials, loadOrCreateCredentials } from "../../src/sandbox/daemon/credentials.js";
import { findPostgresBinDir, findVersitygw } from "../../src/sandbox/daemon/prereqs.js";
import { processMatches } from "../../src/sandbox/daemon/processes.js";
import { SandboxApiError, standinDigest } from "../../src/sandbox/daemon/seed.js";
import { rejection } from "../helpers/rejection.js";

/** The daemon's pure parts: credentials, prerequisites, the data-folder guard, API refusals. */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "evalap-sandbox-daemon-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("credentials", () => {
  it("are shaped as Scaleway's (SCW + 17 characters, UUID secret and ids) and differ on each generation", () => {
    const a = generateCredentials();
    const b = generateCredentials();
    expect(a.scaleway.accessKey).toMatch(/^SCW[A-Z0-9]{17}$/);
    for (const id of [a.scaleway.secretKey, a.scaleway.organizationId, a.scaleway.projectId]) expect(isUuid(id)).toBe(true);
    expect(a.statePassphrase.length).toBeGreaterThanOrEqual(32);
    expect(Object.keys(a.appSecrets).sort()).toEqual(["ADMIN_TOKEN", "EVALAP_FRONTEND_TOKEN", "USER_API_KEYS"]);
    expect(Object.keys(JSON.parse(a.appSecrets.USER_API_KEYS ?? "") as object)).toEqual(["sandbox"]);
    expect(a.scaleway.secretKey).not.toBe(b.scaleway.secretKey);
    expect(a.statePassphrase).not.toBe(b.statePassphrase);
  });

  it("are written once (0600) and read back on the next start", async () => {
    const d = path.join(dir, "creds");
    await mkdir(d);
    const first = await loadOrCreateCredentials(d);
    expect((await stat(path.join(d, "credentials.json"))).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateCredentials(d)).toEqual(first);
  });
});

describe("prerequisites", () => {
  it("PostgreSQL: EVALAP_PG_BINDIR alone when set; the error names the package to install", async () => {
    const fake = path.join(dir, "pgbin");
    await mkdir(fake);
    for (const tool of ["initdb", "pg_ctl"]) await writeFile(path.join(fake, tool), "#!/bin/sh\n", { mode: 0o755 });
    expect(findPostgresBinDir({ EVALAP_PG_BINDIR: fake })).toBe(fake);
    expect(() => findPostgresBinDir({ EVALAP_PG_BINDIR: path.join(dir, "none") })).toThrow(/EVALAP_PG_BINDIR/);
    const err = await rejection(Promise.resolve().then(() => findPostgresBinDir({ EVALAP_PG_BINDIR: path.join(dir, "none") })));
    expect(err).toMatchObject({ exitCode: ExitCode.Prerequisite });
    expect((err as { hint: string }).hint).toContain("apt-get install postgresql-15");
  });

  it("versitygw: EVALAP_S3_SERVER_BIN, else the toolchain cache; the error says how to build it", async () => {
    const bin = path.join(dir, "versitygw");
    await writeFile(bin, "#!/bin/sh\n", { mode: 0o755 });
    expect(findVersitygw({ EVALAP_S3_SERVER_BIN: bin })).toBe(bin);
    const err = await rejection(Promise.resolve().then(() => findVersitygw({ EVALAP_TOOLCHAIN_DIR: path.join(dir, "empty-cache") })));
    expect(err).toMatchObject({ exitCode: ExitCode.Prerequisite });
    expect((err as { hint: string }).hint).toContain("bash scripts/s3-server.sh");
  });
});

describe("removeDataDir", () => {
  it("removes a sandbox folder, refuses one holding other files, and says when there is none", async () => {
    const sb = path.join(dir, "sb");
    await mkdir(path.join(sb, "s3", "buckets"), { recursive: true });
    await mkdir(path.join(sb, "rdb"), { recursive: true });
    await writeFile(path.join(sb, "credentials.json"), "{}");
    await writeFile(path.join(sb, "state.json"), "{}");
    expect(await removeDataDir(sb)).toBe(true);
    expect(await removeDataDir(sb)).toBe(false);

    const home = path.join(dir, "home");
    await mkdir(path.join(home, "projects"), { recursive: true });
    const err = await rejection(removeDataDir(home));
    expect(err).toMatchObject({ exitCode: ExitCode.Usage });
    const mixed = path.join(dir, "mixed");
    await mkdir(mixed);
    await writeFile(path.join(mixed, "credentials.json"), "{}");
    await writeFile(path.join(mixed, ".bashrc"), "");
    expect((await rejection(removeDataDir(mixed))) as { hint: string }).toMatchObject({
      hint: expect.stringContaining(".bashrc") as unknown,
    });
    expect(await readFile(path.join(mixed, ".bashrc"), "utf8")).toBe("");
  });
});

describe("small parts", () => {
  it("a process is recognised by its command line, not its pid alone", () => {
    expect(processMatches(process.pid, [])).toBe(true);
    expect(processMatches(process.pid, ["no-such-word-in-a-command-line"])).toBe(false);
    expect(processMatches(0, [])).toBe(false);
  });

  it("the API's refusals name each bad argument; the stand-in's digest depends only on its reference", () => {
    const err = new SandboxApiError("pushing x", 400, {
      message: "invalid argument(s)",
      details: [{ argument_name: "image", reason: "format", help_message: "must be rg.<region>.scw.cloud/<ns>/<image>:<tag>" }],
    });
    expect(err.status).toBe(400);
    expect(err.message).toBe("pushing x: HTTP 400: invalid argument(s) (image must be rg.<region>.scw.cloud/<ns>/<image>:<tag>)");
    expect(standinDigest("rg.fr-par.scw.cloud/evalap/evalap:sandbox-1")).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(standinDigest("a")).toBe(standinDigest("a"));
    expect(standinDigest("a")).not.toBe(standinDigest("b"));
  });
});
