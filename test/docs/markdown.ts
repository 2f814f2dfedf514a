import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { REPO } from "../helpers/project.js";

/** README.md and every Markdown file under docs/, relative to the repository. */
export function docFiles(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(path.join(REPO, dir)).flatMap((name) => {
      const rel = path.posix.join(dir, name);
      if (statSync(path.join(REPO, rel)).isDirectory()) return walk(rel);
      return name.endsWith(".md") ? [rel] : [];
    });
  return ["README.md", ...walk("docs")];
}

export function read(rel: string): string {
  return readFileSync(path.join(REPO, rel), "utf8");
}

export interface FencedLine {
  /** 1-based line number in the file. */
  line: number;
  text: string;
  /** The block's info string ("sh", "" when none). */
  lang: string;
}

/** The lines of every fenced code block (``` or ~~~), with their line numbers. */
export function fencedLines(markdown: string): FencedLine[] {
  const out: FencedLine[] = [];
  let fence: { marker: string; lang: string } | null = null;
  markdown.split("\n").forEach((text, i) => {
    const open = /^\s*(`{3,}|~{3,})\s*([\w-]*)/.exec(text);
    if (fence === null) {
      if (open) fence = { marker: open[1] ?? "```", lang: open[2] ?? "" };
      return;
    }
    if (open && text.trim().startsWith(fence.marker) && text.trim().replace(/[`~]/g, "") === "") {
      fence = null;
      return;
    }
    out.push({ line: i + 1, text, lang: fence.lang });
  });
  return out;
}

/**
 * GitHub's anchor of a heading: the text without Markdown code marks and links, lower case, every
 * character but letters, digits, spaces, `-` and `_` dropped, spaces turned into `-`.
 */
export function slug(heading: string): string {
  return heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a file's headings get, duplicates numbered as GitHub does (`x`, `x-1`, `x-2`). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const inCode = new Set(fencedLines(markdown).map((l) => l.line));
  markdown.split("\n").forEach((text, i) => {
    const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!h || inCode.has(i + 1)) return;
    const base = slug(h[1] ?? "");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  });
  return out;
}
