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

export interface CompareOptions {
  /** A recorded null accepts any value of ours (the recording caught the resource before it settled). */
  nullAcceptsValue?: boolean;
  /**
   * Names of fields whose value is a free-form map (a Go `map[string]string`: annotations, labels,
   * headers): its keys are data, not field names, and differ from item to item. Such a map is compared
   * as an object whose values have the recorded values' types, not key by key.
   */
  freeFormMaps?: readonly string[];
}

type Named = { name: string } & { [key: string]: JsonValue };
const isNamed = (v: JsonValue): v is Named =>
  v !== null && typeof v === "object" && !Array.isArray(v) && typeof (v as { name?: unknown }).name === "string";

/**
 * Walks both answers together. Arrays: each of our elements is compared with the recorded element of the same
 * index, or the last recorded one when ours is longer (lists hold different items here and there, of one
 * shape); an empty array on either side compares no element, since the values (the items) may differ.
 * Arrays of named objects on both sides (catalogs: engines, their versions, their settings) are matched by
 * `name` instead, since such a list's items differ in shape and in order from one recording to another:
 * an element of ours with no recorded namesake is an item the recording does not hold and is not compared.
 */
export function compareShape(recorded: JsonValue, ours: JsonValue, options: CompareOptions = {}): ShapeComparison {
  const result: ShapeComparison = { compared: 0, mismatches: [], extras: [] };
  walk(recorded, ours, "$", result, options, new Set(options.freeFormMaps ?? []));
  return result;
}

function walk(
  recorded: JsonValue,
  ours: JsonValue,
  path: string,
  out: ShapeComparison,
  options: CompareOptions,
  maps: ReadonlySet<string>,
): void {
  const expected = kindOf(recorded);
  const actual = kindOf(ours);
  if (expected === "null" && options.nullAcceptsValue) return;
  if (expected !== actual) {
    out.mismatches.push({ path, kind: "type", expected, actual });
    return;
  }
  if (Array.isArray(recorded) && Array.isArray(ours)) {
    if (recorded.length === 0) return;
    if (recorded.every(isNamed) && ours.every(isNamed)) {
      ours.forEach((element, i) => {
        const namesake = recorded.find((r) => r.name === element.name);
        if (namesake === undefined) return;
        out.compared++;
        walk(namesake, element, `${path}[${i}]`, out, options, maps);
      });
      return;
    }
    ours.forEach((element, i) => {
      out.compared++;
      walk(recorded[Math.min(i, recorded.length - 1)]!, element, `${path}[${i}]`, out, options, maps);
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
      else walk(value, our[key]!, at, out, options, maps);
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
