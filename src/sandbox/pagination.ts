import { invalidArgument, invalidArguments, type ArgumentDetail } from "./errors.js";

export interface Page<T> {
  items: T[];
  total: number;
}

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 100;

function positiveInt(query: URLSearchParams, name: string, fallback: number, max: number, details: ArgumentDetail[]): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) {
    details.push({ argument_name: name, reason: "constraint", help_message: `must be an integer between 1 and ${max}` });
    return fallback;
  }
  return n;
}

/**
 * Scaleway's list semantics: `page` (from 1) and `page_size` (1..100) in the query, `order_by` among
 * the fields the API names (`created_at_asc`...), and `total_count` counting every match, not the page.
 */
export function paginate<T>(
  query: URLSearchParams,
  items: T[],
  orders: Record<string, (a: T, b: T) => number>,
  defaultOrder: string,
): Page<T> {
  const details: ArgumentDetail[] = [];
  const page = positiveInt(query, "page", 1, Number.MAX_SAFE_INTEGER, details);
  const size = positiveInt(query, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, details);
  if (details.length > 0) throw invalidArguments(details);
  const orderBy = query.get("order_by") ?? defaultOrder;
  const compare = orders[orderBy];
  if (!compare) throw invalidArgument("order_by", "constraint", `must be one of: ${Object.keys(orders).join(", ")}`);
  const sorted = [...items].sort(compare);
  return { items: sorted.slice((page - 1) * size, page * size), total: sorted.length };
}

/** Ascending and descending comparators on one string field (timestamps in RFC 3339 sort as strings). */
export function byField<T>(field: (t: T) => string): { asc: (a: T, b: T) => number; desc: (a: T, b: T) => number } {
  // Plain code-unit order, not localeCompare: the same on every machine.
  const asc = (a: T, b: T) => (field(a) < field(b) ? -1 : field(a) > field(b) ? 1 : 0);
  return { asc, desc: (a, b) => -asc(a, b) };
}

/**
 * The `<field>_asc`/`<field>_desc` orders of a list, in the given fields' order (the order an
 * unknown `order_by` error lists them in): what most List calls accept.
 */
export function ordersBy<T>(fields: Record<string, (t: T) => string>): Record<string, (a: T, b: T) => number> {
  return Object.fromEntries(
    Object.entries(fields).flatMap(([name, field]) => {
      const { asc, desc } = byField(field);
      return [
        [`${name}_asc`, asc],
        [`${name}_desc`, desc],
      ];
    }),
  );
}

/**
 * A List call's equality filters: an item passes when, for each field the query gives, its value is
 * the query's (`?project_id=...&name=...`); a field the query leaves out filters nothing.
 */
export function sameAsQuery<T>(query: URLSearchParams, ...fields: (keyof T & string)[]): (item: T) => boolean {
  return (item) => fields.every((f) => !query.get(f) || item[f] === query.get(f));
}
