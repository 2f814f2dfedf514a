// Type-aware lint (typescript-eslint with the type checker): catches what tsc does not, above all
// promises nobody awaits (an unhandled rejection once turned CI red) and misused async callbacks.
// Formatting is Prettier's job, not ESLint's.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "reports/", "coverage/", "bench/", "scripts/", "bin/", "infra/", "eslint.config.js"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports", disallowTypeAnnotations: false }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // An async function that awaits nothing is how an interface's Promise is met; not a bug.
      "@typescript-eslint/require-await": "off",
      // Stripping ANSI escapes from tofu's and our output needs \x1b in a regular expression.
      "no-control-regex": "off",
      // chalk styles and the AWS SDK's clients are function-valued properties typed as methods.
      "@typescript-eslint/unbound-method": "off",
    },
  },
  {
    // vitest's asymmetric matchers (expect.any, expect.objectContaining...) are typed `any`.
    files: ["test/**/*.ts"],
    rules: { "@typescript-eslint/no-unsafe-assignment": "off" },
  },
);
