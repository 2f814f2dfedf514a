import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StatusResult } from "../../src/migrate/migrate.js";
import { tofuIn } from "../helpers/project.js";
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
    expect((await sb.counts())["container.tokens"] ?? 0).toBe(0);
  };

  /**
   * The environment's first full apply. While issue 11's roots and CLI are being joined, a first
   * `deploy` stops after the secret shells (the root's secret_ids output needs the database); so,
   * as test/helpers/secret-seed.ts does for the infra gate: shells and versions, one plain apply,
   * and from then on the CLI's deploy.
   */
  async function firstApply(tag: string): Promise<void> {
    await sb.cli(["deploy", "sandbox", "--image", `evalap=${image(tag)}`]); // init and the shells
    const root = path.join(sb.projectDir, "infra/staging");
    const vars = [`-var=images={"evalap":"${image(tag)}"}`];
    await seedAppSecrets({ sb, root, environment: "staging", args: vars });
    const applied = await tofuIn(root, ["apply", "-auto-approve", "-input=false", "-no-color", ...vars], sb.env);
    expect(applied.exitCode, `${applied.stdout}\n${applied.stderr}`).toBe(0);
  }

  it("status before any migration: the database is empty, the image's revisions pending", async () => {
    await firstApply("v1-head2");
    const deployed = await run(["deploy", "sandbox", "--image", `evalap=${image("v1-head2")}`, "--json"]);
    expect(deployed.exitCode, deployed.output).toBe(0);
    const s = await status();
    expect(s).toMatchObject({ environment: "sandbox", image: image("v1-head2"), current: null, head: "0002" });
    expect(s.pending.map((p) => p.revision)).toEqual(["0001", "0002"]);
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

  it("upgrade from empty: a backup first, the log streamed, then the database at the image's head", async () => {
    const r = await run(["migrate", "sandbox", "--json"]);
    expect(r.exitCode, r.output).toBe(0);
    const steps = r.events.filter((e) => e.type === "step.finished").map((e) => e.step);
    expect(steps.indexOf("backup")).toBeGreaterThan(-1);
    expect(steps.indexOf("backup")).toBeLessThan(steps.indexOf("runner"));
    const lines = r.events.filter((e) => e.type === "log" && String(e.message).startsWith("alembic: ")).map((e) => String(e.message));
    expect(lines.some((l) => l.includes("Running upgrade  -> 0001"))).toBe(true);
    expect(lines.some((l) => l.includes("Running upgrade 0001 -> 0002"))).toBe(true);
    const backup = r.events.find((e) => e.type === "data" && e.kind === "migrate.backup")?.data as { backup: { id: string } };
    expect((await backups()).find((b) => b.id === backup.backup.id)?.status).toBe("ready");
    expect(r.result.summary).toContain(`backup ${backup.backup.id} first`);
    const s = await status();
    expect(s).toMatchObject({ current: "0002", head: "0002", pending: [] });
    await noRunnerLeft();
  }, 600_000);

  it("no secret in anything printed", () => {
    const all = printed.join("\n");
    for (const v of Object.values(JSON.parse(sb.env.EVALAP_SANDBOX_APP_SECRETS ?? "{}") as Record<string, string>))
      expect(all).not.toContain(v);
    expect(all).not.toContain(sb.descriptor.scaleway.secretKey);
    expect(all).not.toMatch(/sbx\.[A-Za-z0-9_-]{20,}/);
  });
});
