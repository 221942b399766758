#!/usr/bin/env node
// The `formations` command: a thin shim over the compiled CLI (npm ci builds it via `prepare`).
const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V")) {
  // The one answer that needs no command tree: printed without loading the CLI (as commander prints it).
  const { VERSION } = await import("../dist/cli/version.js");
  process.stdout.write(`${VERSION}\n`);
} else {
  const { run } = await import("../dist/cli/main.js");
  process.exitCode = await run(argv);
}
