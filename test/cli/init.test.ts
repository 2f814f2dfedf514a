import { cp, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterEach, describe, expect, it } from "vitest";
import { CLI, parseEvents, REPO } from "../helpers/project.js";

/** `evalap-infra init [dir]`: a deployment repository from templates/, never overwriting a file. */
describe("init", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await mkdtemp(path.join(os.tmpdir(), "evalap-init-"));
    dirs.push(d);
    return d;
  };
  const init = async (cwd: string, args: string[]) => {
    const r = await execa("node", [CLI, "init", ...args, "--json"], { cwd, reject: false, stdin: "ignore", env: { CI: "true" } });
    const events = parseEvents(String(r.stdout));
    const data = events.find((e) => e.type === "data" && e.kind === "init")?.data as { created: string[]; skipped: string[] } | undefined;
    return { exitCode: r.exitCode ?? -1, events, data, output: `exit ${r.exitCode}\n${String(r.stdout)}\n${String(r.stderr)}` };
  };
  /** Every file under dir, relative path → bytes. */
  const snapshot = async (dir: string): Promise<Map<string, Buffer>> => {
    const out = new Map<string, Buffer>();
    for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      const full = path.join(e.parentPath, e.name);
      out.set(path.relative(dir, full), await readFile(full));
    }
    return out;
  };
  const ALL = [
    ".github/actions/setup/action.yml",
    ".github/workflows/operations.yml",
    ".github/workflows/pr.yml",
    ".github/workflows/production.yml",
    ".github/workflows/rollback.yml",
    ".github/workflows/staging.yml",
    ".gitignore",
    "README.md",
    "environments/production.tfvars",
    "environments/staging.tfvars",
    "evalap-infra.json",
    "package.json",
  ];

  it("scaffolds an empty folder; the config passes `config check` once the package is installed", async () => {
    const dir = await tmp();
    const r = await init(dir, [
      "repo",
      "--project-id",
      "staging=2b0c4c0e-3f7a-4d6b-9a51-0f2d8c9e1a77",
      "--alert-email",
      "staging=oncall@example.org",
      "--image",
      "evalap=rg.fr-par.scw.cloud/evalap/evalap:1.4.0",
    ]);
    expect(r.exitCode, r.output).toBe(0);
    expect([...(r.data?.created ?? [])].sort()).toEqual(ALL);
    expect(r.data?.skipped).toEqual([]);
    const repo = path.join(dir, "repo");
    const tfvars = await readFile(path.join(repo, "environments/staging.tfvars"), "utf8");
    expect(tfvars).toContain('project_id = "2b0c4c0e-3f7a-4d6b-9a51-0f2d8c9e1a77"');
    expect(tfvars).toContain('alert_contact_emails = ["oncall@example.org"]');
    expect(tfvars).toContain('state_bucket = "evalap-tfstate-staging"');
    // Not given: left for the first plan to name, never a placeholder value.
    expect(await readFile(path.join(repo, "environments/production.tfvars"), "utf8")).toMatch(/^# project_id = /m);
    for (const [file, bytes] of await snapshot(repo)) expect(bytes.toString("utf8"), file).not.toMatch(/@@[A-Z_]+@@/);
    const pkg = JSON.parse(await readFile(path.join(repo, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
    const own = JSON.parse(await readFile(path.join(REPO, "package.json"), "utf8")) as { version: string };
    expect(pkg.devDependencies["evalap-infra"]).toBe(`^${own.version}`);

    // What `npm ci` puts there: the package's files (a copy, as npm installs it; not a link).
    const installed = path.join(repo, "node_modules", "evalap-infra");
    await mkdir(installed, { recursive: true });
    await cp(path.join(REPO, "infra"), path.join(installed, "infra"), { recursive: true, filter: (s) => !s.includes(".terraform") });
    const check = await execa("node", [CLI, "config", "check", "--json"], { cwd: repo, reject: false, stdin: "ignore" });
    expect(check.exitCode, `${String(check.stdout)}\n${String(check.stderr)}`).toBe(0);
    const config = JSON.parse(await readFile(path.join(repo, "evalap-infra.json"), "utf8")) as {
      environments: Record<string, { root: string; protection?: string; images?: Record<string, string>; remote?: { bucket: string } }>;
    };
    expect(Object.keys(config.environments)).toEqual(["staging", "production", "sandbox"]);
    expect(config.environments.production?.protection).toBe("protected");
    expect(config.environments.production?.remote?.bucket).toBe("evalap-tfstate-production");
    expect(config.environments.staging?.images).toEqual({ evalap: "rg.fr-par.scw.cloud/evalap/evalap:1.4.0" });
  });

  it("never overwrites: existing files are skipped byte for byte and listed; a second run skips everything (exit 0)", async () => {
    const dir = await tmp();
    await mkdir(path.join(dir, ".github", "workflows"), { recursive: true });
    const mine = {
      "README.md": "# my deployment\n",
      ".github/workflows/staging.yml": "name: mine\n",
      "evalap-infra.json": "{ not even json",
    };
    for (const [file, text] of Object.entries(mine)) await writeFile(path.join(dir, file), text);
    const first = await init(dir, []);
    expect(first.exitCode, first.output).toBe(0);
    expect([...(first.data?.skipped ?? [])].sort()).toEqual(Object.keys(mine).sort());
    expect(first.data?.created.length).toBe(ALL.length - 3);
    for (const [file, text] of Object.entries(mine)) expect(await readFile(path.join(dir, file), "utf8")).toBe(text);
    // The human output names each skipped file.
    const human = await execa("node", [CLI, "init", "."], { cwd: dir, reject: false, stdin: "ignore", env: { CI: "true" } });
    expect(human.exitCode).toBe(0);
    expect(String(human.stderr) + String(human.stdout)).toContain("skipped README.md (exists; left as it is)");

    const before = await snapshot(dir);
    const second = await init(dir, []);
    expect(second.exitCode, second.output).toBe(0);
    expect(second.data?.created).toEqual([]);
    expect([...(second.data?.skipped ?? [])].sort()).toEqual(ALL);
    expect(await snapshot(dir)).toEqual(before);
  });

  it("bad flags are usage errors (exit 3) and write nothing", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["--environments", "staging,preprod"], /no root for preprod/],
      [["--environments", "production"], /without staging/],
      [["--region", "us-east-1"], /us-east-1/],
      [["--project-id", "staging"], /--project-id staging=/],
      [["--project-id", "staging=not-a-uuid"], /not a project id/],
      [["--project-id", "production=2b0c4c0e-3f7a-4d6b-9a51-0f2d8c9e1a77", "--environments", "staging"], /not among --environments/],
      [["--alert-email", "staging=nobody"], /not an email/],
      [["--state-bucket-prefix", "Bad_Bucket"], /bucket/],
      [["--image", "evalap"], /--image/],
    ];
    for (const [args, message] of cases) {
      const dir = await tmp();
      const r = await execa("node", [CLI, "init", dir, ...args], { reject: false, stdin: "ignore", env: { CI: "true" } });
      expect(r.exitCode, `${args.join(" ")}\n${String(r.stderr)}`).toBe(3);
      expect(String(r.stderr), args.join(" ")).toMatch(message);
      expect(await readdir(dir), args.join(" ")).toEqual([]);
    }
  });

  it("the npm package ships what init reads (templates/) and what the scaffolded workflows run (the toolchain script)", async () => {
    const r = await execa("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: REPO, reject: false, stdin: "ignore" });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const shipped = new Set((JSON.parse(String(r.stdout)) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((f) => f.path));
    const templates = (await readdir(path.join(REPO, "templates"), { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(REPO, path.join(e.parentPath, e.name)));
    expect(templates.length).toBeGreaterThan(10);
    for (const file of [...templates, "scripts/toolchain.sh", "scripts/lib/go-build.sh"]) expect(shipped.has(file), file).toBe(true);
  });
});
