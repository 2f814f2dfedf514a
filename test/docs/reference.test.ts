import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { commandPath } from "../../src/cli/command.js";
import { DEFAULT_STATEFUL_TYPES } from "../../src/config/schema.js";
import { ExitCode } from "../../src/core/exit-codes.js";
import { REGENERATE, renderReferences } from "../../src/docs/reference.js";
import { REPO } from "../helpers/project.js";

describe("generated references (docs/reference/)", () => {
  const generated = renderReferences();

  it.each(Object.keys(generated))("%s is up to date with its source", (file) => {
    let current = "";
    try {
      current = readFileSync(path.join(REPO, file), "utf8");
    } catch {
      // missing: reported as stale below
    }
    expect(current === generated[file], `${file} is stale: run \`${REGENERATE}\` and commit the result`).toBe(true);
  });

  it("the command reference names every visible command, its options and the exit codes", () => {
    const text = generated["docs/reference/commands.md"] ?? "";
    for (const def of COMMANDS) {
      const heading = `### ${commandPath(def)}\n`;
      if (def.hidden === true) expect(text).not.toContain(heading);
      else expect(text).toContain(heading);
      for (const example of def.hidden === true ? [] : def.examples) expect(text).toContain(example);
    }
    // Options with their defaults and allowed values (backup run --tier daily|weekly|monthly).
    expect(text).toMatch(/\| `--tier <tier>` \| `daily` \| .*one of: `daily`, `weekly`, `monthly`/);
    expect(text).toContain("| `--json` |");
    for (const code of Object.values(ExitCode)) expect(text).toMatch(new RegExp(`^\\| ${code} \\| `, "m"));
  });

  it("the configuration reference names every key with its type and default", () => {
    const text = generated["docs/reference/configuration.md"] ?? "";
    expect(text).toContain('| `environments.<name>.protection` | string | no | `"standard"` | `"standard"`, `"protected"` |');
    expect(text).toContain('| `lock.lease` | duration | no | `"60s"` |');
    expect(text).toContain("| `retry.attempts` | integer | no | `5` | 1–20 |");
    expect(text).toContain("| `environments.<name>.remote.bucket` | string | yes |");
    for (const t of DEFAULT_STATEFUL_TYPES) expect(text).toContain(t);
    // Text that GitHub would read as an HTML tag is escaped outside code spans.
    expect(text).toContain("evalap-infra/&lt;environment&gt;");
  });
});
