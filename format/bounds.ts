/**
 * Bounds on what the YAML parser is given, checked as the text is read, before anything is
 * built: nesting depth (the composer recurses per level) and the number of values (yaml makes
 * objects per value). Hostile input gets one located error, fast, instead of a stack overflow,
 * minutes of work or a gigabyte of memory.
 */
import { CST, Lexer, Parser } from "yaml";

/** Deeper than any real formation (about 6 levels) by a wide margin, far below stack limits. */
export const MAX_DEPTH = 64;

/**
 * Bounds nesting before the YAML parser sees the text: the parser recurses, and a few thousand
 * `[` would exhaust the stack (slowly). Counts flow brackets outside quotes and block indentation.
 */
export function nestingTooDeep(text: string): number | undefined {
  let depth = 0;
  let quote: string | undefined;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === "\n") {
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart) {
      if (ch === " ") {
        if (++indent > MAX_DEPTH * 8) return i;
        continue;
      }
      lineStart = false;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === "#") {
      while (i + 1 < text.length && text[i + 1] !== "\n") i++;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      continue;
    }
    if (ch === "[" || ch === "{") {
      if (++depth > MAX_DEPTH) return i;
    } else if (ch === "]" || ch === "}") depth = Math.max(0, depth - 1);
  }
  return undefined;
}

type CstNode = CST.Token | null | undefined;

/**
 * Formations hold a few thousand values at most; a 1 MiB file of `[[[...]]]` or `1,1,1,...` holds
 * half a million, which yaml turns into half a million objects (seconds, and a gigabyte). Past
 * this many the file is refused where the limit was crossed, before anything is built. Room is
 * left for files of tens of thousands of mistakes, each reported (`validate --json`).
 */
export const MAX_VALUES = 200_000;

/** A lexeme that starts a value: a scalar (plain and block ones follow a marker; quoted ones are one lexeme), an alias, a collection or an item. */
function startsValue(lexeme: string): boolean {
  const c = lexeme[0];
  return lexeme === CST.SCALAR || c === '"' || c === "'" || c === "*" || lexeme === "[" || lexeme === "{" || lexeme === "-" || lexeme === "?";
}

const isCollection = (tok: CST.Token): tok is CST.BlockMap | CST.BlockSequence | CST.FlowCollection =>
  tok.type === "block-map" || tok.type === "block-seq" || tok.type === "flow-collection";

/**
 * The exact nesting depth, measured on yaml's CST. Its parser keeps its own stack of open nodes,
 * but the composer that runs next recurses once per level, and a stack overflow there is not
 * always catchable: after one, V8 may abort the whole process on the next deep parse. The quick
 * scan above misses compact block nesting (`- - - - x`, `? ? x`), brackets after a stray quote,
 * and plain scalars continued on more-indented lines (`a: b` then 10,000 lines of `  c: d`, each
 * an implicit key one level deeper); this catches every form. The parser's open-node stack is
 * watched as the text is read: closing 10,000 open levels at once overflowed the parser's own
 * recursion. Values are counted on the way (MAX_VALUES). Returns the offset of the first
 * collection too deep or of the value too many, else the CST (composed next: parsed once).
 */
export function readCst(text: string): { tooDeep: number } | { tooMany: number } | { tokens: CST.Token[] } {
  const parser = new Parser();
  const tokens: CST.Token[] = [];
  const check = (top: CST.Token): number | undefined => {
    tokens.push(top);
    const stack: [CstNode, number][] = [[top, 0]];
    while (stack.length > 0) {
      const [tok, depth] = stack.pop()!;
      if (!tok) continue;
      const nested = isCollection(tok);
      const d = nested ? depth + 1 : depth;
      if (d > MAX_DEPTH) return tok.offset;
      if (tok.type === "document") stack.push([tok.value, d]);
      if (nested) for (const item of tok.items) stack.push([item.key, d], [item.value, d]);
    }
    return undefined;
  };
  let values = 0;
  for (const lexeme of new Lexer().lex(text)) {
    if (startsValue(lexeme) && ++values > MAX_VALUES) return { tooMany: parser.offset };
    for (const top of parser.next(lexeme)) {
      const deep = check(top);
      if (deep !== undefined) return { tooDeep: deep };
    }
    if (parser.stack.length > MAX_DEPTH) {
      const open = parser.stack.filter(isCollection);
      if (open.length > MAX_DEPTH) return { tooDeep: open[MAX_DEPTH]!.offset };
    }
  }
  for (const top of parser.end()) {
    const deep = check(top);
    if (deep !== undefined) return { tooDeep: deep };
  }
  return { tokens };
}

/**
 * Runs `f` without capturing stack traces: yaml makes an Error per problem, and capturing a
 * trace for each of 250,000 bad lines was a third of the time. Nothing here prints them.
 */
export function withoutStackTraces<T>(f: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return f();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
