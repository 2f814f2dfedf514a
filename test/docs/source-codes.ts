import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { REPO } from "../helpers/project.js";

/**
 * The error codes the CLI can report (`error.code` of a result, `code` of an EvalapError), read
 * from src/ rather than listed by hand, so a new code fails the troubleshooting test until it is
 * documented. The sandbox's API emulation (src/sandbox/apis, src/sandbox/standin) is left out: its
 * errors are Scaleway's wire errors, answered to the provider and the SDK, never the CLI's.
 *
 * Where a code is written:
 * - the first argument of `new …Error(` or `super(` (EvalapError and its subclasses), a literal or
 *   a `cond ? "a" : "b"` choice; not FileSystemError's, whose first argument is a reason mapped to
 *   its code by the `CODES` table of src/tofu/fs-errors.ts (collected from that table);
 * - `code = cond ? "a" : "b"` before a `super(code, …)`;
 * - `code: "…"` in an object literal (the tofu failure descriptions, the SDK wordings, the result's
 *   error), except zod's issue codes (`ctx.addIssue({ code: "custom" … })`).
 */
export function sourceErrorCodes(): Map<string, string[]> {
  const codes = new Map<string, string[]>();
  const add = (code: string | undefined, file: string): void => {
    if (code === undefined) return;
    const files = codes.get(code) ?? [];
    if (!files.includes(file)) files.push(file);
    codes.set(code, files);
  };
  const C = '"([a-z][a-z0-9_]*)"';
  const literal = new RegExp(`new (\\w*Error)\\(\\s*${C}|super\\(\\s*${C}`, "g");
  const choice = new RegExp(`(?:new \\w*Error|super)\\(\\s*[^"'\`(),;{}]*\\?\\s*${C}\\s*:\\s*${C}`, "g");
  const assigned = new RegExp(`\\bcode = [^;?]*\\?\\s*${C}\\s*:\\s*${C}`, "g");
  const property = new RegExp(`\\bcode: ${C}`, "g");
  for (const file of sourceFiles()) {
    const text = readFileSync(path.join(REPO, file), "utf8");
    for (const m of text.matchAll(literal)) if (m[1] !== "FileSystemError") add(m[2] ?? m[3], file);
    for (const m of [...text.matchAll(choice), ...text.matchAll(assigned)]) {
      add(m[1], file);
      add(m[2], file);
    }
    for (const line of text.split("\n")) {
      if (line.includes("addIssue")) continue;
      for (const m of line.matchAll(property)) add(m[1], file);
    }
    const table = /const CODES\b[^=]*=\s*\{([^}]*)\}/.exec(text);
    for (const m of table?.[1]?.matchAll(new RegExp(`:\\s*${C}`, "g")) ?? []) add(m[1], file);
  }
  return codes;
}

function sourceFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(REPO, dir)).flatMap((name) => {
      const rel = path.posix.join(dir, name);
      if (statSync(path.join(REPO, rel)).isDirectory()) return /^src\/sandbox\/(apis|standin)$/.test(rel) ? [] : walk(rel);
      return name.endsWith(".ts") ? [rel] : [];
    });
  return walk("src");
}
