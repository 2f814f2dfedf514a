import { readFileSync } from "node:fs";

/** Set by scripts/bundle.mjs; absent when the sources run directly (tests). */
declare const __EVALAP_VERSION__: string | undefined;

/** The package version: inlined in the bundle, read from package.json (src/cli -> ../..) otherwise. */
export const VERSION: string =
  typeof __EVALAP_VERSION__ === "string"
    ? __EVALAP_VERSION__
    : (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
