import { execa } from "execa";
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createObjectStore } from "../../src/objectstore/s3.js";
import type { SecretsListReport } from "../../src/operations/secrets.js";
import { CLI, parseEvents } from "../helpers/project.js";
import { sandboxProject, type RunningSandbox, type SandboxRun } from "../helpers/sandbox.js";

/**
 * secrets set / rotate on the sandbox (issue 11): the real provider applies infra/staging, the CLI
 * writes versions through @scaleway/sdk-secret and sets database passwords through @scaleway/sdk-rdb,
 * the stand-in containers get the values tofu reads back, and the stand-in's /_standin/db opens a
 * real PostgreSQL connection per request with the POSTGRES_URL it was given.
 */
describe("secrets set and rotate on the sandbox", () => {
  let sb: RunningSandbox;
  /** Every byte every run printed: no secret value may be in it. */
  const printed: string[] = [];
  /** Every secret value the test saw (given or read back): none may be in any output, record or file of the CLI. */
  const values = new Set<string>();
  let apiUrl = "";

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
    // A short lease: the crash tests kill runs, whose lease the next run takes over once expired.
    await writeFile(
      path.join(sb.projectDir, "evalap-infra.json"),
      JSON.stringify({ lock: { lease: "6s" }, environments: { staging: { root: "infra/staging" } } }),
    );
    for (const v of Object.values(sb.descriptor.appSecrets)) values.add(v);
    const deployed = await run(["deploy", "sandbox", "--json"]);
    expect(deployed.exitCode, deployed.output).toBe(0);
    apiUrl = services(deployed).evalap?.url ?? "";
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 900_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const run = async (args: string[], input?: string): Promise<SandboxRun> => {
    const r = await sb.run(args, input === undefined ? {} : { input });
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const services = (r: SandboxRun) =>
    (r.events.find((e) => e.type === "outputs")?.outputs as { services: { value: Record<string, { url: string }> } }).services.value;
  const sha = (v: string) => createHash("sha256").update(v).digest("hex");

  // Secret Manager through its HTTP API, as the console would: the test's own window on the versions.
  const secretsApi = async <T>(suffix: string, method = "GET"): Promise<T> => {
    const res = await fetch(`${sb.descriptor.apiUrl}/secret-manager/v1beta1/regions/fr-par/secrets/${suffix}`, {
      method,
      headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey, "Content-Type": "application/json" },
      ...(method === "POST" ? { body: "{}" } : {}),
    });
    expect(res.ok, `${method} ${suffix}: ${res.status}`).toBe(true);
    return (await res.json()) as T;
  };
  const secretIds = async (): Promise<Record<string, string>> => {
    const r = await run(["secrets", "list", "sandbox", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const report = r.events.find((e) => e.type === "data" && e.kind === "secrets.list")?.data as SecretsListReport;
    return Object.fromEntries(report.secrets.map((s) => [s.name, s.secretId.split("/")[1] ?? ""]));
  };
  const versions = async (name: string) => {
    const id = (await secretIds())[name] ?? "";
    const got = await secretsApi<{ versions: Array<{ revision: number; status: string }> }>(`${id}/versions?page_size=100`);
    return got.versions.sort((a, b) => a.revision - b.revision);
  };
  const value = async (name: string, revision: number | "latest_enabled"): Promise<string> => {
    const id = (await secretIds())[name] ?? "";
    const got = await secretsApi<{ data: string }>(`${id}/versions/${revision}/access`);
    const v = Buffer.from(got.data, "base64").toString("utf8");
    values.add(v);
    return v;
  };
  const proof = async (adminToken: string) => {
    const res = await fetch(`${apiUrl}/_standin/proof`, { headers: { "x-evalap-admin": adminToken } });
    return {
      status: res.status,
      body: res.status === 200 ? ((await res.json()) as { secrets: Record<string, string>; database: { user: string } }) : null,
    };
  };
  const rotationData = (r: SandboxRun) =>
    r.events.find((e) => e.type === "data" && (e.kind === "secrets.rotate" || e.kind === "secrets.set"))?.data as {
      outcome: string;
      rotation: {
        id: string;
        step: string;
        secrets: Array<{ name: string; previous: number; created: number; fingerprint: string; dbUser?: string }>;
      };
    };
  const auditOps = async (): Promise<string[]> => {
    const r = await run(["history", "sandbox", "--json", "--limit", "200"]);
    expect(r.exitCode, r.output).toBe(0);
    return JSON.stringify(r.events).match(/secrets\.[a-z.-]+/g) ?? [];
  };

  it("rotates ADMIN_TOKEN: a new version, the app gets it, the old one is disabled after the grace period, each step audited", async () => {
    const before = await versions("ADMIN_TOKEN");
    const previous = before.filter((v) => v.status === "enabled").at(-1)?.revision ?? 0;
    const oldToken = await value("ADMIN_TOKEN", previous);
    expect((await proof(oldToken)).status).toBe(200);

    const r = await run(["secrets", "rotate", "sandbox", "ADMIN_TOKEN", "--grace", "1s", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const data = rotationData(r);
    expect(data.outcome).toBe("rotated");
    expect(data.rotation.step).toBe("done");
    const rotated = data.rotation.secrets[0];
    expect(rotated).toMatchObject({ name: "ADMIN_TOKEN", previous, created: previous + 1 });

    const newToken = await value("ADMIN_TOKEN", previous + 1);
    expect(newToken).not.toBe(oldToken);
    expect(rotated?.fingerprint).toBe(sha(newToken).slice(0, 12));
    // The stand-in runs with the new token: it answers to it, and no longer to the old one.
    const now = await proof(newToken);
    expect(now.status).toBe(200);
    expect(now.body?.secrets.ADMIN_TOKEN).toBe(sha(newToken));
    expect((await proof(oldToken)).status).toBe(403);
    // The previous version is disabled, the new one enabled, and only after the release.
    const after = await versions("ADMIN_TOKEN");
    expect(after.find((v) => v.revision === previous)?.status).toBe("disabled");
    expect(after.find((v) => v.revision === previous + 1)?.status).toBe("enabled");
    const logs = r.events.filter((e) => e.type === "log").map((e) => String(e.message));
    const released = logs.findIndex((m) => /: released in \d+, healthy/.test(m));
    const disabled = logs.findIndex((m) => /previous versions disabled: ADMIN_TOKEN revision/.test(m));
    expect(released, logs.join("\n")).toBeGreaterThanOrEqual(0);
    expect(disabled).toBeGreaterThan(released);
    expect(r.events.some((e) => e.type === "step.started" && e.step === "grace")).toBe(true);

    const ops = await auditOps();
    for (const op of [
      "secrets.rotate.started",
      "secrets.rotate.versions-created",
      "secrets.rotate.released",
      "secrets.rotate.done",
      "secrets.rotate",
    ])
      expect(ops, op).toContain(op);
  }, 600_000);

  it("rotates the database credentials under load: 0 failed requests, the other user takes over, both still connect, the next rotation switches back", async () => {
    const before = JSON.parse(await value("DB_APP_CREDENTIALS", "latest_enabled")) as { user: string; password: string };
    const users: string[] = [];
    const failures: string[] = [];
    let stop = false;
    // A bounded loop: at most 5000 requests, each opening a real database connection in the stand-in.
    const load = (async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        try {
          const res = await fetch(`${apiUrl}/_standin/db`, { signal: AbortSignal.timeout(10_000) });
          const body = (await res.json()) as { user?: string; detail?: string };
          if (res.status !== 200 || !body.user) failures.push(`${res.status} ${body.detail ?? ""}`);
          else if (users.at(-1) !== body.user) users.push(body.user);
        } catch (err) {
          failures.push(err instanceof Error ? err.message : String(err));
        }
      }
    })();
    let r: SandboxRun;
    try {
      r = await run(["secrets", "rotate", "sandbox", "DB_APP_CREDENTIALS", "--grace", "0s", "--json"]);
    } finally {
      // A few more requests after the rotation, then stop.
      await new Promise((res) => setTimeout(res, 500));
      stop = true;
      await load;
    }
    expect(r.exitCode, r.output).toBe(0);
    expect(failures).toEqual([]);
    const next = before.user.endsWith("_a") ? before.user.replace(/_a$/, "_b") : before.user.replace(/_b$/, "_a");
    expect(users).toEqual([before.user, next]);
    expect(rotationData(r).rotation.secrets[0]?.dbUser).toBe(next);

    // Both users still log in: the previous one with its unchanged password, the new one with the new version's.
    const after = JSON.parse(await value("DB_APP_CREDENTIALS", "latest_enabled")) as { user: string; password: string };
    expect(after.user).toBe(next);
    const url = new URL((await value("POSTGRES_URL", "latest_enabled")).replace("postgresql+psycopg2://", "postgresql://"));
    for (const cred of [before, after]) {
      const client = new pg.Client({
        host: url.hostname,
        port: Number(url.port),
        user: cred.user,
        password: cred.password,
        database: "evalap",
      });
      await client.connect();
      const res = await client.query<{ current_user: string }>("select current_user");
      expect(res.rows[0]?.current_user).toBe(cred.user);
      await client.end();
    }

    const again = await run(["secrets", "rotate", "sandbox", "DB_APP_CREDENTIALS", "--grace", "0s", "--json"]);
    expect(again.exitCode, again.output).toBe(0);
    expect(rotationData(again).rotation.secrets[0]?.dbUser).toBe(before.user);
    const db = await (await fetch(`${apiUrl}/_standin/db`)).json();
    expect(db).toEqual({ user: before.user });
  }, 900_000);

  /** Starts a rotation and SIGKILLs it once it has logged `marker` (its NDJSON log of a recorded step). */
  const killedAt = async (marker: RegExp, args: string[]): Promise<string> => {
    const child = execa("node", [CLI, "secrets", "rotate", "sandbox", ...args, "--json"], {
      cwd: sb.projectDir,
      reject: false,
      env: { CI: "true" },
      stdin: "ignore",
      buffer: false,
    });
    let out = "";
    let killed = false;
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (!killed && parseEvents(out).some((e) => e.type === "log" && marker.test(String(e.message)))) {
        killed = true;
        child.kill("SIGKILL");
      }
    });
    await child;
    printed.push(out);
    expect(killed, `never saw ${String(marker)}:\n${out}`).toBe(true);
    return out;
  };

  /** What must hold after any fault once the rotation is finished: the containers run the latest enabled version, and it is the only enabled one. */
  const assertConsistent = async (name: string) => {
    const vs = await versions(name);
    const enabled = vs.filter((v) => v.status === "enabled");
    expect(enabled.map((v) => v.revision)).toEqual([vs.at(-1)?.revision]);
    const token = await value("ADMIN_TOKEN", "latest_enabled");
    const seen = await proof(token);
    expect(seen.status).toBe(200);
    expect(seen.body?.secrets[name]).toBe(sha(await value(name, "latest_enabled")));
    const list = await run(["secrets", "list", "sandbox", "--json"]);
    const report = list.events.find((e) => e.type === "data" && e.kind === "secrets.list")?.data as SecretsListReport;
    expect(report.secrets.find((s) => s.name === name)).toMatchObject({ current: true });
  };

  for (const [label, marker] of [
    ["after the record is written", /: started: /],
    ["after the new version is written", /: version \d+ of EVALAP_FRONTEND_TOKEN created/],
    ["after the release, during the grace period", /: released in \d+, healthy/],
  ] as const) {
    it(`a run killed ${label}: the next run refuses to start over (exit 18), --resume finishes it`, async () => {
      await killedAt(marker, ["EVALAP_FRONTEND_TOKEN", "--grace", "30s"]);
      const refused = await run(["secrets", "rotate", "sandbox", "ADMIN_TOKEN", "--json"]);
      expect(refused.exitCode, refused.output).toBe(18);
      expect(refused.result.error?.code).toBe("rotation_unfinished");
      expect(refused.result.error?.hint).toContain("secrets rotate sandbox --resume");
      const resumed = await run(["secrets", "rotate", "sandbox", "--resume", "--grace", "0s", "--json"]);
      expect(resumed.exitCode, resumed.output).toBe(0);
      expect(rotationData(resumed).rotation.step).toBe("done");
      await assertConsistent("EVALAP_FRONTEND_TOKEN");
    }, 600_000);
  }

  it("a run killed after its new version is written can be undone instead: the previous version runs again", async () => {
    const previous = (await versions("EVALAP_FRONTEND_TOKEN")).filter((v) => v.status === "enabled").at(-1)?.revision;
    await killedAt(/: version \d+ of EVALAP_FRONTEND_TOKEN created/, ["EVALAP_FRONTEND_TOKEN"]);
    const undone = await run(["secrets", "rotate", "sandbox", "--undo", "--json"]);
    expect(undone.exitCode, undone.output).toBe(0);
    expect(rotationData(undone)).toMatchObject({ outcome: "undone", rotation: { step: "undone" } });
    const vs = await versions("EVALAP_FRONTEND_TOKEN");
    expect(vs.filter((v) => v.status === "enabled").map((v) => v.revision)).toEqual([previous]);
    await assertConsistent("EVALAP_FRONTEND_TOKEN");
    const nothing = await run(["secrets", "rotate", "sandbox", "--resume", "--json"]);
    expect(nothing.exitCode, nothing.output).toBe(3);
  }, 600_000);

  it("a rotation started while another run holds the environment's lease waits for it, or stops at --lock-timeout (exit 4)", async () => {
    // The first rotation holds the lease through its grace period.
    const holder = execa("node", [CLI, "secrets", "rotate", "sandbox", "ADMIN_TOKEN", "--grace", "15s", "--json"], {
      cwd: sb.projectDir,
      reject: false,
      env: { CI: "true" },
      stdin: "ignore",
    });
    let holderOut = "";
    holder.stdout?.on("data", (c: Buffer) => (holderOut += c.toString("utf8")));
    while (!parseEvents(holderOut).some((e) => e.type === "step.started" && e.step === "grace")) {
      await new Promise((res) => setTimeout(res, 200));
    }
    const impatient = await run(["secrets", "rotate", "sandbox", "EVALAP_FRONTEND_TOKEN", "--lock-timeout", "1s", "--json"]);
    expect(impatient.exitCode, impatient.output).toBe(4);
    const patient = await run(["deploy", "sandbox", "--json"]);
    expect(patient.exitCode, patient.output).toBe(0);
    const first = await holder;
    printed.push(String(first.stdout), String(first.stderr));
    expect(first.exitCode).toBe(0);
    // The deploy ran after the rotation had finished: it found the rotation's versions in place (nothing to change).
    const waited = patient.events.some((e) => e.type === "lock.waiting" || (e.type === "log" && /wait/i.test(String(e.message))));
    expect(waited, patient.output).toBe(true);
  }, 600_000);

  it("secrets set: a value from standard input, rolled out with --deploy; bad input is refused and writes nothing", async () => {
    const planted = JSON.stringify({ ops: `planted-user-key-${Date.now()}` });
    values.add(planted);
    const before = await versions("USER_API_KEYS");

    const onArgv = await run(["secrets", "set", "sandbox", "USER_API_KEYS", planted, "--json"]);
    expect(onArgv.exitCode, onArgv.output).toBe(3);
    expect(onArgv.result.error?.message).toMatch(/on the command line is refused.*history/);
    const assigned = await run(["secrets", "set", "sandbox", `USER_API_KEYS=${planted}`, "--json"]);
    expect(assigned.exitCode).toBe(3);
    const empty = await run(["secrets", "set", "sandbox", "USER_API_KEYS", "--json"], "\n");
    expect(empty.exitCode, empty.output).toBe(3);
    expect(empty.result.error?.message).toContain("is empty");
    const unknown = await run(["secrets", "set", "sandbox", "GITHUB_TOKEN", "--json"], "x");
    expect(unknown.exitCode).toBe(3);
    expect(unknown.result.error?.message).toContain("EvalAP does not read GITHUB_TOKEN");
    const derived = await run(["secrets", "set", "sandbox", "POSTGRES_URL", "--json"], "x");
    expect(derived.exitCode).toBe(3);
    const undeclared = await run(["secrets", "set", "sandbox", "OPENAI_API_KEY", "--json"], "sk-x");
    expect(undeclared.exitCode, undeclared.output).toBe(3);
    expect(undeclared.result.error?.hint).toContain("app_secret_names");
    const external = await run(["secrets", "rotate", "sandbox", "USER_API_KEYS", "--json"]);
    expect(external.exitCode).toBe(3);
    expect(external.result.error?.hint).toContain("secrets set sandbox USER_API_KEYS");
    expect(await versions("USER_API_KEYS")).toEqual(before);

    const set = await run(["secrets", "set", "sandbox", "USER_API_KEYS", "--deploy", "--grace", "0s", "--json"], `${planted}\n`);
    expect(set.exitCode, set.output).toBe(0);
    const latest = before.at(-1)?.revision ?? 0;
    expect(await value("USER_API_KEYS", "latest_enabled")).toBe(planted);
    const seen = await proof(await value("ADMIN_TOKEN", "latest_enabled"));
    expect(seen.body?.secrets.USER_API_KEYS).toBe(sha(planted));
    expect((await versions("USER_API_KEYS")).filter((v) => v.status === "enabled").map((v) => v.revision)).toEqual([latest + 1]);
  }, 600_000);

  it("a value the app cannot start with: the rotation is undone, the previous version runs again (exit 7)", async () => {
    const before = (await versions("USER_API_KEYS")).filter((v) => v.status === "enabled").map((v) => v.revision);
    const previous = await value("USER_API_KEYS", "latest_enabled");
    // EvalAP's config.py json.loads USER_API_KEYS at import: a value that is not JSON stops the app before it listens.
    const broken = `not-json-${Date.now()}`;
    values.add(broken);
    const r = await run(["secrets", "set", "sandbox", "USER_API_KEYS", "--deploy", "--grace", "0s", "--json"], broken);
    expect(r.exitCode, r.output).toBe(7);
    expect(r.result.error?.code).toBe("rotation_undone");
    expect(r.result.error?.message).toMatch(/undone, the containers run USER_API_KEYS revision \d+ again/);
    const after = await versions("USER_API_KEYS");
    expect(after.filter((v) => v.status === "enabled").map((v) => v.revision)).toEqual(before);
    expect(after.at(-1)?.status).toBe("disabled");
    const seen = await proof(await value("ADMIN_TOKEN", "latest_enabled"));
    expect(seen.body?.secrets.USER_API_KEYS).toBe(sha(previous));
    const ops = await auditOps();
    expect(ops).toContain("secrets.rotate.undoing");
    expect(ops).toContain("secrets.rotate.undone");
  }, 600_000);

  it("no secret value in any output, event, audit entry, ledger or rotation record, or file the CLI keeps", async () => {
    expect(values.size).toBeGreaterThan(5);
    const store = createObjectStore({
      bucket: sb.descriptor.s3.stateBucket,
      endpoint: sb.descriptor.s3.endpoint,
      region: sb.descriptor.s3.region,
      accessKeyId: sb.descriptor.s3.accessKey,
      secretAccessKey: sb.descriptor.s3.secretKey,
    });
    const texts: Array<[string, string]> = printed.map((p, i) => [`output ${i}`, p]);
    for (const key of await store.list("")) {
      const obj = await store.read(key);
      if (obj) texts.push([`bucket ${key}`, obj.text]);
    }
    expect(texts.some(([w]) => w.includes("/rotations/"))).toBe(true);
    expect(texts.some(([w]) => w.includes("/audit/"))).toBe(true);
    const kept = path.join(sb.projectDir, ".evalap-infra");
    for (const file of await walk(kept)) {
      if (file.includes(`${path.sep}sandbox${path.sep}`)) continue; // the sandbox's own data: it is the cloud's side
      texts.push([file, await readFile(file, "utf8").catch(() => "")]);
    }
    for (const v of values) for (const [where, text] of texts) expect(text.includes(v), `a secret value is in ${where}`).toBe(false);
  }, 120_000);

  it("with the sandbox down: exit 14 and nothing written", async () => {
    await sb.cli(["sandbox", "down", "--data-dir", sb.dataDir]);
    const r = await run(["secrets", "set", "sandbox", "ADMIN_TOKEN", "--generate", "--json"]);
    expect(r.exitCode, r.output).toBe(14);
    const rot = await run(["secrets", "rotate", "sandbox", "ADMIN_TOKEN", "--json"]);
    expect(rot.exitCode, rot.output).toBe(14);
  }, 120_000);
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir).catch(() => [])) {
    const p = path.join(dir, name);
    const s = await stat(p).catch(() => null);
    if (s?.isDirectory()) out.push(...(await walk(p)));
    else if (s?.isFile() && s.size < 5_000_000) out.push(p);
  }
  return out;
}
