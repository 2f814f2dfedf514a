import { z } from "zod";

/**
 * Helps a person fix evalap-infra.json: where a JSON syntax error is (line, column, the line with a
 * caret), and which known field a typo'd one probably meant.
 */

export interface JsonLocation {
  line: number;
  column: number;
  /** The offending line and a caret under the column, indented for a message. */
  excerpt: string;
}

/** V8 says "… in JSON at position 42" (Node 20), with " (line 3 column 5)" on newer versions. */
const POSITION = / in JSON at position (\d+)(?: \(line \d+ column \d+\))?/;

/** The reason without V8's character position, and where it points (the end of the text when it ran out). */
export function locateJsonError(text: string, message: string): { reason: string; location: JsonLocation } {
  const m = POSITION.exec(message);
  const reason = message.replace(POSITION, "");
  const position = m?.[1] !== undefined ? Number(m[1]) : endOfContent(text);
  return { reason, location: locationOf(text, Math.min(position, text.length)) };
}

function endOfContent(text: string): number {
  return text.trimEnd().length;
}

export function locationOf(text: string, position: number): JsonLocation {
  const before = text.slice(0, position);
  const lines = before.split("\n");
  const line = lines.length;
  const column = (lines.at(-1) ?? "").length + 1;
  const source = (text.split("\n")[line - 1] ?? "").replace(/\r$/, "");
  // Tabs keep their width under the caret; long lines are cut around the column.
  const start = source.length > 120 ? Math.max(0, column - 60) : 0;
  const shown = source.slice(start, start + 120);
  const pad = shown.slice(0, column - 1 - start).replace(/[^\t]/g, " ");
  const gutter = String(line);
  const excerpt = `    ${gutter} | ${shown}\n    ${" ".repeat(gutter.length)} | ${pad}^`;
  return { line, column, excerpt };
}

/** Levenshtein distance with adjacent transpositions (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      let best = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = best;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known key closest to `key`, when it is close enough to be a typo of it (half its letters at most). */
export function closestKey(key: string, known: readonly string[]): string | null {
  let best: { key: string; distance: number } | null = null;
  for (const k of known) {
    const distance = editDistance(key.toLowerCase(), k.toLowerCase());
    if (best === null || distance < best.distance) best = { key: k, distance };
  }
  if (best === null) return null;
  return best.distance <= Math.max(1, Math.floor(Math.max(key.length, best.key.length) / 2)) ? best.key : null;
}

/** The fields a strict object of the schema accepts at `path` (record keys are any name); [] when unknown. */
export function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (node instanceof z.ZodObject) node = unwrap(node.shape[String(part)] as z.ZodType | undefined);
    else if (node instanceof z.ZodRecord) node = unwrap(node.valueType as z.ZodType);
    else if (node instanceof z.ZodArray) node = unwrap(node.element as z.ZodType);
    else return [];
  }
  return node instanceof z.ZodObject ? Object.keys(node.shape) : [];
}

/** Through optional, default, prefault and transform wrappers, to the object or record inside. */
function unwrap(schema: z.ZodType | undefined): z.ZodType | undefined {
  let node = schema;
  for (let i = 0; node && i < 10; i++) {
    if (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodPrefault || node instanceof z.ZodNullable) {
      node = node.unwrap() as z.ZodType;
    } else if (node instanceof z.ZodPipe) node = node.in as z.ZodType;
    else return node;
  }
  return node;
}

/**
 * Where the member at `target` (`["environments", "staging", "root"]`) is in a JSON text that
 * parses: its key, or its value for an array element. When the path goes further than the text (a
 * missing field), the deepest part that exists; the start of the text when none does.
 */
export function locateJsonPath(text: string, target: readonly PropertyKey[]): JsonLocation {
  let i = 0;
  let found = 0;
  const space = (): void => {
    while (i < text.length && /\s/.test(text.charAt(i))) i++;
  };
  const string = (): string => {
    const start = i++;
    while (i < text.length && text.charAt(i) !== '"') i += text.charAt(i) === "\\" ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  // Each member is visited once; the deepest member on the path wins (the last of duplicate keys, as JSON.parse).
  const value = (depth: number, onPath: boolean): void => {
    space();
    const open = text.charAt(i);
    if (open === "{" || open === "[") {
      const close = open === "{" ? "}" : "]";
      i++;
      space();
      for (let index = 0; text.charAt(i) !== close && i < text.length; index++) {
        space();
        const at = i;
        const name = open === "{" ? string() : String(index);
        if (open === "{") {
          space();
          i++; // the colon
        }
        const match = onPath && depth < target.length && String(target[depth]) === name;
        if (match) found = at;
        value(depth + 1, match);
        space();
        if (text.charAt(i) === ",") i++;
        space();
      }
      i++;
    } else if (open === '"') {
      string();
    } else {
      while (i < text.length && !/[\s,\]}]/.test(text.charAt(i))) i++;
    }
  };
  value(0, true);
  return locationOf(text, found);
}
