// Bundles the CLI with esbuild: one file per lazily-loaded command instead of ~150 modules
// (ours and node_modules'), which cuts Node's start-up on every command (see bench/).
// Type checking stays with tsc (`npm run typecheck`, and `npm run build` runs both).
import { cpSync, readFileSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

/**
 * zod's classic API re-exports every locale (`z.locales`, ~300 KB of the 760 KB zod chunk every
 * command loads); messages are only ever English here (zod configures `en` itself), so the
 * locales module is replaced by one exporting `en` alone.
 */
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
      if (!/[\\/]zod[\\/]v4[\\/]/.test(args.importer)) return undefined;
      return { path: "zod-locales", namespace: "zod-en", pluginData: path.join(args.resolveDir, "..", "locales") };
    });
    b.onLoad({ filter: /.*/, namespace: "zod-en" }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      resolveDir: args.pluginData,
    }));
  },
};

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
  // Less text for V8 to scan and compile on every start (identifiers kept: stack traces stay readable).
  minifyWhitespace: true,
  minifySyntax: true,
  plugins: [zodEnglishOnly],
  logLevel: "warning",
  chunkNames: "chunks/[name]-[hash]",
  define: { __EVALAP_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies (proper-lockfile, graceful-fs) call require(): give ESM output one.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

// The EvalAP stand-in the sandbox starts behind each deployed container (src/sandbox/standin/): a
// program of its own, next to the CLI's bundle (dist/standin/main.js), where the sandbox finds it.
await build({
  entryPoints: ["src/sandbox/standin/main.ts"],
  outfile: "dist/standin/main.js",
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
  // pg's optional native binding is never used.
  external: ["pg-native"],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});

// The stand-in image's files (a fixture Alembic project, src/sandbox/standin/image/README.md), which
// the sandbox runs a container's own command in (the migration runner).
cpSync("src/sandbox/standin/image", "dist/standin/image", { recursive: true, filter: (src) => !src.includes("__pycache__") });
