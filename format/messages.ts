import { closest, distance } from "fastest-levenshtein";
import type { ErrorObject } from "./validator.js";
import { secretKey, type Diagnostic } from "./diagnostics.js";
import { joinPointer, pointerSegments, locate, type Target } from "./locate.js";
import type { ParsedSource } from "./source.js";

type Schema = Record<string, unknown>;

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** JSON for messages; never throws (the loader refuses cycles, but a message must not crash). */
function json(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return kindOf(value);
  }
}

function showValue(value: unknown): string {
  // Control characters are escaped so one diagnostic stays one line (a pasted block scalar has
  // newlines); invisible format characters too, so a right-to-left override cannot reorder it.
  const text =
    typeof value === "string" ? value.replace(/[\p{Cc}\p{Cf}]/gu, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : undefined;
  // JSON has no Infinity or NaN (it would say null): show them as YAML writes them.
  const s = text !== undefined ? `'${text}'` : typeof value === "number" && !Number.isFinite(value) ? yamlNumber(value) : json(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A pasted private key must never be echoed back (logs, CI output): it is a credential. */
const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File/;

/** `.inf`, `-.inf`, `.nan`: how YAML spells the numbers JSON cannot. */
function yamlNumber(n: number): string {
  return Number.isNaN(n) ? ".nan" : n > 0 ? ".inf" : "-.inf";
}

function kindOf(value: unknown): string {
  if (value === null) return "empty";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "number" && !Number.isFinite(value)) return Number.isNaN(value) ? "NaN (.nan, not a number)" : `infinity (${yamlNumber(value)})`;
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a fraction";
  return `a ${typeof value}`;
}

const typeWords: Record<string, string> = {
  object: "a mapping (key: value lines)",
  array: "a list",
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
};

/** `did you mean 'x'?` when a close candidate exists: same letters in another case, or a typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const lower = word.toLowerCase();
  const exact = candidates.find((c) => c.toLowerCase() === lower);
  if (exact) return exact;
  const best = closest(
    lower,
    candidates.map((c) => c.toLowerCase()),
  );
  const i = candidates.findIndex((c) => c.toLowerCase() === best);
  return distance(lower, best) <= Math.max(2, Math.floor(word.length / 3)) ? candidates[i] : undefined;
}

function field(pointer: string): string {
  const segs = pointerSegments(pointer);
  const last = segs[segs.length - 1];
  return last === undefined ? "the document" : /^\d+$/.test(last) ? `item ${Number(last) + 1} of '${segs[segs.length - 2] ?? ""}'` : `'${last}'`;
}

const MISSING_HINTS: Record<string, string> = {
  apiVersion: "start the file with 'apiVersion: formations/v1'",
  kind: "add 'kind:' with one of Machine, Docker, Pool, VirtualLab, EMRCluster, HPCCluster",
  metadata: "add 'metadata:' with at least 'name:'",
  cloud: "add 'cloud:' with at least 'provider:' (aws, azure, gcp, openstack, ovh or docker)",
  spec: "add 'spec:' describing what to launch (see formations/<provider>/<kind>.yaml for examples)",
  region: "clouds need a region, e.g. 'eu-west-1' (aws), 'westeurope' (azure), 'europe-west1' (gcp), 'RegionOne' (openstack), 'GRA11' (ovh)",
  project: "gcp needs the project id to launch in, e.g. 'my-lab-project'",
  machine: "add 'machine: { size: small }' (or any machine block)",
};

/** Words other tools use for our keys: Azure says location, Kubernetes says replicas. */
const KEY_ALIASES: Record<string, string> = { location: "region", replicas: "count", instances: "count", type: "instanceType", disk: "diskGb" };

interface Rendered {
  pointer: string;
  target: Target;
  message: string;
  hint?: string;
}

function render(e: ErrorObject): Rendered | undefined {
  const parent = (e.parentSchema ?? {}) as Schema;
  // A value under a key that looks like a credential (an env var `DB_PASSWORD`) is never echoed.
  const hidden = secretKey(pointerSegments(e.instancePath).at(-1) ?? "");
  const show = (v: unknown) => (hidden ? "the value" : showValue(v));
  const custom = typeof parent.errorMessage === "string" ? parent.errorMessage : undefined;
  const p = e.params as Record<string, unknown>;
  // propertyNames problems are reported on the offending key itself.
  const propertyName = (e as ErrorObject & { propertyName?: string }).propertyName;
  if (propertyName !== undefined) {
    const pointer = joinPointer(e.instancePath, propertyName);
    if (e.keyword === "maxLength")
      return {
        pointer,
        target: "key",
        message: `key ${showValue(propertyName)} is too long: at most ${String(p.limit)} characters (it has ${propertyName.length})`,
      };
    const why = e.keyword === "pattern" && typeof parent.patternErrorMessage === "string" ? parent.patternErrorMessage : (e.message ?? "is not allowed");
    return { pointer, target: "key", message: `key ${showValue(propertyName)}: ${why}` };
  }
  switch (e.keyword) {
    case "required": {
      const key = String(p.missingProperty);
      const hint = MISSING_HINTS[key];
      return { pointer: e.instancePath, target: "container", message: `missing required key '${key}'`, ...(hint ? { hint } : {}) };
    }
    case "additionalProperties": {
      const key = String(p.additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as Schema);
      const near = (allowed.includes(KEY_ALIASES[key] ?? "") ? KEY_ALIASES[key] : undefined) ?? suggest(key, allowed);
      const hint =
        key === "<<"
          ? "YAML merge keys are not supported (YAML 1.2): use an alias of the whole block, or write the keys out"
          : near
            ? `did you mean '${near}'?`
            : allowed.length
              ? `allowed keys here: ${allowed.join(", ")}`
              : undefined;
      return { pointer: joinPointer(e.instancePath, key), target: "key", message: `unknown key ${showValue(key)}`, ...(hint ? { hint } : {}) };
    }
    case "enum": {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const near = typeof e.data === "string" ? suggest(e.data, allowed) : undefined;
      // A look-alike letter (Cyrillic 'о' in 'Pool') reads as the right word: name it.
      const odd = typeof e.data === "string" && !hidden ? /[^\x20-\x7e]/u.exec(e.data)?.[0] : undefined;
      const oddNote = odd ? ` (it holds U+${odd.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}, which is not ASCII)` : "";
      return {
        pointer: e.instancePath,
        target: "value",
        message: `${show(e.data)} is not a valid value for ${field(e.instancePath)}${oddNote}`,
        hint: `${near ? `did you mean '${near}'? ` : ""}allowed values: ${allowed.join(", ")}`,
      };
    }
    case "const":
      return { pointer: e.instancePath, target: "value", message: `${field(e.instancePath)} must be ${showValue(p.allowedValue)}, not ${show(e.data)}` };
    case "type": {
      const want = String(p.type)
        .split(",")
        .map((t) => typeWords[t] ?? t)
        .join(" or ");
      let hint: string | undefined;
      if (p.type === "boolean" && typeof e.data === "string") hint = "write true or false (YAML 1.2: yes/no/on/off are strings)";
      else if ((p.type === "integer" || p.type === "number") && typeof e.data === "string") hint = "write a plain number without units or quotes, e.g. 30";
      else if (p.type === "string" && (typeof e.data === "number" || typeof e.data === "boolean")) hint = hidden ? "quote it" : `quote it: '${String(e.data)}'`;
      else if (e.data === null) hint = "give it a value, or remove the key";
      return {
        pointer: e.instancePath,
        target: "value",
        message: `${field(e.instancePath)} must be ${want}, not ${kindOf(e.data)}`,
        ...(hint ? { hint } : {}),
      };
    }
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
    case "exclusiveMaximum": {
      const lo = parent.minimum ?? parent.exclusiveMinimum;
      const hi = parent.maximum ?? parent.exclusiveMaximum;
      const range =
        lo !== undefined && hi !== undefined
          ? `between ${String(lo)} and ${String(hi)}`
          : `${e.keyword.includes("in") ? "at least" : "at most"} ${String(p.limit)}`;
      return { pointer: e.instancePath, target: "value", message: `${field(e.instancePath)} is ${show(e.data)}: must be ${range}` };
    }
    case "multipleOf":
      return { pointer: e.instancePath, target: "value", message: `${field(e.instancePath)} must be a multiple of ${String(p.multipleOf)}` };
    case "minLength":
      return { pointer: e.instancePath, target: "value", message: `${field(e.instancePath)} must not be empty` };
    case "maxLength":
      return {
        pointer: e.instancePath,
        target: "value",
        message: `${field(e.instancePath)} is too long: at most ${String(p.limit)} characters (it has ${String((e.data as string).length)})`,
      };
    case "pattern":
      if (typeof e.data === "string" && PRIVATE_KEY.test(e.data)) {
        return {
          pointer: e.instancePath,
          target: "value",
          message: `${field(e.instancePath)} is a PRIVATE key: never put a private key in a formation`,
          hint: "paste the public key instead (the .pub file, e.g. ~/.ssh/id_ed25519.pub); if this file was shared, make a new key pair",
        };
      }
      return {
        pointer: e.instancePath,
        target: "value",
        message: `${show(e.data)} is not valid for ${field(e.instancePath)}: ${typeof parent.patternErrorMessage === "string" ? parent.patternErrorMessage : `must match ${String(p.pattern)}`}`,
      };
    case "minItems":
      return {
        pointer: e.instancePath,
        target: "value",
        message: `${field(e.instancePath)} needs at least ${String(p.limit)} item${p.limit === 1 ? "" : "s"}`,
      };
    case "maxItems":
      return { pointer: e.instancePath, target: "value", message: `${field(e.instancePath)} has too many items: at most ${String(p.limit)}` };
    case "uniqueItems": {
      // Point at the repeat (the later item), not at the first occurrence the user meant to keep.
      const [first, again] = [Number(p.i), Number(p.j)].sort((a, b) => a - b) as [number, number];
      return {
        pointer: joinPointer(e.instancePath, again),
        target: "value",
        message: `${field(e.instancePath)} lists the same value twice (items ${first + 1} and ${again + 1})`,
        hint: "remove the repeated item",
      };
    }
    case "minProperties": {
      // An empty block (`pricing: {}`) says nothing: name what it may hold.
      const allowed = Object.keys((parent.properties ?? {}) as Schema);
      return {
        pointer: e.instancePath,
        target: "value",
        message: `${field(e.instancePath)} is empty: set at least ${String(p.limit)} of its keys, or remove it`,
        ...(allowed.length ? { hint: `its keys: ${allowed.join(", ")}` } : {}),
      };
    }
    case "maxProperties":
      return { pointer: e.instancePath, target: "container", message: `${field(e.instancePath)} has too many entries: at most ${String(p.limit)}` };
    case "not": {
      // `not: {required: [a, b]}` forbids a key (or a combination): point at the last one present.
      const keys = ((parent.not as Schema | undefined)?.required as string[] | undefined) ?? [];
      // `required` holds vacuously on a non-mapping, so `not: {required}` fails there: the type error says it all.
      if (keys.length > 0 && (typeof e.data !== "object" || e.data === null || Array.isArray(e.data))) return undefined;
      const data = (e.data ?? {}) as Record<string, unknown>;
      const present = keys.filter((k) => k in data);
      const key = present[present.length - 1];
      return {
        pointer: key ? joinPointer(e.instancePath, key) : e.instancePath,
        target: key ? "key" : "value",
        message: custom ?? `${field(e.instancePath)} is not allowed here`,
      };
    }
    case "anyOf":
    case "oneOf":
      return { pointer: e.instancePath, target: "container", message: custom ?? `${field(e.instancePath)} does not match any allowed form` };
    case "if":
    case "propertyNames":
      return undefined; // the branch's own errors say what is wrong
    default:
      return { pointer: e.instancePath, target: "value", message: `${field(e.instancePath)} ${e.message ?? "is invalid"}` };
  }
}

/**
 * Some patterns repeat the length limit (`[a-z0-9-]{0,38}`); when the value fails only on length,
 * the length error says it better, and a second error for the same mistake is noise.
 */
function lengthOnly(e: ErrorObject): boolean {
  const value = (e as ErrorObject & { propertyName?: string }).propertyName ?? e.data;
  const pattern = (e.params as { pattern?: unknown }).pattern;
  if (typeof value !== "string" || typeof pattern !== "string") return false;
  return new RegExp(pattern.replace(/\{\d*,?\d*\}/g, "*"), "u").test(value);
}

/**
 * Turns Ajv's raw errors into one located diagnostic per root cause. Errors inside an `anyOf`
 * that carries its own errorMessage are folded into that message (no cascade from branches).
 */
export function diagnosticsFromAjv(src: ParsedSource, errors: readonly ErrorObject[]): Diagnostic[] {
  // One prefix per schema place, not per failing item: a list of 10,000 items failing the same
  // anyOf gave 10,000 prefixes, each tested against every error (quadratic).
  const folded = [
    ...new Set(
      errors
        .filter((e) => (e.keyword === "anyOf" || e.keyword === "oneOf") && typeof (e.parentSchema as Schema | undefined)?.errorMessage === "string")
        .map((e) => `${e.schemaPath}/`),
    ),
  ];
  const place = (e: ErrorObject) => `${e.instancePath}\u0000${(e as ErrorObject & { propertyName?: string }).propertyName ?? ""}`;
  const tooLongOrShort = new Set(errors.filter((e) => e.keyword === "maxLength" || e.keyword === "minLength").map(place));
  const out: Diagnostic[] = [];
  for (const e of errors) {
    if (folded.some((prefix) => e.schemaPath.startsWith(prefix))) continue;
    if (e.keyword === "pattern" && tooLongOrShort.has(place(e)) && lengthOnly(e)) continue;
    const r = render(e);
    if (!r) continue;
    const { line, col } = locate(src, r.pointer, r.target);
    out.push({ file: src.file, line, col, pointer: r.pointer, message: r.message, ...(r.hint ? { hint: r.hint } : {}) });
  }
  return out;
}
