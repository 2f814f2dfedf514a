import type { PathPart } from "./plan-summary.js";

/**
 * What the CLI reads of `tofu providers schema -json` (its format 1.0: provider_schemas →
 * resource_schemas → block, with attributes and nested block_types): which attributes the
 * provider alone sets. Used by `drift` to tell a change someone made from a value the provider
 * computes (a database's size, a secret's version count).
 */
export interface SchemaBlock {
  attributes?: Record<string, { computed?: boolean; optional?: boolean; required?: boolean }>;
  block_types?: Record<string, { block?: SchemaBlock }>;
}

export interface ProvidersSchemaJson {
  provider_schemas?: Record<string, { resource_schemas?: Record<string, { block?: SchemaBlock }> }>;
}

/** Resource type → its schema block, over every provider of the root. */
export type ResourceSchemas = Map<string, SchemaBlock>;

export function resourceSchemas(json: ProvidersSchemaJson): ResourceSchemas {
  const out: ResourceSchemas = new Map();
  for (const provider of Object.values(json.provider_schemas ?? {}))
    for (const [type, schema] of Object.entries(provider.resource_schemas ?? {})) if (schema.block) out.set(type, schema.block);
  return out;
}

/**
 * Whether the attribute at `path` (as attributeDiff walks it: names, list indexes, map keys) is
 * computed only: the configuration cannot set it, so its change is the provider's, not drift.
 * An attribute the schema does not know is not (it is reported).
 */
export function isComputedOnly(schemas: ResourceSchemas, resourceType: string, path: readonly PathPart[]): boolean {
  let block = schemas.get(resourceType);
  for (const part of path) {
    if (block === undefined) return false;
    if (typeof part === "number") continue;
    const attribute = block.attributes?.[part];
    if (attribute) return attribute.computed === true && attribute.optional !== true && attribute.required !== true;
    block = block.block_types?.[part]?.block;
  }
  return false;
}

/**
 * An unset value and the type's zero value ("" 0 false [] {}): SDKv2 providers read an unset
 * optional attribute back as its zero value, a difference no plan acts on.
 */
export function isNullZeroPair(before: unknown, after: unknown): boolean {
  const unset = (v: unknown) => v === null || v === undefined;
  const zero = (v: unknown) =>
    v === "" ||
    v === 0 ||
    v === false ||
    (Array.isArray(v) && v.length === 0) ||
    (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
  return (unset(before) && zero(after)) || (zero(before) && unset(after));
}
