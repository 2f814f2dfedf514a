// Bundles the CLI with esbuild: one file per lazily-loaded command instead of ~150 modules
// (ours and node_modules'), which cuts Node's start-up on every command (see bench/).
// Type checking stays with tsc (`npm run typecheck`, and `npm run build` runs both).
import { readFileSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

await build({
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist/cli",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  // Prefer the ESM builds of dependencies (the AWS SDK ships both): dynamic imports then keep
  // their named exports.
  mainFields: ["module", "main"],
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  chunkNames: "chunks/[name]-[hash]",
  define: { __EVALAP_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies (proper-lockfile, graceful-fs) call require(): give ESM output one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
