import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, type Node, type Pair, type YAMLMap } from "yaml";
import type { ParsedSource } from "./source.js";

/** Decodes a JSON pointer (`/spec/machine/size`) into its segments. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

export function joinPointer(base: string, key: string | number): string {
  return `${base}/${String(key).replace(/~/g, "~0").replace(/\//g, "~1")}`;
}

interface Found {
  /** The node at the pointer, if the document has one there. */
  node?: Node | null;
  /** The mapping pair whose value is that node (to point at its key). */
  pair?: Pair;
  /** The deepest node reached when the pointer goes further than the document. */
  last: Node | null;
  lastPair?: Pair;
}

function resolve(src: ParsedSource, node: unknown): Node | null {
  let n = node as Node | null;
  // Follow aliases to their anchor: the error is in the anchored data, so point there. The index
  // resolved them all in one walk (yaml's resolve walks the document per call: quadratic).
  for (let i = 0; i < 8 && n && isAlias(n); i++) n = src.aliases.targets.get(n) ?? null;
  return n;
}

/** Each mapping's pairs by key, built once: a linear search per error made 10,000 errors quadratic. */
const pairIndex = new WeakMap<YAMLMap, Map<string, Pair>>();

function pairOf(map: YAMLMap, key: string): Pair | undefined {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const it of map.items) {
      const k = isPair(it) && isScalar(it.key) ? String(it.key.value) : undefined;
      if (k !== undefined && !index.has(k)) index.set(k, it);
    }
    pairIndex.set(map, index);
  }
  return index.get(key);
}

function walk(src: ParsedSource, segments: string[]): Found {
  let node = resolve(src, src.doc.contents);
  let pair: Pair | undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (isMap(node)) {
      const p = pairOf(node, seg);
      if (!p) return { last: node, lastPair: pair };
      pair = p;
      node = resolve(src, p.value);
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return { last: node, lastPair: pair };
      pair = undefined;
      node = resolve(src, item);
    } else {
      return { last: node, lastPair: pair };
    }
  }
  return { node, pair, last: node, lastPair: pair };
}

function start(node: Node | null | undefined): number | undefined {
  return (node as { range?: [number, number, number] } | null | undefined)?.range?.[0];
}

function keyOf(pair: Pair | undefined): Node | undefined {
  return pair && isScalar(pair.key) ? pair.key : undefined;
}

export type Target = "value" | "key" | "container";

/**
 * Where in the source a problem at `pointer` is.
 * - `value`: the value (or its key when the value is empty, as in `region:`);
 * - `key`: the key itself (an unknown or forbidden key);
 * - `container`: a mapping that lacks something, shown at the key that introduces it.
 */
export function locate(src: ParsedSource, pointer: string, target: Target): { line: number; col: number } {
  const found = walk(src, pointerSegments(pointer));
  let offset: number | undefined;
  if (found.node !== undefined) {
    if (target === "key" || target === "container") offset = start(keyOf(found.pair));
    const valueStart = isScalar(found.node) && found.node.value === null && found.node.source === "" ? undefined : start(found.node);
    offset ??= valueStart ?? start(keyOf(found.pair));
    if (target === "container" && offset === undefined && isCollection(found.node)) offset = start(found.node);
  }
  offset ??= start(keyOf(found.lastPair)) ?? start(found.last) ?? 0;
  return src.position(offset);
}
