/**
 * Import rules of src/ (`npm run check:cycles`). Type-only imports count: a cycle through types
 * still ties the modules together.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "an import cycle: move what both sides need (shared types, helpers) to src/core or to the lower module",
      from: {},
      to: { circular: true },
    },
    {
      name: "core-is-a-leaf",
      severity: "error",
      comment: "src/core holds what every module shares (errors, exit codes, shared types, sleep): it imports nothing else of src",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    {
      name: "events-and-retry-below-lock",
      severity: "error",
      comment: "lock uses events and retry; a type they need from lock (LockHolder) belongs in src/core/types.ts",
      from: { path: "^src/(events|retry)/" },
      to: { path: "^src/lock/" },
    },
  ],
  options: {
    includeOnly: "^src/",
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
