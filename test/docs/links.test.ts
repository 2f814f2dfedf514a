import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { REPO } from "../helpers/project.js";
import { anchors, docFiles, fencedLines, read } from "./markdown.js";

interface Link {
  line: number;
  target: string;
}

/** Relative Markdown links `[text](target)` outside code blocks and code spans (web and mail links left out). */
function relativeLinks(markdown: string): Link[] {
  const inCode = new Set(fencedLines(markdown).map((l) => l.line));
  const out: Link[] = [];
  markdown.split("\n").forEach((text, i) => {
    if (inCode.has(i + 1)) return;
    const prose = text.replace(/`[^`]*`/g, "");
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = m[1] ?? "";
      if (!/^[a-z][a-z0-9+.-]*:/i.test(target)) out.push({ line: i + 1, target });
    }
  });
  return out;
}

/** Why a link does not resolve, or null. */
function brokenLink(from: string, target: string): string | null {
  const [file = "", anchor] = target.split("#");
  const resolved = file === "" ? from : path.posix.normalize(path.posix.join(path.posix.dirname(from), file));
  if (resolved.startsWith("..")) return `${resolved} is outside the repository`;
  if (!existsSync(path.join(REPO, resolved))) return `${resolved} does not exist`;
  if (anchor === undefined || anchor === "") return null;
  if (!resolved.endsWith(".md") || statSync(path.join(REPO, resolved)).isDirectory()) return null;
  return anchors(read(resolved)).has(anchor) ? null : `${resolved} has no heading with the anchor #${anchor}`;
}

describe("links between docs resolve (relative links to existing files and headings)", () => {
  it.each(docFiles())("%s", (file) => {
    const broken = relativeLinks(read(file))
      .map((l) => ({ l, why: brokenLink(file, l.target) }))
      .filter((b) => b.why !== null)
      .map((b) => `${file}:${b.l.line}: (${b.l.target}) ${b.why ?? ""}`);
    expect(broken, broken.join("\n")).toEqual([]);
  });

  it("catches a missing file and a missing anchor", () => {
    expect(brokenLink("docs/architecture.md", "runbooks/nowhere.md")).toMatch(/does not exist/);
    expect(brokenLink("docs/architecture.md", "../README.md#no-such-heading")).toMatch(/no heading/);
    expect(brokenLink("docs/architecture.md", "../README.md#exit-codes")).toBeNull();
    expect(brokenLink("README.md", "#sandbox")).toBeNull();
  });
});
