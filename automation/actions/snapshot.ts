/**
 * `snapshot <session> --machine NAME [--name IMAGE] [--save-formation FILE]`: a machine image
 * through the provider's API (AMI, managed image, machine image, Glance image; `docker commit`
 * for a container), recorded in the session (the image is not a resource of the stack, so it
 * outlives `destroy`), its id handed to the caller as soon as the provider gives it, and
 * optionally a new formation that launches from it.
 */
import { OperationFailedError, SessionError } from "../session/errors.js";
import { runOne } from "./batch.js";
import { cloudOf } from "../../clouds/index.js";
import { commit, entryOf, readRecord } from "./record-changes.js";
import type { ActionTuning } from "./paths.js";
import type { Lifecycle } from "./session-actions.js";
import { saveSnapshotFormation } from "./snapshot-formation.js";
import { driverContext, selectMachines, sessionView } from "./targets.js";
import { catalogSnapshot, type ImagesHost } from "../images/images.js";
import type { ActionResult } from "./types.js";

export interface SnapshotOptions extends Pick<ActionTuning, "retries" | "baseDelayMs" | "maxDelayMs" | "timeoutMs" | "random"> {
  /** The machine to image (required: a snapshot is of one machine). */
  machine: string;
  /** The image's name (default: `<session>-<machine>-<timestamp>` on Docker, the driver's own elsewhere). */
  name?: string;
  /** Also write a formation that launches this machine from the image, here (never over an existing file). */
  saveFormation?: string;
  /** Called with the image id as soon as the provider returns it, before the record is written. */
  onImage?: (imageId: string) => void;
  wait?: boolean;
  signal?: AbortSignal;
}

export interface SnapshotReport {
  session: string;
  machine: string;
  /** The provider's image id (AMI id, image resource id, Docker image id). */
  imageId: string;
  /** The image's name (a Docker reference on Docker). */
  name: string;
  /** What a formation's `image` should say to launch from it. */
  image: string;
  result: ActionResult;
  /** The formation written with `saveFormation`. */
  formation?: { file: string; name: string };
  /** The image's id in the catalog (`formations images`), once recorded there. */
  catalogId?: string;
  /** Why the image could not be added to the catalog (it exists, and the session records it): the caller warns. */
  catalogError?: string;
}

export async function takeSnapshot(life: Lifecycle, session: string, opts: SnapshotOptions, images?: ImagesHost): Promise<SnapshotReport> {
  if (!opts.machine) throw new SessionError("a snapshot is of one machine: name it with --machine", 2, session);
  const now = new Date();
  const taken = await life.exclusive(session, `snapshot ${opts.machine}`, opts, async (env) => {
    const view = sessionView(await readRecord(env, session));
    const [m] = selectMachines(view, opts.machine).selected;
    // Where the image's name is the reference a formation launches from (Docker), it is always chosen here.
    const reference = cloudOf(view.plan.provider).actions.snapshotReference;
    const name = opts.name ?? reference?.(session, opts.machine, now);
    let result: ActionResult;
    try {
      const driver = await life.driverFor(view.plan);
      const { machine: _m, saveFormation: _s, onImage: _o, wait: _w, signal: _g, name: _n, ...tuning } = opts;
      result = await runOne(driver, m!.target, "snapshot", { ...tuning, ...(name ? { name } : {}) });
    } catch (err) {
      throw new OperationFailedError(session, "snapshot", err instanceof Error ? err.message : String(err));
    }
    if (result.outcome !== "done" || !result.imageId) {
      await commit(env, session, (r) => r, [entryOf(result)]);
      throw new OperationFailedError(session, "snapshot", result.error ?? "the provider returned no image id");
    }
    opts.onImage?.(result.imageId);
    const entry = { machine: opts.machine, name: name ?? result.imageId, id: result.imageId, at: env.now().toISOString(), provider: view.plan.provider };
    await commit(env, session, (r) => ({ ...r, snapshots: [...r.snapshots, entry] }), [
      { ...entryOf(result), detail: `image ${entry.name}${entry.name === result.imageId ? "" : ` (${result.imageId})`}` },
    ]);
    const image = reference && name ? name : result.imageId;
    // The catalog keeps it past the session (kept in the backend, so every machine lists it).
    let catalog: { catalogId?: string; catalogError?: string } = {};
    if (images) {
      const f = view.formation;
      catalog = await catalogSnapshot(images, {
        provider: view.plan.provider,
        ctx: driverContext(view.plan),
        imageId: result.imageId,
        name: entry.name,
        image,
        session,
        machine: opts.machine,
        formation: f.metadata.name,
        kind: f.kind,
        labels: (f.metadata.labels ?? {}) as Record<string, string>,
        file: view.record.file,
        formationText: view.record.formation,
        at: entry.at,
        actor: env.actor,
        diskGb: m!.planned.diskGb,
      }).then(
        (e) => ({ catalogId: e.id }),
        (err: unknown) => ({ catalogError: err instanceof Error ? err.message.split("\n")[0]! : String(err) }),
      );
    }
    return { view, result, name: entry.name, image, ...catalog };
  });
  const report: SnapshotReport = {
    session,
    machine: opts.machine,
    imageId: taken.result.imageId!,
    name: taken.name,
    image: taken.image,
    result: taken.result,
    ...(taken.catalogId ? { catalogId: taken.catalogId } : {}),
    ...(taken.catalogError ? { catalogError: taken.catalogError } : {}),
  };
  if (opts.saveFormation) {
    const { view } = taken;
    report.formation = await saveSnapshotFormation({
      text: view.record.formation,
      formation: view.formation,
      sourceFile: view.record.file,
      session,
      machine: opts.machine,
      image: taken.image,
      outFile: opts.saveFormation,
      now,
    });
  }
  return report;
}
