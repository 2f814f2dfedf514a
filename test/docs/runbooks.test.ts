import { describe, expect, it } from "vitest";
import { commandLines } from "./command-lines.js";
import { docFiles, read } from "./markdown.js";

// The brief's runbooks: each says when it applies, the exact commands, how to verify and what not to do.
const RUNBOOKS = [
  "deploy",
  "rollback",
  "secret-rotation",
  "backups-and-restore",
  "migrations",
  "disaster-recovery",
  "stuck-lock",
  "ci-and-daily-checks",
];

describe("runbooks", () => {
  it("exist, one file each", () => {
    const files = docFiles().filter((f) => f.startsWith("docs/runbooks/"));
    expect(files.sort()).toEqual(RUNBOOKS.map((r) => `docs/runbooks/${r}.md`).sort());
  });

  it.each(RUNBOOKS)("%s has symptoms, commands, a verification and what not to do", (name) => {
    const text = read(`docs/runbooks/${name}.md`);
    expect(text, "a section (or paragraph) of symptoms: ## Symptoms, ## When or **Symptoms.**").toMatch(
      /^## (Symptoms|When)\b|\*\*Symptoms\.\*\*/m,
    );
    expect(text, "how to verify: ## Verify or **Verify**").toMatch(/^## Verify\b|\*\*Verify\*\*/m);
    expect(text, "what not to do: ## Do not or **Do not**").toMatch(/^## Do not\b|\*\*Do not\*\*/m);
    expect(commandLines(text).length, "at least one evalap-infra command in a code block").toBeGreaterThan(0);
  });

  it("disaster recovery covers a region outage (T133) and a lost or corrupted state bucket (T130)", () => {
    const text = read("docs/runbooks/disaster-recovery.md");
    expect(text).toMatch(/^## A region is down \(T133\)$/m);
    expect(text).toMatch(/^## Lost or corrupted state bucket \(T130\)$/m);
    for (const term of ["versioned", "tofu state push", "tofu import", "What is regional"]) expect(text).toContain(term);
  });

  it("stuck lock covers a dead and a live holder, lock status, lock release and tofu state locks", () => {
    const text = read("docs/runbooks/stuck-lock.md");
    expect(text).toMatch(/^## The holder is alive$/m);
    expect(text).toMatch(/^## The holder is dead$/m);
    for (const line of ["lock status production", "lock release production --force --yes", "lock release production --state"]) {
      expect(
        commandLines(text).some((c) => c.text.includes(line)),
        line,
      ).toBe(true);
    }
  });
});
