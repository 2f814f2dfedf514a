// Writes the generated references of docs/reference/ (`npm run docs`) from their sources: the
// command definitions and the config's zod schema (src/docs/reference.ts). The sources are
// TypeScript, so they are bundled first with esbuild into a temporary file; the commands' bodies
// (dynamic imports) stay out of the bundle: only the definitions are read, nothing runs.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const { version } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const tmp = mkdtempSync(path.join(tmpdir(), "evalap-infra-docs-"));
try {
  const outfile = path.join(tmp, "reference.mjs");
  await build({
    entryPoints: [path.join(root, "src/docs/reference.ts")],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
    // As scripts/bundle.mjs does (version.ts would look for package.json beside the temporary file).
    define: { __EVALAP_VERSION__: JSON.stringify(version) },
    // commander is CommonJS and calls require(): give the ESM output one (as scripts/bundle.mjs does).
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    plugins: [
      {
        name: "no-command-bodies",
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => (args.kind === "dynamic-import" ? { path: args.path, external: true } : undefined));
        },
      },
    ],
  });
  const { renderReferences } = await import(pathToFileURL(outfile).href);
  for (const [file, content] of Object.entries(renderReferences())) {
    const target = path.join(root, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    console.log(`wrote ${file}`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
