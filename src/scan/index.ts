// Static scan of the infrastructure code: no hard-coded secrets in infra/, templates/ and
// .github/, and no provider other than Scaleway and OpenTofu's built-ins (FR-013, FR-016).
// Findings never contain the offending value, only a masked form.

import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";

import { scanFile, type ScanFinding } from "./rules.js";

export { scanFile, mask, ENTROPY_THRESHOLD, type ScanFinding, type RuleId } from "./rules.js";

export interface ScanReport {
  ok: boolean;
  findings: ScanFinding[];
}

/** Directories scanned, relative to the repository root; missing ones are skipped. */
export const SCANNED_DIRS = ["infra", "templates", ".github"] as const;

const SKIPPED_DIRS = new Set([".terraform", "node_modules", ".git"]);
const MAX_FILE_BYTES = 1024 * 1024;

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function* walk(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) yield* walk(path);
    } else if (entry.isFile()) {
      yield path;
    }
  }
}

export async function runScan(repoRoot: string): Promise<ScanReport> {
  const findings: ScanFinding[] = [];
  for (const dir of SCANNED_DIRS) {
    const root = join(repoRoot, dir);
    if (!(await exists(root))) continue;
    for await (const path of walk(root)) {
      const info = await stat(path);
      if (info.size > MAX_FILE_BYTES) continue;
      const buf = await readFile(path);
      if (buf.includes(0)) continue; // binary
      const file = relative(repoRoot, path).split(sep).join("/");
      findings.push(...scanFile({ file, text: buf.toString("utf8") }));
    }
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
  return { ok: findings.length === 0, findings };
}
