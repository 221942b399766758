/**
 * The Machines view of one session: role, state, size, address and cost of each machine, live;
 * its context menu; Refresh (the engine reads the cloud again); the session's snapshots and the
 * journal of who did what.
 */
import { useEffect, useState } from "preact/hooks";
import type { MenuItem } from "../menu.js";
import type { MachineRow, SessionPage } from "../views.js";
import { act, get } from "./api.js";
import { ErrorLine } from "./dialogs.js";
import { accrued, perHour, usd, useNow, when } from "./format.js";
import { ConnectDialog, ContextMenu, PuttyDialog, type MenuAt } from "./menu.js";
import { Labels, States, Ticking } from "./sessions.js";
import { receive, useStore } from "./store.js";

function MachineLine(props: { m: MachineRow; at: string; now: number; onMenu: (m: MachineRow, x: number, y: number) => void }) {
  const { m } = props;
  return (
    <tr
      data-machine={m.name}
      onContextMenu={(e) => {
        e.preventDefault();
        props.onMenu(m, e.clientX, e.clientY);
      }}
    >
      <td>{m.name}</td>
      <td>{m.role}</td>
      <td>
        <span class={`badge ${m.state}`} data-state={m.state}>
          {m.state}
        </span>
      </td>
      <td>{m.size ?? "-"}</td>
      <td>{m.address ?? "-"}</td>
      <td class="num">{usd(accrued(m.accruedUsd, m.burnUsdPerHour, props.at, props.now))}</td>
      <td class="num rate">{perHour(m.burnUsdPerHour)}</td>
      <td>
        <button
          type="button"
          class="small"
          aria-haspopup="menu"
          aria-label={`Actions for ${m.name}`}
          onClick={(e) => {
            const r = (e.currentTarget as HTMLElement).getBoundingClientRect();
            props.onMenu(m, r.left, r.bottom);
          }}
        >
          ⋯
        </button>
      </td>
    </tr>
  );
}

export function MachinesView(props: { session: string }) {
  const { session } = props;
  const page = useStore((s) => s.pages.get(session));
  const unreadable = useStore((s) => s.unreadable.get(session));
  const [error, setError] = useState<string>();
  const [menu, setMenu] = useState<MenuAt>();
  const [connect, setConnect] = useState<MachineRow>();
  const [putty, setPutty] = useState<MachineRow>();
  const now = useNow();

  useEffect(() => {
    setError(undefined);
    get<SessionPage>(`/api/sessions/${session}`).then(
      (p) => receive("session", { page: p }),
      (err: Error) => setError(err.message),
    );
  }, [session]);

  const pick = (item: MenuItem) => {
    const m = menu!.machine;
    setMenu(undefined);
    if (item.id === "connect") return setConnect(m);
    if (item.id === "connect-putty") return setPutty(m);
    if (item.id === "delete")
      return void act(`/api/sessions/${session}/machines/${encodeURIComponent(m.name)}/delete`, {}).catch((err: Error) => setError(err.message));
    const path = item.id === "snapshot" || item.id === "snapshot-container" ? `/api/sessions/${session}/snapshot` : `/api/sessions/${session}/actions`;
    act(path, { action: item.id, machine: m.name }).catch((err: Error) => setError(err.message));
  };
  const refresh = () => act(`/api/sessions/${session}/refresh`, {}).catch((err: Error) => setError(err.message));

  if (!page) {
    return (
      <section>
        <h1>{session}</h1>
        <ErrorLine error={error ?? unreadable} />
        {!error && <p>Reading the session…</p>}
      </section>
    );
  }
  const r = page.row;
  return (
    <section aria-labelledby="machines-title">
      <div class="toolbar">
        <h1 id="machines-title">
          <a href="#/sessions">Sessions</a> / {session}
        </h1>
        <button type="button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      <p class="summary">
        {r.kind} on {r.provider}
        {page.cloud.region ? ` (${page.cloud.region})` : ""} · <Labels labels={r.labels} /> · <States states={r.states} /> · so far{" "}
        <Ticking cost={r.cost} now={now} /> · now <span class="rate session-rate">{perHour(r.cost.hourlyUsd)}</span>
      </p>
      <ErrorLine error={error ?? unreadable} />
      {r.cost.warnings.map((w) => (
        <p key={w} class="note">
          {w}
        </p>
      ))}
      <h2>Machines</h2>
      <p class="hint">Right-click a machine, or use its ⋯ button, for its actions.</p>
      <table class="grid machines">
        <thead>
          <tr>
            <th>Machine</th>
            <th>Role</th>
            <th>State</th>
            <th>Size</th>
            <th>Address</th>
            <th class="num">Cost so far</th>
            <th class="num">Rate</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {page.machines.map((m) => (
            <MachineLine key={m.name} m={m} at={r.cost.at} now={now} onMenu={(machine, x, y) => setMenu({ machine, x, y })} />
          ))}
        </tbody>
      </table>
      {menu && <ContextMenu at={menu} onPick={pick} onClose={() => setMenu(undefined)} />}
      {connect && <ConnectDialog session={session} machine={connect} onClose={() => setConnect(undefined)} />}
      {putty && <PuttyDialog session={session} machine={putty} onClose={() => setPutty(undefined)} />}
      <h2>Snapshots</h2>
      {page.snapshots.length ? (
        <ul class="snapshots">
          {page.snapshots.map((s) => (
            <li key={`${s.name}-${s.at}`}>
              {s.name} of {s.machine}, {when(s.at)}
            </li>
          ))}
        </ul>
      ) : (
        <p>None yet: Snapshot (or Snapshot Container) in a machine's menu takes one.</p>
      )}
      <h2>Journal</h2>
      <table class="grid journal">
        <thead>
          <tr>
            <th>When</th>
            <th>Who</th>
            <th>Action</th>
            <th>Machine</th>
            <th>Change</th>
            <th>Result</th>
          </tr>
        </thead>
        <tbody>
          {[...page.journal].reverse().map((j, i) => (
            <tr key={`${j.at}-${i}`}>
              <td>{when(j.at)}</td>
              <td>{j.actor}</td>
              <td>{j.action}</td>
              <td>{j.machine ?? ""}</td>
              <td>{j.from || j.to ? `${j.from ?? "?"} → ${j.to ?? "?"}` : ""}</td>
              <td>
                {j.result}
                {j.detail ? `: ${j.detail}` : ""}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
