import { execa } from "execa";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BackupView } from "../../src/backup/policy.js";
import type { StatusResult } from "../../src/migrate/migrate.js";
import { CLI, parseEvents, tofuIn } from "../helpers/project.js";
import { sandboxProject, type RunningSandbox } from "../helpers/sandbox.js";
import { seedAppSecrets } from "../helpers/secret-seed.js";

/**
 * `migrate` and `migrate status` on the sandbox daemon: the real provider applies the runner module
 * (a private container and its token), the sandbox runs the runner's python3 command for real with
 * Debian's Alembic and psycopg2 against the sandbox's PostgreSQL, in the stand-in image whose tag
 * says which revisions it ships (`-head2`: 0001-0002; a plain tag: 0001-0003; `-badmigration`: + 0004
 * that fails halfway). The backup is a real RDB backup (a pg_dump) of the sandbox.
 */
describe("migrate on the sandbox", () => {
  let sb: RunningSandbox;
  const printed: string[] = [];
  const image = (tag: string) => `rg.fr-par.scw.cloud/evalap/evalap:${tag}`;

  beforeAll(async () => {
    sb = await sandboxProject({ readyDelay: "0s" });
    for (const tag of ["v1-head2", "v2", "v3-badmigration"]) {
      const pushed = await sb.cli(["sandbox", "push", image(tag), "--data-dir", sb.dataDir]);
      expect(pushed.exitCode, pushed.stderr).toBe(0);
    }
  }, 120_000);

  afterAll(async () => {
    await sb?.cleanup();
  }, 120_000);

  const run = async (args: string[]) => {
    const r = await sb.run(args);
    printed.push(r.stdout, r.stderr);
    return r;
  };
  const api = async <T>(suffix: string): Promise<T> => {
    const res = await fetch(`${sb.descriptor.apiUrl}${suffix}`, { headers: { "X-Auth-Token": sb.descriptor.scaleway.secretKey } });
    expect(res.status, suffix).toBe(200);
    return (await res.json()) as T;
  };
  const containers = async () =>
    (await api<{ containers: Array<{ name: string; privacy: string }> }>("/containers/v1/regions/fr-par/containers")).containers;
  const backups = async () =>
    (await api<{ database_backups: Array<{ id: string; name: string; status: string }> }>("/rdb/v1/regions/fr-par/backups"))
      .database_backups;
  const status = async (): Promise<StatusResult> => {
    const r = await run(["migrate", "status", "sandbox", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const data = r.events.find((e) => e.type === "data" && e.kind === "migrate.status");
    return data?.data as StatusResult;
  };
  const noRunnerLeft = async () => {
    expect((await containers()).map((c) => c.name).sort()).toEqual(["evalap", "evalap-ui"]);
  };

  /**
   * The environment's first full apply, with plain tofu and no release: the tests start from a
   * database no migration has touched and an environment whose image is its first one. The
   * application secrets' shells and versions first, as test/helpers/secret-seed.ts writes them.
   */
  async function firstApply(tag: string): Promise<void> {
    const root = path.join(sb.projectDir, "infra/staging");
    const init = await tofuIn(
      root,
      [
        "init",
        "-input=false",
        "-no-color",
        `-backend-config=bucket=${sb.descriptor.s3.stateBucket}`,
        `-backend-config=endpoints={s3=${JSON.stringify(sb.descriptor.s3.endpoint)}}`,
      ],
      sb.env,
    );
    expect(init.exitCode, `${init.stdout}\n${init.stderr}`).toBe(0);
    const vars = [`-var=images={"evalap":"${image(tag)}"}`];
    await seedAppSecrets({ sb, root, environment: "staging", args: vars });
    const applied = await tofuIn(root, ["apply", "-auto-approve", "-input=false", "-no-color", ...vars], sb.env);
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
  }

  it("status before any migration: the database is empty, the image's revisions pending", async () => {
    await firstApply("v1-head2");
    // No release yet: the image is the environment's first one (sandbox-1: 0001-0003).
    const s = await status();
    expect(s).toMatchObject({ environment: "sandbox", image: image("sandbox-1"), current: null, head: "0003" });
    expect(s.pending.map((p) => p.revision)).toEqual(["0001", "0002", "0003"]);
    await noRunnerLeft();
  }, 600_000);

  it("--sql prints the SQL and changes nothing (no backup either)", async () => {
    const before = (await backups()).length;
    const r = await sb.cli(["migrate", "sandbox", "--sql"]);
    printed.push(r.stdout, r.stderr);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("CREATE TABLE datasets");
    expect(r.stdout).toContain("CREATE TABLE experiments");
    expect(r.stdout).not.toContain("INFO  [alembic");
    expect((await backups()).length).toBe(before);
    expect((await status()).current).toBeNull();
    await noRunnerLeft();
  }, 600_000);

  it("upgrade from empty (--to 0002): a backup first, the log streamed, then the database at 0002", async () => {
    const r = await run(["migrate", "sandbox", "--to", "0002", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const steps = r.events.filter((e) => e.type === "step.finished").map((e) => e.step);
    expect(steps.indexOf("create backup")).toBeGreaterThan(-1);
    expect(steps.indexOf("create backup")).toBeLessThan(steps.indexOf("runner"));
    const lines = r.events.filter((e) => e.type === "log" && String(e.message).startsWith("alembic: ")).map((e) => String(e.message));
    expect(lines.some((l) => l.includes("Running upgrade  -> 0001"))).toBe(true);
    expect(lines.some((l) => l.includes("Running upgrade 0001 -> 0002"))).toBe(true);
    expect(lines.some((l) => l.includes("-> 0003"))).toBe(false);
    expect(r.result.summary).toContain("migrated (empty) -> 0001, 0001 -> 0002");
    const backup = r.events.find((e) => e.type === "data" && e.kind === "migrate.backup")?.data as { backup: { id: string } };
    expect((await backups()).find((b) => b.id === backup.backup.id)?.status).toBe("ready");
    expect(r.result.summary).toContain(`backup ${backup.backup.id} first`);
    // The backup commands know it: its own tier, kept 30 days, within the retention policy.
    const list = await run(["backup", "list", "sandbox", "--json"]);
    const listed = (list.events.find((e) => e.type === "data" && e.kind === "backup.list")?.data as { backups: BackupView[] }).backups;
    const pre = listed.find((b) => b.id === backup.backup.id);
    expect(pre).toMatchObject({ tier: "premigrate", status: "ready" });
    expect(Date.parse(pre?.expires ?? "") - Date.parse(pre?.created ?? "")).toBeCloseTo(30 * 86_400_000, -6);
    const verify = await run(["backup", "verify", "sandbox", "--json"]);
    const checks = verify.events.find((e) => e.type === "data" && e.kind === "backup.verify")?.data as {
      checks: { check: string; ok: boolean }[];
    };
    expect(checks.checks.find((c) => c.check === "retention")).toMatchObject({ ok: true });
    const s = await status();
    expect(s).toMatchObject({ current: "0002", head: "0003" });
    expect(s.pending.map((p) => p.revision)).toEqual(["0003"]);
    await noRunnerLeft();
  }, 600_000);

  it("a deploy whose image brings nothing pending: checked, no backup, rolled", async () => {
    const before = (await backups()).length;
    const r = await run(["deploy", "sandbox", "--image", `evalap=${image("v1-head2")}`, "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const check = r.events.find((e) => e.type === "step.finished" && e.step === "migration check");
    expect(check).toMatchObject({ outcome: "ok" });
    expect(String(check?.detail)).toContain("nothing pending");
    expect((await backups()).length).toBe(before);
    await noRunnerLeft();
  }, 600_000);

  const stepsOf = (events: Array<Record<string, unknown>>) =>
    events.filter((e) => e.type === "step.finished" && e.outcome !== "skipped").map((e) => String(e.step));
  const apiImage = async () =>
    (await api<{ containers: Array<{ name: string; image: string }> }>("/containers/v1/regions/fr-par/containers")).containers.find(
      (c) => c.name === "evalap",
    )?.image;

  it("after a rotation of the database credentials, a revision that alters the first user's tables is refused before Alembic, with the way back", async () => {
    // The tables belong to evalap_a (the first credentials); the rotation switches the application to evalap_b.
    const rotated = await run(["secrets", "rotate", "sandbox", "DB_APP_CREDENTIALS", "--grace", "0s", "--json"]);
    expect(rotated.exitCode, rotated.output).toBe(0);
    // Already at the image's head: nothing to alter, nothing refused.
    expect((await run(["migrate", "sandbox", "--json"])).exitCode).toBe(0);
    const r = await run(["deploy", "sandbox", "--image", `evalap=${image("v2")}`, "--json"]);
    expect(r.exitCode, r.output).toBe(25);
    const error = r.result.error as { message: string; hint: string };
    expect(error.message).toContain("OwnerMismatch: tables of the schema belong to evalap_a and this run connects as evalap_b");
    expect(error.hint).toContain("evalap-infra secrets rotate sandbox DB_APP_CREDENTIALS");
    expect(stepsOf(r.events)).not.toContain("apply");
    expect((await status()).current).toBe("0002");
    expect(await apiImage()).toBe(image("v1-head2"));
    await noRunnerLeft();
    // The way the hint gives: rotating again switches back to evalap_a; the next test migrates.
    const back = await run(["secrets", "rotate", "sandbox", "DB_APP_CREDENTIALS", "--grace", "0s", "--json"]);
    expect(back.exitCode, back.output).toBe(0);
  }, 900_000);

  it("deploy of an image with a new revision: backup, migrate, roll, healthy, in that order", async () => {
    const r = await run(["deploy", "sandbox", "--image", `evalap=${image("v2")}`, "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const steps = stepsOf(r.events);
    const at = (name: string) => steps.indexOf(name);
    expect(at("migration check")).toBeGreaterThan(-1);
    expect(at("migration check")).toBeLessThan(at("create backup"));
    expect(at("create backup")).toBeLessThan(steps.lastIndexOf("runner"));
    expect(steps.lastIndexOf("runner")).toBeLessThan(at("apply"));
    expect(at("apply")).toBeLessThan(at("health"));
    expect(r.events.some((e) => e.type === "log" && String(e.message).includes("Running upgrade 0002 -> 0003"))).toBe(true);
    expect(await apiImage()).toBe(image("v2"));
    // The ledger in the same order: the migration's audit entry, then the deploy's; the release notes the backup.
    const history = await run(["history", "sandbox", "--json"]);
    const entries = history.events.find((e) => e.type === "data" && e.kind === "history")?.data as Array<{
      operation: string;
      detail?: string;
    }>;
    const ops = entries.map((e) => e.operation); // oldest first
    expect(ops.lastIndexOf("migrate")).toBeLessThan(ops.lastIndexOf("deploy"));
    const migrated = entries[ops.lastIndexOf("migrate")]?.detail ?? "";
    expect(migrated).toContain("0002 -> 0003");
    const backupId = /backup ([0-9a-f-]{36}) first/.exec(migrated)?.[1];
    expect(backupId).toBeDefined();
    const releases = await run(["releases", "list", "sandbox", "--json"]);
    const newest = (
      releases.events.find((e) => e.type === "data" && e.kind === "releases")?.data as Array<{ status: string; notes?: string[] }>
    )[0];
    expect(newest?.status).toBe("healthy");
    expect(newest?.notes?.join(" ")).toContain(`backup ${backupId} first`);
    expect((await status()).current).toBe("0003");
    await noRunnerLeft();
  }, 900_000);

  it("a deploy that keeps the API image runs no migration check", async () => {
    const r = await run(["deploy", "sandbox", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const check = r.events.find((e) => e.type === "step.finished" && e.step === "migration check");
    expect(check).toMatchObject({ outcome: "skipped" });
    expect(stepsOf(r.events)).not.toContain("runner");
  }, 600_000);

  it("a revision failing halfway: the deploy stops before the rollout, the database stays at the previous revision, the error names the backup", async () => {
    const r = await run(["deploy", "sandbox", "--image", `evalap=${image("v3-badmigration")}`, "--json"]);
    expect(r.exitCode, r.output).toBe(25);
    expect(r.result.error?.code).toBe("migration_failed");
    const backupId = /backup ([0-9a-f-]{36})/.exec(r.result.error?.message ?? "")?.[1];
    expect(backupId, r.result.error?.message).toBeDefined();
    expect(r.result.error?.hint).toContain(`scw rdb backup restore ${backupId}`);
    expect(r.result.error?.message).toContain('relation "judges" does not exist');
    expect(stepsOf(r.events)).not.toContain("apply");
    expect(await apiImage()).toBe(image("v2"));
    // Transactional DDL: 0004's table went with the failed run; the database is still at 0003.
    const s = await status();
    expect(s).toMatchObject({ image: image("v2"), current: "0003", pending: [] });
    await noRunnerLeft();
  }, 900_000);

  it("rollback --restore-database: the backup taken before the migration, then the previous image", async () => {
    const r = await run(["rollback", "sandbox", "--restore-database", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const steps = stepsOf(r.events);
    expect(steps.indexOf("restore database")).toBeGreaterThan(-1);
    expect(steps.indexOf("restore database")).toBeLessThan(steps.indexOf("apply"));
    const restored = r.events.find((e) => e.type === "step.finished" && e.step === "restore database");
    expect(String(restored?.detail)).toMatch(/backup [0-9a-f-]{36} \(taken before release \d+ migrated\) restored/);
    expect(await apiImage()).toBe(image("v1-head2"));
    // The database is back at the revision of the image it rolled back to.
    expect(await status()).toMatchObject({ image: image("v1-head2"), current: "0002", head: "0002", pending: [] });
    await noRunnerLeft();
  }, 900_000);

  it("two migrate runs started together: one waits for the lease, never both at once", async () => {
    const [a, b] = await Promise.all([run(["migrate", "sandbox", "--json"]), run(["migrate", "sandbox", "--json"])]);
    expect(a.exitCode, a.output).toBe(0);
    expect(b.exitCode, b.output).toBe(0);
    const waited = [a, b].filter((r) => r.events.some((e) => e.type === "lock.waiting"));
    expect(waited).toHaveLength(1);
    // The one that waited started its runner after the other had removed its own.
    const time = (r: typeof a, name: string, type: string) =>
      Date.parse(String(r.events.find((e) => e.type === type && e.step === name)?.time));
    const [first, second] = waited[0] === a ? [b, a] : [a, b];
    expect(time(second, "runner up", "step.started")).toBeGreaterThanOrEqual(time(first, "runner down", "step.finished"));
    await noRunnerLeft();
  }, 900_000);

  it("an interrupted migrate leaves no runner behind", async () => {
    const child = execa("node", [CLI, "migrate", "sandbox", "--json"], {
      cwd: sb.projectDir,
      reject: false,
      env: { CI: "true" },
      stdin: "ignore",
    });
    let out = "";
    let sent = false;
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      // Interrupted while tofu creates the runner: it finishes what it started, then the runner is removed.
      if (!sent && out.includes('"step":"runner up"')) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const r = await child;
    printed.push(String(r.stdout), String(r.stderr));
    expect(sent).toBe(true);
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(130);
    const events = parseEvents(String(r.stdout));
    expect(events.find((e) => e.type === "step.finished" && e.step === "runner down")).toMatchObject({ outcome: "ok" });
    await noRunnerLeft();
  }, 600_000);

  it("a private container answers only calls with an accepted X-Auth-Token (403 otherwise)", async () => {
    const key = sb.descriptor.scaleway.secretKey;
    const call = (suffix: string, init: { method: string; body?: unknown }) =>
      fetch(`${sb.descriptor.apiUrl}/containers/v1/regions/fr-par${suffix}`, {
        method: init.method,
        headers: { "X-Auth-Token": key, "Content-Type": "application/json" },
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    const ns = (await (await call("/namespaces", { method: "GET" })).json()) as { namespaces: Array<{ id: string }> };
    const created = (await (
      await call("/containers", {
        method: "POST",
        body: {
          namespace_id: ns.namespaces[0]?.id,
          name: "private-probe",
          image: image("v2"),
          port: 8000,
          privacy: "private",
          environment_variables: { ENV: "dev" },
          secret_environment_variables: { ADMIN_TOKEN: "probe-admin" },
        },
      })
    ).json()) as { id: string; public_endpoint: string };
    try {
      for (let i = 0; i < 300; i++) {
        const c = (await (await call(`/containers/${created.id}`, { method: "GET" })).json()) as { status: string };
        if (c.status === "ready") break;
        expect(c.status).not.toBe("error");
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = `${created.public_endpoint}/openapi.json`;
      expect((await fetch(url)).status).toBe(403);
      expect((await fetch(url, { headers: { "X-Auth-Token": "00000000-0000-0000-0000-000000000000" } })).status).toBe(403);
      expect((await fetch(url, { headers: { "X-Auth-Token": key } })).status).toBe(200);
    } finally {
      await call(`/containers/${created.id}`, { method: "DELETE" });
    }
  }, 120_000);

  it("no secret in anything printed", () => {
    const all = printed.join("\n");
    for (const v of Object.values(JSON.parse(sb.env.EVALAP_SANDBOX_APP_SECRETS ?? "{}") as Record<string, string>))
      expect(all).not.toContain(v);
    expect(all).not.toContain(sb.descriptor.scaleway.secretKey);
  });
});
