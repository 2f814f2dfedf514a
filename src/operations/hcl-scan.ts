/**
 * Just enough reading of OpenTofu files for the preflight: top-level blocks with their labels and
 * the attributes of their bodies. Not a parser: comments, strings (with their interpolations) and
 * heredocs are blanked out so braces and `=` inside them count for nothing, then braces are counted.
 * Anything it cannot read leaves the preflight silent rather than wrong (tofu reports it).
 */

export interface Block {
  type: string;
  labels: string[];
  /** The body between the braces, as written. */
  body: string;
}

/** The text with comments, string contents and heredoc bodies replaced by spaces (newlines kept). */
export function mask(text: string): string {
  const out = text.split("");
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n") out[k] = " ";
  };
  // Stack of contexts: code (with its brace depth, to end an interpolation) or a string.
  const stack: Array<{ kind: "code"; depth: number } | { kind: "string" }> = [{ kind: "code", depth: 0 }];
  let i = 0;
  while (i < text.length) {
    const top = stack[stack.length - 1] ?? { kind: "code", depth: 0 };
    const ch = text[i] as string;
    const next = text[i + 1] ?? "";
    if (top.kind === "string") {
      if (ch === "\\") {
        blank(i, i + 2);
        i += 2;
      } else if ((ch === "$" || ch === "%") && next === "{") {
        blank(i, i + 2);
        stack.push({ kind: "code", depth: 0 });
        i += 2;
      } else if (ch === '"') {
        stack.pop();
        i += 1;
      } else {
        blank(i, i + 1);
        i += 1;
      }
      continue;
    }
    if (ch === "#" || (ch === "/" && next === "/")) {
      const end = text.indexOf("\n", i);
      const stop = end < 0 ? text.length : end;
      blank(i, stop);
      i = stop;
    } else if (ch === "/" && next === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? text.length : end + 2;
      blank(i, stop);
      i = stop;
    } else if (ch === '"') {
      stack.push({ kind: "string" });
      i += 1;
    } else if (ch === "<" && next === "<") {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(text.slice(i));
      if (!m) {
        i += 2;
        continue;
      }
      const start = i + m[0].length;
      const close = new RegExp(`^[ \\t]*${m[1]}[ \\t]*\\r?$`, "m").exec(text.slice(start));
      const stop = close ? start + close.index + close[0].length : text.length;
      blank(i, stop);
      i = stop;
    } else if (ch === "{") {
      top.depth += 1;
      i += 1;
    } else if (ch === "}") {
      if (top.depth === 0 && stack.length > 1) {
        blank(i, i + 1);
        stack.pop(); // end of an interpolation: back in its string
      } else top.depth -= 1;
      i += 1;
    } else i += 1;
  }
  return out.join("");
}

/** The top-level blocks of a text: `type "label" … {` at depth 0. */
export function topLevelBlocks(text: string): Block[] {
  const masked = mask(text);
  const blocks: Block[] = [];
  const header = /(^|\n)[ \t]*([A-Za-z_][A-Za-z0-9_-]*)((?:[ \t]+(?:"[^"\n]*"|[A-Za-z_][A-Za-z0-9_-]*))*)[ \t]*\{/g;
  let m: RegExpExecArray | null;
  while ((m = header.exec(masked)) !== null) {
    const open = m.index + m[0].length - 1;
    const close = matchingBrace(masked, open);
    if (close < 0) break;
    const type = m[2] as string;
    const labelsStart = m.index + m[0].indexOf(type, (m[1] ?? "").length) + type.length;
    blocks.push({ type, labels: labelsIn(text.slice(labelsStart, open)), body: text.slice(open + 1, close) });
    header.lastIndex = close + 1;
  }
  return blocks;
}

/** Attributes set directly in a body (not in its nested blocks or values), with their value as written on that line. */
export function attributes(body: string): Map<string, string> {
  const masked = mask(body);
  const found = new Map<string, string>();
  const re = /(^|\n)[ \t]*([A-Za-z_][A-Za-z0-9_-]*)[ \t]*=(?!=)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(masked)) !== null) {
    if (depthAt(masked, m.index + (m[1] ?? "").length) !== 0) continue;
    const valueStart = m.index + m[0].length;
    const lineEnd = masked.indexOf("\n", valueStart);
    found.set(m[2] as string, body.slice(valueStart, lineEnd < 0 ? body.length : lineEnd).trim());
  }
  return found;
}

/** A value written as one plain string (`"../modules/x"`), else null. */
export function plainString(value: string | undefined): string | null {
  const m = value === undefined ? null : /^"([^"\\$%]*)"$/.exec(value);
  return m ? (m[1] as string) : null;
}

function labelsIn(text: string): string[] {
  return [...text.matchAll(/"([^"\n]*)"|([A-Za-z_][A-Za-z0-9_-]*)/g)].map((l) => l[1] ?? l[2] ?? "");
}

function matchingBrace(masked: string, open: number): number {
  let depth = 0;
  for (let i = open; i < masked.length; i++) {
    if (masked[i] === "{") depth += 1;
    else if (masked[i] === "}") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Brace, bracket and parenthesis depth at a position of a masked text. */
function depthAt(masked: string, position: number): number {
  let depth = 0;
  for (let i = 0; i < position; i++) {
    const c = masked[i];
    if (c === "{" || c === "[" || c === "(") depth += 1;
    else if (c === "}" || c === "]" || c === ")") depth -= 1;
  }
  return depth;
}
