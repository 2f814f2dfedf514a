import { describe, expect, it } from "vitest";
import { ExitCode } from "../../src/core/exit-codes.js";
import { read } from "./markdown.js";
import { sourceErrorCodes } from "./source-codes.js";

const FILE = "docs/troubleshooting.md";

/** The text of a `## heading` section, up to the next `## `. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`${FILE} has no "## ${heading}" section`);
  const end = markdown.indexOf("\n## ", start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

/** First cells of the section's table rows: "| 4 | …" → "4", "| `lock_held` | …" → "`lock_held`". */
function firstCells(text: string): string[] {
  return [...text.matchAll(/^\| ([^|]+?) \|/gm)].map((m) => m[1] ?? "").filter((c) => !/^(-+|exit|code)$/.test(c));
}

describe(`${FILE} is complete`, () => {
  const doc = read(FILE);

  it("explains every exit code of src/core/exit-codes.ts, and no other", () => {
    const documented = firstCells(section(doc, "Exit codes")).map(Number);
    const codes = Object.values(ExitCode);
    const missing = codes.filter((c) => !documented.includes(c));
    expect(missing, `exit codes missing from ${FILE}, "## Exit codes": ${missing.join(", ")}`).toEqual([]);
    expect(documented.filter((c) => !(codes as readonly number[]).includes(c))).toEqual([]);
  });

  it("explains every error code the sources raise, and no other", () => {
    const source = sourceErrorCodes();
    const documented = firstCells(section(doc, "Error codes")).map((c) => c.replace(/`/g, ""));
    const missing = [...source.keys()].filter((c) => !documented.includes(c)).sort();
    const detail = missing.map((c) => `${c} (${(source.get(c) ?? []).join(", ")})`).join("\n  ");
    expect(missing, `error codes raised in src/ but missing from ${FILE}, "## Error codes":\n  ${detail}`).toEqual([]);
    const stale = documented.filter((c) => !source.has(c));
    expect(stale, `${FILE} documents error codes no source raises: ${stale.join(", ")}`).toEqual([]);
    expect(new Set(documented).size, "an error code is documented twice").toBe(documented.length);
  });

  it("collects codes from every form the sources use", () => {
    const codes = sourceErrorCodes();
    // a literal first argument (new EvalapError, super), a choice, `code = … ? … : …`, `code:` properties, the CODES table
    for (const code of ["lock_held", "alerts_unknown_labels", "rolled_back", "health_failed", "tofu_failed", "read_only_fs", "usage"]) {
      expect(codes.has(code), code).toBe(true);
    }
    // FileSystemError's first argument is a reason, zod's issue code is not an error code
    expect(codes.has("read_only")).toBe(false);
    expect(codes.has("custom")).toBe(false);
  });
});
