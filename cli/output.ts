import { toJsonError, type Diagnostic } from "../format/diagnostics.js";

/** Where a command writes: injectable so tests capture output without spawning a process. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
  color: boolean;
  /** The command was asked for --json: a failure still prints one JSON document on stdout (see failureJson). */
  json?: boolean;
}

/**
 * A reader that goes away (`formations plan x.yaml | head -1`) is not an error of ours: the
 * write fails with EPIPE, asynchronously, as an 'error' event that would crash the process with a
 * stack trace. From then on that stream's lines are dropped and the command ends normally.
 */
function closable(stream: NodeJS.WriteStream): (line: string) => void {
  let closed = false;
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") closed = true;
    else throw err;
  });
  return (line) => {
    if (!closed) stream.write(`${line}\n`);
  };
}

/** Made once per process: each call of processOutput() must not add listeners to the streams. */
let streams: { out: (line: string) => void; err: (line: string) => void } | undefined;

export function processOutput(): Output {
  const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
  streams ??= { out: closable(process.stdout), err: closable(process.stderr) };
  return { ...streams, color };
}

/** One error in a failure document: where, when the failure is a formation's (as `validate --json`). */
export interface FailureError {
  file?: string;
  line: number;
  col: number;
  pointer: string;
  message: string;
}

/**
 * The one JSON document a `--json` command prints on stdout when it fails, instead of nothing:
 * `{"error": {"exitCode": 1|2|3, "message": str, "errors"?: [{file, line, col, pointer, message}]}}`.
 * Compact, on one line: it is also a valid last line for the verbs that print JSON lines.
 */
export function failureJson(exitCode: number, message: string, errors?: readonly FailureError[]): string {
  return JSON.stringify({ error: { exitCode, message, ...(errors ? { errors } : {}) } });
}

/** The failure document of an error: a formation's errors listed as `validate --json` does, with their file. */
export function failureOf(err: unknown, exitCode: number, message: string): string {
  if (err instanceof Error && err.name === "FormationError") {
    const { file, diagnostics } = err as Error & { file: string; diagnostics: Diagnostic[] };
    const n = diagnostics.length;
    return failureJson(
      exitCode,
      `${file}: ${n} error${n === 1 ? "" : "s"}`,
      diagnostics.map((d) => ({ file: d.file, ...toJsonError(d) })),
    );
  }
  return failureJson(exitCode, message);
}

/** Colours `error:` and carets in rendered diagnostics, on terminals only. */
export function paint(text: string, color: boolean): string {
  if (!color) return text;
  return text
    .replace(/: error: /, ": \u001b[1;31merror:\u001b[0m ")
    .replace(/^(\s+\|\s*)(\s*)\^$/m, "$1$2\u001b[1;31m^\u001b[0m")
    .replace(/= hint: /, "= \u001b[36mhint:\u001b[0m ");
}
