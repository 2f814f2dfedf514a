import { describe, expect, it } from "vitest";
import { trackedProjects } from "../helpers/project.js";

/** migrate's command line, refused before anything runs (the sandbox tests run the rest: test/sandbox/migrate.test.ts). */
describe("migrate: usage", () => {
  const project = trackedProjects();
  const basic = () => project({ environments: { staging: { fixture: "basic" } } });

  it("refuses what it cannot run, with exit 3 and how to write it", async () => {
    const p = await basic();
    const cases: Array<[string[], string]> = [
      [["migrate", "status"], "migrate status needs the environment"],
      [["migrate", "staging", "--to", "0003;drop"], "is not an Alembic revision"],
      [["migrate", "staging", "--timeout", "soon"], '--timeout "soon" is not a duration'],
      [["migrate", "status", "staging", "--sql"], "--sql and --to belong to migrate <env>"],
      [["migrate", "staging", "production"], 'unexpected argument "production"'],
    ];
    for (const [args, message] of cases) {
      const r = await p.run(args);
      expect(r.exitCode, `${args.join(" ")}: ${r.stderr}`).toBe(3);
      expect(r.stderr).toContain(message);
    }
  }, 60_000);

  it("a root without the platform's migration variable has no runner: exit 3, nothing applied", async () => {
    const p = await basic();
    const r = await p.run(["migrate", "staging", "--json"]);
    expect(r.exitCode, r.stderr).toBe(3);
    const result = r.events.at(-1) as { error?: { code: string; hint?: string } };
    expect(result.error?.code).toBe("migration_not_managed");
    expect(result.error?.hint).toContain("infra/modules/evalap-platform");
  }, 60_000);
});
