/**
 * How the Docker adapter names and labels a session's containers, and how snapshots are named:
 * shared by the driver, the tests and the adapter so they can never drift apart.
 */

/** The container name the Docker adapter gives a machine. */
export function containerName(session: string, machine: string): string {
  return `${session}-${machine}`;
}

/** Label keys the Docker adapter puts on every container of a session. */
export const LABELS = { session: "formations-session", machine: "formations-machine", role: "formations-role", managedBy: "managed-by" } as const;

/** The label a snapshot's `docker commit` puts on the image (`<session>/<machine>`): the mark `images delete` checks. */
export const SNAPSHOT_LABEL = "formations-snapshot-of";

/** UTC yyyymmddhhmmss: sortable, and valid in a Docker repository name. */
export { stamp } from "../../automation/actions/rest.js";

/** `repo[:tag]`, where a colon followed by a slash belongs to a registry port, not a tag. */
export function splitReference(ref: string): { repo: string; tag: string } {
  const i = ref.lastIndexOf(":");
  if (i > 0 && !ref.slice(i).includes("/")) return { repo: ref.slice(0, i), tag: ref.slice(i + 1) };
  return { repo: ref, tag: "latest" };
}
