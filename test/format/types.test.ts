/**
 * Test layer: unit (pure code; none of the five layers: no engine, no cloud, no browser).
 * The schema is the one source of truth: format/types.generated.ts must be exactly what
 * scripts/gen-types.mjs makes of it today. When this fails, run `npm run gen:types` and commit.
 */
import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";

interface GenTypes {
  generate(): Promise<string>;
}

describe("generated types", () => {
  it("format/types.generated.ts is what `npm run gen:types` produces from the schema", async () => {
    // A computed specifier: the script is plain .mjs without type declarations.
    const script = new URL("../../scripts/gen-types.mjs", import.meta.url).href;
    const { generate } = (await import(script)) as GenTypes;
    const fresh = await generate();
    const committed = await readFile(new URL("../../format/types.generated.ts", import.meta.url), "utf8");
    expect(fresh).toContain("do not edit");
    // Compare line by line so a failure shows the first differing line, not a 16 kB blob.
    expect(committed.split("\n"), "format/types.generated.ts is out of date: run `npm run gen:types`").toEqual(fresh.split("\n"));
  });
});
