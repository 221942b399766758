/**
 * Session names, and labels as stack tags: the formation's labels become tags on the session's
 * stack so `formations sessions --label k=v` filters without reading every session's state.
 * Pulumi tag names are at most 40 characters of `A-Za-z0-9-_.:` (values at most 256), while label
 * keys may be 63 characters and hold `=+@`: such a key is kept under a hashed tag name with the
 * key itself in the value, so every label round-trips.
 */
import { createHash } from "node:crypto";
import { SESSION_NAME } from "../../plan/index.js";
import { InvalidSessionNameError, SessionError } from "./errors.js";

export { SESSION_NAME };

export function checkSessionName(name: string): string {
  if (!SESSION_NAME.test(name)) throw new InvalidSessionNameError(name);
  return name;
}

const TAG_NAME = /^[A-Za-z0-9_.:-]{1,40}$/;
const LABEL = "label:";
const HASHED = "label.h.";

/** Tags formations writes on every session's stack, for `sessions` to list without reading state. */
export const SUMMARY_TAGS = {
  formation: "formations:formation",
  kind: "formations:kind",
  provider: "formations:provider",
  machines: "formations:machines",
  hourlyUsd: "formations:hourly-usd",
} as const;

/** Is this one of the tags formations manages (labels or summary)? */
export function isOurTag(name: string): boolean {
  return name.startsWith(LABEL) || name.startsWith(HASHED) || name.startsWith("formations:");
}

export function labelsToTags(labels: Readonly<Record<string, string>>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const plain = `${LABEL}${k}`;
    if (TAG_NAME.test(plain)) tags[plain] = v;
    else tags[`${HASHED}${createHash("sha256").update(k).digest("hex").slice(0, 16)}`] = JSON.stringify([k, v]);
  }
  return tags;
}

export function tagsToLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags)) {
    if (name.startsWith(LABEL)) labels[name.slice(LABEL.length)] = value;
    else if (name.startsWith(HASHED)) {
      try {
        const [k, v] = JSON.parse(value) as unknown[];
        if (typeof k === "string" && typeof v === "string") labels[k] = v;
      } catch {
        // A tag someone else wrote: not ours to interpret.
      }
    }
  }
  return labels;
}

/** Parses `--label k=v` arguments into a selector; every pair must match. */
export function parseSelector(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf("=");
    if (i <= 0) throw new SessionError(`invalid label selector '${p}': use key=value`, 2);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export function matchesSelector(labels: Readonly<Record<string, string>>, selector: Readonly<Record<string, string>>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** The Pulumi project every session stack belongs to (and the folder of its lock in the backend). */
export const PROJECT = "formations";
