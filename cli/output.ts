/** Where a command writes: injectable so tests capture output without spawning a process. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  color: boolean;
}

export function processOutput(): Output {
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    color,
  };
}

/** Colours `error:` and carets in rendered diagnostics, on terminals only. */
export function paint(text: string, color: boolean): string {
  if (!color) return text;
  return text
    .replace(/: error: /, ": \u001b[1;31merror:\u001b[0m ")
    .replace(/^(\s+\|\s*)(\s*)\^$/m, "$1$2\u001b[1;31m^\u001b[0m")
    .replace(/= hint: /, "= \u001b[36mhint:\u001b[0m ");
}
