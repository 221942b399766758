/**
 * Every alias of a document resolved to its anchor in ONE walk. yaml's `Alias.resolve(doc)`
 * walks the whole document on each call, so resolving every alias that way is quadratic: a
 * valid formation plus 16,000 `*a` (80 KB) kept `validate` busy for minutes. Everything that
 * needs an alias's target (the plain-data checks, error locations) asks this index instead.
 */
import { isAlias, visit, type Alias, type Document, type Node } from "yaml";

/** Anchors are handy for sharing a machine block; more aliases than this is an alias bomb. */
export const MAX_ALIASES = 100;

export interface AliasIndex {
  /** The node each alias refers to; `undefined` when no anchor of that name comes before it. */
  targets: Map<Alias, Node | undefined>;
  /** The first alias past MAX_ALIASES, if any: the document is refused there. */
  tooMany?: Alias;
}

/**
 * Same rule as yaml's resolve: an alias refers to the LAST node with its anchor that comes
 * before it in document order (a collection comes before its own items, so `&a [*a]` refers
 * to the collection that contains it: a cycle, which the plain-data check reports).
 */
export function indexAliases(doc: Document.Parsed): AliasIndex {
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  let tooMany: Alias | undefined;
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) {
        if (targets.size === MAX_ALIASES) tooMany ??= node;
        else targets.set(node, anchors.get(node.source));
      } else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  return tooMany ? { targets, tooMany } : { targets };
}
