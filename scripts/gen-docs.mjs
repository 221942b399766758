#!/usr/bin/env node
// Generates docs/format.md, the format reference, from schemas/formation.schema.json (its titles,
// descriptions, types, defaults, enums and bounds): the schema stays the one source of truth and
// the reference cannot drift from it. `--check` exits 1 when the committed file is out of date
// (CI runs it beside `gen-types --check`).
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}docs/format.md`;

const refName = (ref) => ref.replace("#/$defs/", "");
const anchor = (name) => name.toLowerCase();
const cell = (s) => String(s).replace(/\|/g, "\\|").replace(/\n+/g, " ");
const code = (v) => `\`${typeof v === "string" && v !== "" ? v : JSON.stringify(v)}\``;

/** A property's type, linking to its definition. */
function typeOf(p, defs) {
  if (p.$ref) return `[${defs[refName(p.$ref)]?.title ?? refName(p.$ref)}](#${anchor(refName(p.$ref))})`;
  if (p.const !== undefined) return code(p.const);
  if (p.enum) return p.enum.map(code).join(" \\| ");
  if (p.oneOf || p.anyOf) return (p.oneOf ?? p.anyOf).map((x) => typeOf(x, defs)).join(" or ");
  if (p.type === "array") return `list of ${p.items ? typeOf(p.items, defs) : "values"}`;
  if (p.type === "object" && p.additionalProperties && typeof p.additionalProperties === "object") return `map of ${typeOf(p.additionalProperties, defs)}`;
  return Array.isArray(p.type) ? p.type.join(" \\| ") : (p.type ?? "any");
}

/** Bounds and patterns worth knowing, in words. */
function limits(p) {
  const out = [];
  if (p.minimum !== undefined && p.maximum !== undefined) out.push(`${p.minimum} to ${p.maximum}`);
  else if (p.minimum !== undefined) out.push(`at least ${p.minimum}`);
  else if (p.maximum !== undefined) out.push(`at most ${p.maximum}`);
  if (p.minLength !== undefined && p.maxLength !== undefined) out.push(`${p.minLength} to ${p.maxLength} characters`);
  else if (p.maxLength !== undefined) out.push(`at most ${p.maxLength} characters`);
  if (p.minItems !== undefined || p.maxItems !== undefined) out.push(`${p.minItems ?? 0} to ${p.maxItems ?? "any number of"} items`);
  if (p.uniqueItems) out.push("no duplicates");
  if (p.patternErrorMessage) out.push(p.patternErrorMessage);
  return out.join("; ");
}

/** One table of an object's properties (nested inline objects get their own rows, dotted). */
function rows(obj, defs, prefix = "") {
  const req = new Set(obj.required ?? []);
  const out = [];
  for (const [name, p] of Object.entries(obj.properties ?? {})) {
    const key = `${prefix}${name}`;
    const def = p.default !== undefined ? code(p.default) : "";
    const desc = [p.description ?? (p.$ref ? defs[refName(p.$ref)]?.description : "") ?? "", limits(p)].filter(Boolean).join(" ");
    out.push(`| \`${key}\` | ${typeOf(p, defs)} | ${req.has(name) ? "yes" : ""} | ${cell(def)} | ${cell(desc)} |`);
    if (p.type === "object" && p.properties && !p.$ref) out.push(...rows(p, defs, `${key}.`));
    if (p.type === "array" && p.items?.type === "object" && p.items.properties) out.push(...rows(p.items, defs, `${key}[].`));
  }
  return out;
}

function table(obj, defs) {
  const r = rows(obj, defs);
  return r.length ? ["| field | type | required | default | description |", "|---|---|---|---|---|", ...r].join("\n") : "";
}

export async function generate() {
  const schema = JSON.parse(await readFile(`${root}schemas/formation.schema.json`, "utf8"));
  const defs = schema.$defs;
  const kinds = (schema.allOf ?? []).map((c) => [c.if?.properties?.kind?.const, c.then?.properties?.spec?.$ref]).filter(([k, r]) => k && r);
  const parts = [
    "<!-- Generated from schemas/formation.schema.json by scripts/gen-docs.mjs: do not edit. Run `npm run gen:docs`. -->",
    "",
    `# The formation format (\`apiVersion: formations/v1\`)`,
    "",
    schema.description,
    "",
    "Every field below comes from the JSON Schema in `schemas/formation.schema.json` (point your editor at it",
    "with `# yaml-language-server: $schema=...` for completion). `formations validate` checks a file against it",
    "and a few rules the schema cannot say (SSH keys, CIDRs, what each provider accepts), each error located",
    "at its line and column. Examples for every kind and provider are in `formations/`.",
    "",
    "## Top level",
    "",
    table(schema, defs),
    "",
    "## `spec`, by kind",
    "",
    "| kind | spec |",
    "|---|---|",
    ...kinds.map(([k, r]) => `| \`${k}\` | [${defs[refName(r)].title ?? refName(r)}](#${anchor(refName(r))}) |`),
    "",
  ];
  for (const [name, d] of Object.entries(defs)) {
    parts.push(`<a id="${anchor(name)}"></a>`, "", `## ${d.title ?? name}`, "", d.description ?? "", "");
    if (d.type === "object" && d.properties) parts.push(table(d, defs), "");
    else {
      const l = limits(d);
      const shape = d.additionalProperties && typeof d.additionalProperties === "object" ? `map of ${typeOf(d.additionalProperties, defs)}` : typeOf(d, defs);
      parts.push(`Type: ${shape}${l ? ` (${l})` : ""}.`, "");
    }
  }
  return `${parts
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const md = await generate();
  if (process.argv.includes("--check")) {
    const current = await readFile(out, "utf8").catch(() => "");
    if (current !== md) {
      console.error("docs/format.md is out of date: run `npm run gen:docs`");
      process.exit(1);
    }
  } else {
    await writeFile(out, md);
    console.log(`wrote ${out}`);
  }
}
