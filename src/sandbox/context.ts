import type { Store } from "./store.js";
import { invalidArgument } from "./errors.js";

/** What every API module gets: the state and the sandbox's settings. */
export interface SandboxContext {
  store: Store;
  /** How long a resource created `provisioning`/`pending` takes to become `ready`. */
  readyDelayMs: number;
  /** The sandbox's data folder: real parts behind resources (databases, dumps...) keep their files under it. */
  dataDir: string;
  /**
   * Registers work to run when the sandbox stops, after the HTTP server closed and before the state's
   * last flush (newest first): real processes behind resources (PostgreSQL, the app stand-ins) stop there.
   */
  onStop(fn: () => Promise<void>): void;
  /** Whether an API secret key opens the sandbox (X-Auth-Token): private containers accept the same keys (IAM, ContainersPrivateAccess). */
  acceptsKey?: (key: string) => boolean;
  /** The sandbox's base URL (`http://127.0.0.1:<port>`), set once its server listens: for URLs it hands out (downloads). */
  url: string;
}

export const REGIONS = ["fr-par", "nl-ams", "pl-waw", "it-mil"] as const;
export const ZONES = [
  "fr-par-1",
  "fr-par-2",
  "fr-par-3",
  "nl-ams-1",
  "nl-ams-2",
  "nl-ams-3",
  "pl-waw-1",
  "pl-waw-2",
  "pl-waw-3",
  "it-mil-1",
] as const;

export function checkRegion(region: string | undefined): string {
  if (!region || !(REGIONS as readonly string[]).includes(region)) {
    throw invalidArgument("region", "constraint", `unknown region ${JSON.stringify(region)}; one of: ${REGIONS.join(", ")}`);
  }
  return region;
}

export function checkZone(zone: string | undefined): string {
  if (!zone || !(ZONES as readonly string[]).includes(zone)) {
    throw invalidArgument("zone", "constraint", `unknown zone ${JSON.stringify(zone)}; one of: ${ZONES.join(", ")}`);
  }
  return zone;
}
