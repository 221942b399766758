/**
 * Formations are plain data: string keys, each once per mapping, no language-specific tags and
 * no cycles. These checks run on the parsed YAML document, before it becomes JavaScript values,
 * so each problem is reported at its place instead of turning into odd data later.
 */
import { isAlias, isScalar, visit, type Document, type Node } from "yaml";
import { MAX_ALIASES, type AliasIndex } from "./anchors.js";

export interface PlainProblem {
  /** Offset in the source text. */
  offset: number;
  message: string;
  hint?: string;
}

/** Explicit tags that keep data plain; anything else (`!!js/function`, `!!set`, `!Ref`) is refused. */
const PLAIN_TAGS = new Set(["str", "int", "float", "bool", "null", "map", "seq"].map((t) => `tag:yaml.org,2002:${t}`));

const printable = (s: string) => s.replace(/\p{Cc}/gu, "?").slice(0, 60);
const offsetOf = (node: unknown) => (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;

export function plainDataProblems(doc: Document.Parsed, aliases: AliasIndex): PlainProblem[] {
  const out: PlainProblem[] = [];
  if (aliases.tooMany) {
    const name = printable(aliases.tooMany.source);
    out.push({
      offset: offsetOf(aliases.tooMany),
      message: `too many aliases: '*${name}' here is alias number ${MAX_ALIASES + 1}; a formation may use at most ${MAX_ALIASES}`,
      hint: "this looks like an alias bomb; write the repeated blocks out, or share fewer of them",
    });
  }
  const tagged = (node: Node) => {
    // `!!set`, `!!omap`, `!!binary` and `!!timestamp` resolve to Set, Map, Buffer and Date: objects
    // whose entries a schema cannot see, so a typo inside them would pass silently.
    if (node.tag && !PLAIN_TAGS.has(node.tag)) {
      out.push({ offset: offsetOf(node), message: `unsupported YAML tag: ${printable(node.tag)}`, hint: "formations are plain data: remove the tag" });
    }
  };
  visit(doc, {
    Scalar: (_, node) => tagged(node),
    Seq: (_, node) => tagged(node),
    Map(_, map) {
      tagged(map);
      // Keys that become the same JSON key (`1` and `"1"` too) would silently overwrite each other.
      // yaml's own uniqueKeys check is quadratic (1 MiB of keys took minutes); this is one pass.
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const key = String(pair.key.value);
        if (!seen.has(key)) seen.add(key);
        else
          out.push({
            offset: offsetOf(pair.key),
            message: `duplicate key '${printable(key)}': a key may appear only once in a mapping`,
            hint: "remove or merge the repeated key",
          });
      }
    },
    Pair(_, pair) {
      // Collection keys (`? [a, b]`) cannot become JSON object keys.
      if (pair.key !== null && !isScalar(pair.key) && !isAlias(pair.key))
        out.push({ offset: offsetOf(pair.key), message: "mapping keys must be plain strings" });
    },
    Alias(_, alias, path) {
      // Past the limit, the one error above says it all (and these were not resolved).
      if (!aliases.targets.has(alias)) return;
      // `&a [*a]` is a cycle: it cannot be data (and JSON.stringify throws on it).
      const target = aliases.targets.get(alias);
      if (!target)
        out.push({
          offset: offsetOf(alias),
          message: `alias '*${printable(alias.source)}' has no anchor '&${printable(alias.source)}' before it`,
          hint: "define the anchor first, e.g. 'machine: &node { size: small }', then use '*node'",
        });
      else if (path.includes(target))
        out.push({
          offset: offsetOf(alias),
          message: `alias '*${printable(alias.source)}' refers to a block that contains it (a cycle)`,
          hint: "formations are plain data: remove the alias",
        });
    },
  });
  return out;
}
