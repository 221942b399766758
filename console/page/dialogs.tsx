/** The confirmation dialog (the server's exact words), the task list, and small shared pieces. */
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { setAsker } from "./api.js";
import { useStore } from "./store.js";

interface Question {
  words: string;
  answer: (yes: boolean) => void;
}

export function ConfirmDialog() {
  const [q, setQ] = useState<Question | undefined>();
  useEffect(() => setAsker((words) => new Promise<boolean>((answer) => setQ({ words, answer }))), []);
  if (!q) return null;
  const close = (yes: boolean) => {
    setQ(undefined);
    q.answer(yes);
  };
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-labelledby="confirm-title" onKeyDown={(e) => e.key === "Escape" && close(false)}>
      <div class="modal-box">
        <h2 id="confirm-title">Please confirm</h2>
        <p class="confirm-words">{q.words}</p>
        <div class="buttons">
          <button type="button" onClick={() => close(false)}>
            Cancel
          </button>
          <button type="button" class="danger" autoFocus onClick={() => close(true)}>
            Confirm
          </button>
        </div>
      </div>
    </div>
  );
}

export function Modal(props: { title: string; onClose: () => void; children: ComponentChildren }) {
  return (
    <div class="modal" role="dialog" aria-modal="true" aria-label={props.title} onKeyDown={(e) => e.key === "Escape" && props.onClose()}>
      <div class="modal-box wide">
        <h2>{props.title}</h2>
        {props.children}
        <div class="buttons">
          <button type="button" autoFocus onClick={props.onClose}>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

/** The actions started from any page, newest first, with how each ended. */
export function Tasks() {
  const tasks = useStore((s) => s.tasks);
  const [open, setOpen] = useState(true);
  if (!tasks.length) return null;
  return (
    <aside class="tasks" aria-label="Actions">
      <button type="button" class="link" onClick={() => setOpen(!open)}>
        {open ? "Hide" : "Show"} actions ({tasks.filter((t) => t.state === "running").length} running)
      </button>
      {open && (
        <ul>
          {tasks.slice(0, 8).map((t) => (
            <li key={t.id} class={`task ${t.state}`} data-task={t.title}>
              <span class="task-state">{t.state}</span> {t.title}
              {t.error && <div class="task-error">{t.error}</div>}
            </li>
          ))}
        </ul>
      )}
    </aside>
  );
}

/** A command to copy, with a button that copies it. */
export function Copyable(props: { label: string; text: string; multiline?: boolean }) {
  const [copied, setCopied] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(props.text).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  };
  return (
    <div class="copyable">
      <div class="copy-label">{props.label}</div>
      {props.multiline ? <pre>{props.text}</pre> : <code>{props.text}</code>}
      <button type="button" class="small" onClick={copy}>
        {copied ? "Copied" : "Copy"}
      </button>
    </div>
  );
}

export function ErrorLine(props: { error: string | undefined }) {
  return props.error ? (
    <p class="error" role="alert">
      {props.error}
    </p>
  ) : null;
}
