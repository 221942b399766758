#!/usr/bin/env node
// Generates format/types.generated.ts from schemas/formation.schema.json, the one source of truth
// for the formation format. `--check` exits 1 when the committed file is out of date.
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}format/types.generated.ts`;

export async function generate() {
  const schema = JSON.parse(await readFile(`${root}schemas/formation.schema.json`, "utf8"));
  // Each $def becomes a named, exported type; the root's `spec` is typed per kind in format/types.ts.
  const ts = await compile(schema, "Formation", {
    bannerComment: "/* Generated from schemas/formation.schema.json by scripts/gen-types.mjs: do not edit. Run `npm run gen:types`. */",
    additionalProperties: false,
    unreachableDefinitions: true,
    style: { printWidth: 120 },
    strictIndexSignatures: true,
  });
  return ts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const ts = await generate();
  if (process.argv.includes("--check")) {
    const current = await readFile(out, "utf8").catch(() => "");
    if (current !== ts) {
      console.error("format/types.generated.ts is out of date: run `npm run gen:types`");
      process.exit(1);
    }
  } else {
    await writeFile(out, ts);
    console.log(`wrote ${out}`);
  }
}
