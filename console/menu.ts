/**
 * A machine's context menu: every action the contract has, each enabled or disabled with the
 * reason a person needs (the provider cannot, the machine is a managed node, formations has no
 * such action yet). Pure: from `show`'s machine and the session's provider. The page only draws
 * it, so what is offered is decided (and unit-tested) here, and the server refuses the same way.
 */
import { findCloud } from "../clouds/index.js";
import type { MachineDetails } from "../automation/session/details.js";
import type { ActionName, SessionActionName } from "../automation/actions/types.js";
import { deleteRefusal } from "../automation/actions/delete-machine.js";

/** What a menu item runs: a library action (with `force`), a snapshot, or one of the connect views. */
export type MenuId =
  | "start"
  | "stop"
  | "force-stop"
  | "hibernate"
  | "force-hibernate"
  | "reboot"
  | "force-reboot"
  | "shutdown"
  | "delete"
  | "connect"
  | "connect-putty"
  | "snapshot"
  | "snapshot-container";

export interface MenuItem {
  id: MenuId;
  label: string;
  enabled: boolean;
  /** Why it is disabled. */
  reason?: string;
  /** Asks for a confirmation first (the server refuses it unconfirmed). */
  destructive: boolean;
}

/** The library's power actions (terminate is for whole sessions: Terminate All). */
export type PowerAction = Exclude<SessionActionName, "terminate">;

/** The library action behind a power item. */
export const POWER: Readonly<Partial<Record<MenuId, { action: PowerAction; force: boolean; label: string }>>> = {
  start: { action: "start", force: false, label: "Start" },
  stop: { action: "stop", force: false, label: "Stop" },
  hibernate: { action: "hibernate", force: false, label: "Hibernate" },
  reboot: { action: "reboot", force: false, label: "Reboot" },
  "force-reboot": { action: "reboot", force: true, label: "Force Reboot" },
  shutdown: { action: "shutdown", force: false, label: "Shutdown" },
  "force-stop": { action: "stop", force: true, label: "Force Stop" },
  "force-hibernate": { action: "hibernate", force: true, label: "Force Hibernate" },
};

/** Power actions that take a running machine away from its users: confirmed first. */
export const DESTRUCTIVE = new Set<SessionActionName>(["stop", "hibernate", "reboot", "shutdown", "terminate"]);

/** The seed console's order; the two image items come last (imageItems). */
const ORDER: MenuId[] = [
  "start",
  "stop",
  "hibernate",
  "reboot",
  "force-reboot",
  "shutdown",
  "force-stop",
  "force-hibernate",
  "delete",
  "connect",
  "connect-putty",
];

/** The session a machine belongs to, as deciding Delete needs it (its name and every machine's role). */
export interface MenuSession {
  session: string;
  machines: readonly Pick<MachineDetails, "role">[];
}

/** A node of a managed big-data service: `show` refuses it every power action (the service runs it). */
const managedNode = (m: MachineDetails) => (m.role === "worker" || m.role === "master") && Boolean(m.refused?.start);

/** Why Delete (one machine for good, `formations delete --machine`) is not offered; the library refuses in the same words. */
function deleteReason(m: MachineDetails, provider: string, s: MenuSession | undefined): string | undefined {
  if (!s) return "the session's machines are not known here";
  return deleteRefusal(s.session, provider, { name: m.name, role: m.role, managed: managedNode(m) }, s.machines);
}

function connectReason(m: MachineDetails): string | undefined {
  if (m.refused?.start) return m.refused.start;
  if (m.state === "pending") return `${m.name} has not been created yet`;
  if (m.state === "terminated") return `${m.name} was removed outside formations: Start creates it again`;
  return undefined;
}

function imageItems(m: MachineDetails, provider: string): MenuItem[] {
  const refused = m.refused?.snapshot;
  const gone = m.state === "pending" || m.state === "terminated" ? `${m.name} is ${m.state}: there is nothing to image` : undefined;
  const container = runsContainers(provider);
  const vm = refused ?? gone ?? (container ? "a container is imaged with Snapshot Container (docker commit)" : undefined);
  const ctr = refused ?? gone ?? (container ? undefined : "this machine is a virtual machine, not a container: use Snapshot");
  return [
    { id: "snapshot", label: "Snapshot", enabled: !vm, ...(vm ? { reason: vm } : {}), destructive: false },
    { id: "snapshot-container", label: "Snapshot Container", enabled: !ctr, ...(ctr ? { reason: ctr } : {}), destructive: false },
  ];
}

/** The provider's machines are containers on a Docker engine (imaged with `docker commit`). */
export function runsContainers(provider: string): boolean {
  return findCloud(provider)?.planning.machines === "containers";
}

/** The menu of one machine of a session on `provider` (`session`: for Delete, which depends on the other machines). */
export function machineMenu(m: MachineDetails, provider: string, session?: MenuSession): MenuItem[] {
  const items: MenuItem[] = [];
  for (const id of ORDER) {
    const power = POWER[id];
    if (power) {
      const reason = m.refused?.[power.action as ActionName];
      items.push({ id, label: power.label, enabled: !reason, ...(reason ? { reason } : {}), destructive: DESTRUCTIVE.has(power.action) });
    } else if (id === "delete") {
      const reason = deleteReason(m, provider, session);
      items.push({ id, label: "Delete", enabled: !reason, ...(reason ? { reason } : {}), destructive: true });
    } else if (id === "connect") {
      const reason = connectReason(m);
      items.push({ id, label: "Connect", enabled: !reason, ...(reason ? { reason } : {}), destructive: false });
    } else if (id === "connect-putty") {
      const reason = connectReason(m);
      items.push({ id, label: "Connect › PuTTY", enabled: !reason, ...(reason ? { reason } : {}), destructive: false });
    }
  }
  items.push(...imageItems(m, provider));
  return items;
}
