#!/usr/bin/env node
// The `formations` command: a thin shim over the compiled CLI (npm ci builds it via `prepare`).
import { run } from "../dist/cli/main.js";

process.exitCode = await run(process.argv.slice(2));
