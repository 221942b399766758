/**
 * What the page knows, in one place, changed only by the server's answers and its live messages:
 * the Sessions rows, each opened session's Machines view, the tasks, and the engine's recent
 * events per session (a launch's progress). Views subscribe with `useStore`.
 */
import { useEffect, useState } from "preact/hooks";
import type { SessionEvent } from "../../automation/session/events.js";
import type { Task } from "../live.js";
import type { SessionPage, SessionRow } from "../views.js";

export interface State {
  rows: Map<string, SessionRow>;
  pages: Map<string, SessionPage>;
  /** Why a session could not be read again. */
  unreadable: Map<string, string>;
  /** Sessions found gone, and when: an older read of them must not bring them back. */
  gone: Map<string, string>;
  tasks: Task[];
  events: Map<string, SessionEvent[]>;
  /** The live stream is open. */
  live: boolean;
}

let state: State = { rows: new Map(), pages: new Map(), unreadable: new Map(), gone: new Map(), tasks: [], events: new Map(), live: false };
const listeners = new Set<() => void>();

export function getState(): State {
  return state;
}

export function update(change: (s: State) => Partial<State>): void {
  state = { ...state, ...change(state) };
  for (const l of listeners) l();
}

export function useStore<T>(pick: (s: State) => T): T {
  const [, rerender] = useState(0);
  useEffect(() => {
    const l = () => rerender((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return pick(state);
}

const KEPT_EVENTS = 200;

/** Applies one live message. */
export function receive(type: string, data: unknown): void {
  switch (type) {
    case "hello":
      return update(() => ({ tasks: (data as { tasks: Task[] }).tasks }));
    case "task": {
      const t = (data as { task: Task }).task;
      return update((s) => ({ tasks: [t, ...s.tasks.filter((x) => x.id !== t.id)] }));
    }
    case "event": {
      const e = (data as { event: SessionEvent }).event;
      // A provider's info lines (Docker's whole `inspect` dumps) would push the resource steps out.
      if (e.type === "diagnostic" && e.severity === "info") return;
      return update((s) => ({ events: new Map(s.events).set(e.session, [...(s.events.get(e.session) ?? []), e].slice(-KEPT_EVENTS)) }));
    }
    case "session": {
      const page = (data as { page: SessionPage }).page;
      // Reads of one session may end out of order (a slow engine): keep the one that began last.
      const held = state.pages.get(page.row.session);
      if ((held && held.readAt > page.readAt) || (state.gone.get(page.row.session) ?? "") > page.readAt) return;
      const unreadable = new Map(state.unreadable);
      unreadable.delete(page.row.session);
      return update((s) => ({ pages: new Map(s.pages).set(page.row.session, page), rows: new Map(s.rows).set(page.row.session, page.row), unreadable }));
    }
    case "removed": {
      const { session, at } = data as { session: string; at: string };
      return update((s) => {
        const rows = new Map(s.rows);
        const pages = new Map(s.pages);
        rows.delete(session);
        pages.delete(session);
        return { rows, pages, gone: new Map(s.gone).set(session, at) };
      });
    }
    case "unreadable": {
      const { session, error } = data as { session: string; error: string };
      return update((s) => ({ unreadable: new Map(s.unreadable).set(session, error) }));
    }
  }
}

/** `k=v` pairs of a filter text (`team=bio, course=gen101`), ignoring blanks. */
export function parseFilter(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter(Boolean);
}

export function matches(labels: Record<string, string>, filter: readonly string[]): boolean {
  return filter.every((p) => {
    const i = p.indexOf("=");
    return i > 0 && labels[p.slice(0, i)] === p.slice(i + 1);
  });
}
