/**
 * The Images view: the image catalog (every snapshot any session took, kept after its session is
 * destroyed), with size, age and monthly storage cost; "Launch from this image" writes the
 * formation that launches from it into the folder and opens it in the Formations view; Delete
 * removes the image and its storage, Forget only its catalog entry (for an image formations
 * refuses to delete, or one deleted by hand), each after the server's words are confirmed.
 */
import { useEffect, useState } from "preact/hooks";
import type { ImageRow } from "../routes/images.js";
import { act, get, send } from "./api.js";
import { ErrorLine } from "./dialogs.js";
import { when } from "./format.js";
import { useStore } from "./store.js";

function size(i: ImageRow): string {
  if (i.sizeGb === undefined) return "-";
  const upTo = i.sizeFrom === "disk" ? "≤ " : "";
  return i.sizeGb >= 1 ? `${upTo}${i.sizeGb.toFixed(1)} GB` : `${upTo}${Math.max(1, Math.round(i.sizeGb * 1000))} MB`;
}

async function launch(i: ImageRow): Promise<void> {
  const file = i.formation ?? (await fetchFormation(i.id));
  location.hash = `#/formations?file=${encodeURIComponent(file)}`;
}

async function fetchFormation(id: string): Promise<string> {
  return (await send<{ file: string }>(`/api/images/${encodeURIComponent(id)}/formation`)).file;
}

export function ImagesView() {
  const [images, setImages] = useState<ImageRow[]>();
  const [unreadable, setUnreadable] = useState<{ stack: string; error: string }[]>([]);
  const [error, setError] = useState<string>();
  // A finished image deletion or forgetting changes the list: read it again.
  const finished = useStore((s) => s.tasks.filter((t) => /^(delete|forget) image/.test(t.title) && t.state !== "running").length);
  const load = () =>
    get<{ images: ImageRow[]; unreadable: { stack: string; error: string }[] }>("/api/images").then(
      (r) => {
        setImages(r.images);
        setUnreadable(r.unreadable);
        setError(undefined);
      },
      (err: Error) => setError(err.message),
    );
  useEffect(() => void load(), [finished]);
  const total = (images ?? []).reduce((s, i) => s + (i.monthlyUsd ?? 0), 0);
  return (
    <section aria-labelledby="images-title">
      <div class="toolbar">
        <h1 id="images-title">Images</h1>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      <ErrorLine error={error} />
      <table class="grid images">
        <thead>
          <tr>
            <th>Image</th>
            <th>Provider</th>
            <th>From</th>
            <th>Size</th>
            <th>Taken</th>
            <th class="num">Storage</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(images ?? []).map((i) => (
            <tr key={i.id} data-image={i.name} data-image-id={i.id}>
              <td>
                <code>{i.name}</code>
                <div class="sub">
                  {i.id}
                  {i.imageId !== i.name ? ` · ${i.imageId}` : ""}
                </div>
              </td>
              <td>
                {i.provider}
                {i.region ? ` (${i.region})` : ""}
              </td>
              <td>
                <a href={`#/sessions/${i.session}`}>{i.session}</a>/{i.machine}
              </td>
              <td>{size(i)}</td>
              <td>{when(i.at)}</td>
              <td class="num">{i.monthlyUsd === undefined ? "-" : `$${i.monthlyUsd.toFixed(2)}/mo`}</td>
              <td>
                <button type="button" class="small" data-action="launch" onClick={() => launch(i).catch((err: Error) => setError(err.message))}>
                  Launch from this image
                </button>{" "}
                <button
                  type="button"
                  class="small danger"
                  data-action="delete-image"
                  onClick={() => act(`/api/images/${encodeURIComponent(i.id)}/delete`, {}).catch((err: Error) => setError(err.message))}
                >
                  Delete…
                </button>{" "}
                <button
                  type="button"
                  class="small"
                  data-action="forget-image"
                  title="Drop the catalog entry only; the image is not touched"
                  onClick={() => act(`/api/images/${encodeURIComponent(i.id)}/forget`, {}).catch((err: Error) => setError(err.message))}
                >
                  Forget…
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {images && !images.length && <p>No image yet: take one with Snapshot in a machine's menu.</p>}
      {images && images.length > 0 && (
        <p class="note">
          {images.length} image(s), ${total.toFixed(2)} a month of storage. Kept in the state backend: every machine using it sees this list, and an image stays
          listed when its session is destroyed. ≤: sized by the machine's disk (the provider did not say).
        </p>
      )}
      {unreadable.map((u) => (
        <p key={u.stack} class="error">
          could not read {u.stack}: {u.error}
        </p>
      ))}
    </section>
  );
}
