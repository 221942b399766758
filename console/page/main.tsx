/**
 * The console's page: four views (Sessions, a session's Machines, Images, Formations) under
 * hash routes (the address keeps its token), one live event stream, and the confirmation dialog.
 * Built by scripts/build-console.mjs into dist/console/page/app.js.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { get, listen } from "./api.js";
import { ConfirmDialog, Tasks } from "./dialogs.js";
import { FormationsView } from "./formations.js";
import { ImagesView } from "./images.js";
import { MachinesView } from "./machines.js";
import { SessionsView } from "./sessions.js";
import { receive, update, useStore } from "./store.js";

interface Route {
  view: "sessions" | "machines" | "images" | "formations";
  session?: string;
  file?: string;
}

function route(hash: string): Route {
  const [path = "", query = ""] = hash.replace(/^#/, "").split("?");
  const parts = path.split("/").filter(Boolean);
  if (parts[0] === "sessions" && parts[1]) return { view: "machines", session: decodeURIComponent(parts[1]) };
  if (parts[0] === "images") return { view: "images" };
  if (parts[0] === "formations") {
    const file = new URLSearchParams(query).get("file");
    return { view: "formations", ...(file ? { file } : {}) };
  }
  return { view: "sessions" };
}

function App() {
  const [where, setWhere] = useState(route(location.hash));
  const [labels, setLabels] = useState<string[]>();
  const live = useStore((s) => s.live);
  useEffect(() => {
    const onHash = () => setWhere(route(location.hash));
    window.addEventListener("hashchange", onHash);
    const source = listen(receive, (open) => update(() => ({ live: open })));
    get<{ labels: string[] }>("/api/config").then(
      (c) => setLabels(c.labels),
      () => setLabels([]),
    );
    return () => {
      window.removeEventListener("hashchange", onHash);
      source.close();
    };
  }, []);
  const tab = (view: Route["view"], href: string, text: string) => (
    <a href={href} class={where.view === view || (view === "sessions" && where.view === "machines") ? "tab active" : "tab"}>
      {text}
    </a>
  );
  return (
    <>
      <header>
        <span class="brand">Formations</span>
        <nav>
          {tab("sessions", "#/sessions", "Sessions")}
          {tab("images", "#/images", "Images")}
          {tab("formations", "#/formations", "Formations")}
        </nav>
        <span class={live ? "live on" : "live off"} title={live ? "Live updates from the library's events" : "Live updates interrupted: reconnecting"}>
          {live ? "● live" : "○ reconnecting"}
        </span>
      </header>
      <main>
        {where.view === "sessions" && labels && <SessionsView initialFilter={labels} />}
        {where.view === "machines" && <MachinesView session={where.session!} />}
        {where.view === "images" && <ImagesView />}
        {where.view === "formations" && <FormationsView {...(where.file ? { file: where.file } : {})} />}
      </main>
      <Tasks />
      <ConfirmDialog />
    </>
  );
}

const root = document.getElementById("app")!;
root.replaceChildren(); // the server's "Loading" line: Preact renders beside what is there
render(<App />, root);
