import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Spawned CLIs must not inherit GitHub Actions' variables (they choose the reporter).
    setupFiles: ["test/setup/ci-env.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Integration tests run real tofu processes; two cores are all CI has.
    maxWorkers: 2,
  },
});
