/** The Images view: every snapshot the sessions record, and the formation that launches from it. */
import { useEffect, useState } from "preact/hooks";
import type { ImageRow } from "../routes/images.js";
import { get } from "./api.js";
import { ErrorLine } from "./dialogs.js";
import { when } from "./format.js";

export function ImagesView() {
  const [images, setImages] = useState<ImageRow[]>();
  const [gap, setGap] = useState<string>();
  const [error, setError] = useState<string>();
  const load = () =>
    get<{ images: ImageRow[]; gap: string }>("/api/images").then(
      (r) => {
        setImages(r.images);
        setGap(r.gap);
        setError(undefined);
      },
      (err: Error) => setError(err.message),
    );
  useEffect(() => void load(), []);
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
            <th>Session</th>
            <th>Machine</th>
            <th>Provider</th>
            <th>Taken</th>
            <th>Launch</th>
          </tr>
        </thead>
        <tbody>
          {(images ?? []).map((i) => (
            <tr key={`${i.name}-${i.at}`} data-image={i.name}>
              <td>
                <code>{i.name}</code>
                {i.id && i.id !== i.name ? <div class="sub">{i.id}</div> : null}
              </td>
              <td>
                <a href={`#/sessions/${i.session}`}>{i.session}</a>
              </td>
              <td>{i.machine}</td>
              <td>{i.provider ?? ""}</td>
              <td>{when(i.at)}</td>
              <td>
                {i.formation ? (
                  <a href={`#/formations?file=${encodeURIComponent(i.formation)}`}>Launch a session from this image</a>
                ) : (
                  <span class="sub">no saved formation in the folder</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {images && !images.length && <p>No snapshot yet: take one from a machine's menu.</p>}
      {gap && <p class="note">{gap}</p>}
    </section>
  );
}
