/**
 * Tests run the CLI as a user would in a terminal or a plain CI: under GitHub Actions (GITHUB_ACTIONS=true
 * in the environment every test inherits), each spawned CLI would pick the GitHub reporter and the
 * tests reading human output would see workflow commands instead. The tests of that reporter set
 * these variables themselves.
 */
for (const name of ["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"]) delete process.env[name];
