// Compares the shape of a JSON answer with the recorded one: field names and value types, never values.
// A field the recording has and ours lacks, or a type that differs (null vs string included), is a mismatch;
// a field only ours has is an extra, reported apart as a warning (the API may grow; the provider ignores it).

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonKind = "null" | "boolean" | "number" | "string" | "array" | "object";

export interface ShapeMismatch {
  /** JSONPath-like location, `$` is the answer itself: `$.versions[0].status`. */
  path: string;
  kind: "missing" | "type";
  expected: JsonKind;
  /** Our value's type (absent for a missing field). */
  actual?: JsonKind;
}

export interface ShapeComparison {
  /** Value nodes compared (object fields and array elements, the root excluded). */
  compared: number;
  mismatches: ShapeMismatch[];
  /** Paths of fields only our answer has. */
  extras: string[];
}

export function kindOf(value: JsonValue): JsonKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  switch (typeof value) {
    case "boolean":
      return "boolean";
    case "number":
      return "number";
    case "string":
      return "string";
    default:
      return "object";
  }
}

/**
 * Walks both answers together. Arrays: each of our elements is compared with the recorded element of the same
 * index, or the last recorded one when ours is longer (lists hold different items here and there, of one
 * shape); an empty array on either side compares no element, since the values (the items) may differ.
 */
export function compareShape(recorded: JsonValue, ours: JsonValue, options: ShapeOptions = {}): ShapeComparison {
  const result: ShapeComparison = { compared: 0, mismatches: [], extras: [] };
  walk(recorded, ours, "$", result, new Set(options.freeFormMaps ?? []));
  return result;
}

export interface ShapeOptions {
  /**
   * Names of fields whose value is a free-form map (a Go `map[string]string`: annotations, labels,
   * headers): its keys are data, not field names, and differ from item to item. Such a map is compared
   * as an object whose values have the recorded values' types, not key by key.
   */
  freeFormMaps?: readonly string[];
}

function walk(recorded: JsonValue, ours: JsonValue, path: string, out: ShapeComparison, maps: ReadonlySet<string>): void {
  const expected = kindOf(recorded);
  const actual = kindOf(ours);
  if (expected !== actual) {
    out.mismatches.push({ path, kind: "type", expected, actual });
    return;
  }
  if (Array.isArray(recorded) && Array.isArray(ours)) {
    if (recorded.length === 0) return;
    ours.forEach((element, i) => {
      out.compared++;
      walk(recorded[Math.min(i, recorded.length - 1)]!, element, `${path}[${i}]`, out, maps);
    });
    return;
  }
  if (expected === "object") {
    const rec = recorded as { [key: string]: JsonValue };
    const our = ours as { [key: string]: JsonValue };
    for (const [key, value] of Object.entries(rec)) {
      const at = `${path}.${key}`;
      if (!Object.hasOwn(our, key)) {
        out.mismatches.push({ path: at, kind: "missing", expected: kindOf(value) });
        continue;
      }
      out.compared++;
      if (maps.has(key)) compareMap(value, our[key]!, at, out);
      else walk(value, our[key]!, at, out, maps);
    }
    for (const key of Object.keys(our)) if (!Object.hasOwn(rec, key)) out.extras.push(`${path}.${key}`);
  }
}

/** A free-form map: an object on both sides, each of our values of a type among the recorded values' types. */
function compareMap(recorded: JsonValue, ours: JsonValue, path: string, out: ShapeComparison): void {
  const expected = kindOf(recorded);
  const actual = kindOf(ours);
  if (expected !== actual || expected !== "object") {
    if (expected !== actual) out.mismatches.push({ path, kind: "type", expected, actual });
    return;
  }
  const kinds = new Set(Object.values(recorded as { [key: string]: JsonValue }).map(kindOf));
  if (kinds.size === 0) return;
  for (const [key, value] of Object.entries(ours as { [key: string]: JsonValue })) {
    out.compared++;
    const kind = kindOf(value);
    if (!kinds.has(kind)) out.mismatches.push({ path: `${path}.${key}`, kind: "type", expected: [...kinds][0]!, actual: kind });
  }
}

/** The body parsed as JSON, or undefined when it is empty or not JSON. */
export function parseJson(body: string): JsonValue | undefined {
  if (body.trim() === "") return undefined;
  try {
    return JSON.parse(body) as JsonValue;
  } catch {
    return undefined;
  }
}
