/**
 * Start order of a machine by role, in one place: the planner, the cluster actions and anything
 * else that orders machines read it here, so they can never disagree.
 */
import type { Role } from "./types.js";

/** Tier per role: lower tiers start first and stop last. */
const TIERS: Readonly<Record<Role, number>> = {
  // Entry points and stand-alone machines: nothing depends on them being started after anything.
  proxy: 0,
  machine: 0,
  member: 0,
  host: 0,
  // Coordinators: started before the nodes that register with them (slurmd needs slurmctld).
  master: 1,
  head: 1,
  target: 1,
  // Workers: started last, stopped first, so no job is scheduled on a node that is going away.
  worker: 2,
  compute: 2,
};

/** The start tier of a role: proxy 0, master/head/target 1, worker/compute 2; other roles 0. */
export function tierOf(role: Role): number {
  return TIERS[role];
}
