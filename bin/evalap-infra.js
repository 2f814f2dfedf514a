#!/usr/bin/env node
// A closed pipe (`evalap-infra --help | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}
// Runtime warnings of dependencies (the AWS SDK's Node version notice) would break the
// one-object-per-line contract of --json and clutter human output: shown with EVALAP_DEBUG only.
process.removeAllListeners("warning");
process.on("warning", (warning) => {
  if (process.env.EVALAP_DEBUG) process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const { main } = await import("../dist/cli/main.js");
await main(process.argv);
