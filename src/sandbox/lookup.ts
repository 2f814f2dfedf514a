import { isUuid } from "./clock.js";
import { checkRegion } from "./context.js";

/**
 * The stored item an id names, else `missing()` thrown: an id that is no UUID, unknown, or whose
 * item is not `visible` (another region, deleted) is not found, as Scaleway answers it.
 */
export function findById<T>(
  get: (id: string) => T | undefined,
  id: string | undefined,
  missing: () => Error,
  visible: (item: T) => boolean = () => true,
): T {
  const item = id && isUuid(id) ? get(id) : undefined;
  if (item === undefined || !visible(item)) throw missing();
  return item;
}

/** findById for a regional resource: an unknown region is invalid_arguments first, then the item must be in it. */
export function findInRegion<T extends { region: string }>(
  get: (id: string) => T | undefined,
  region: string | undefined,
  id: string | undefined,
  missing: () => Error,
  visible: (item: T) => boolean = () => true,
): T {
  const r = checkRegion(region);
  return findById(get, id, missing, (item) => item.region === r && visible(item));
}
