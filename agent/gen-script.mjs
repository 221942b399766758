#!/usr/bin/env node
// Embeds agent/idle-agent.sh in agent/idle-agent.script.generated.ts, so that the compiled
// package carries the exact script (tsc copies no .sh files to dist/). `--check` exits 1 when the
// committed file is out of date; a test does the same check.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const out = `${dir}idle-agent.script.generated.ts`;

export async function generate() {
  const sh = await readFile(`${dir}idle-agent.sh`, "utf8");
  return `// Generated from agent/idle-agent.sh by agent/gen-script.mjs: do not edit. Run \`node agent/gen-script.mjs\`.\n/** The idle agent's POSIX sh script, byte for byte. */\nexport const IDLE_AGENT_SH: string = ${JSON.stringify(sh)};\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ts = await generate();
  if (process.argv.includes("--check")) {
    const current = await readFile(out, "utf8").catch(() => "");
    if (current !== ts) {
      console.error("agent/idle-agent.script.generated.ts is out of date: run `node agent/gen-script.mjs`");
      process.exit(1);
    }
  } else {
    await writeFile(out, ts);
  }
}
