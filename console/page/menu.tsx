/**
 * A machine's context menu (right-click on its row, or its ⋯ button for keyboard and touch),
 * drawn from the menu the server computed: each action enabled, or disabled with its reason in
 * plain sight; and the Connect dialog (SSH, ~/.ssh/config, .rdp download, PuTTY, the gateway).
 */
import { useEffect, useRef } from "preact/hooks";
import type { MenuItem } from "../menu.js";
import type { MachineRow } from "../views.js";
import { withToken } from "./api.js";
import { Copyable, Modal } from "./dialogs.js";

export interface MenuAt {
  machine: MachineRow;
  x: number;
  y: number;
}

export function ContextMenu(props: { at: MenuAt; onPick: (item: MenuItem) => void; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLButtonElement>("button:not([disabled])")?.focus();
    const away = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) props.onClose();
    };
    document.addEventListener("mousedown", away);
    return () => document.removeEventListener("mousedown", away);
  }, [props.at]);
  const style = { left: `${Math.min(props.at.x, window.innerWidth - 320)}px`, top: `${props.at.y}px` };
  return (
    <div
      class="context-menu"
      role="menu"
      aria-label={`Actions for ${props.at.machine.name}`}
      ref={ref}
      style={style}
      onKeyDown={(e) => e.key === "Escape" && props.onClose()}
    >
      {props.at.machine.menu.map((item) => (
        <div key={item.id} class="menu-item">
          <button type="button" role="menuitem" data-action={item.id} disabled={!item.enabled} title={item.reason ?? ""} onClick={() => props.onPick(item)}>
            {item.label}
            {item.destructive && item.enabled ? " …" : ""}
          </button>
          {!item.enabled && item.reason && <div class="reason">{item.reason}</div>}
        </div>
      ))}
    </div>
  );
}

export function ConnectDialog(props: { session: string; machine: MachineRow; onClose: () => void }) {
  const c = props.machine.connect;
  const name = `${props.session}/${props.machine.name}`;
  return (
    <Modal title={`Connect to ${name}`} onClose={props.onClose}>
      {!c ? (
        <p>No connection details: the machine has no address yet.</p>
      ) : (
        <div class="connect">
          {c.url ? (
            <p>
              Remote Desktop in the browser:{" "}
              <a href={c.url} target="_blank" rel="noopener noreferrer">
                open the lab's gateway
              </a>{" "}
              (it asks for the lab's password, which the console never shows)
            </p>
          ) : (
            <p class="missing">Remote Desktop in the browser: {c.missing.url}</p>
          )}
          {c.ssh ? <Copyable label="SSH" text={c.ssh} /> : c.dockerExec ? null : <p class="missing">SSH: {c.missing.ssh}</p>}
          {c.dockerExec && <Copyable label="Terminal (docker exec)" text={c.dockerExec} />}
          {c.sshConfig && <Copyable label="~/.ssh/config" text={c.sshConfig} multiline />}
          {c.tunnel && <Copyable label="Tunnel to the desktop (open it first)" text={c.tunnel} />}
          {c.rdp ? (
            <p>
              <a
                class="button"
                href={withToken(`/api/sessions/${props.session}/machines/${props.machine.name}/rdp`)}
                download={`${props.session}-${props.machine.name}.rdp`}
              >
                Get RDP File
              </a>{" "}
              (no password in it: the client asks)
            </p>
          ) : (
            <p class="missing">RDP file: {c.missing.rdp}</p>
          )}
          {c.putty ? (
            <>
              <Copyable label="PuTTY" text={c.putty} />
              {c.plink && <Copyable label="plink" text={c.plink} />}
            </>
          ) : (
            <p class="missing">PuTTY: {c.missing.putty}</p>
          )}
          {c.notes.map((n) => (
            <p key={n} class="note">
              {n}
            </p>
          ))}
        </div>
      )}
    </Modal>
  );
}

/** Connect › PuTTY: PuTTY's and plink's command lines (`formations connect --putty`), for Windows users. */
export function PuttyDialog(props: { session: string; machine: MachineRow; onClose: () => void }) {
  const c = props.machine.connect;
  return (
    <Modal title={`PuTTY to ${props.session}/${props.machine.name}`} onClose={props.onClose}>
      {c?.putty ? (
        <div class="connect">
          <Copyable label="PuTTY" text={c.putty} />
          {c.plink && <Copyable label="plink (through the proxy where the machine is private)" text={c.plink} />}
          {c.notes.map((n) => (
            <p key={n} class="note">
              {n}
            </p>
          ))}
        </div>
      ) : (
        <p class="missing">PuTTY: {c?.missing.putty ?? "the machine has no address yet"}</p>
      )}
    </Modal>
  );
}
