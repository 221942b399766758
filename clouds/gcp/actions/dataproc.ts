/**
 * Dataproc clusters stopped and started as a whole, over the Dataproc REST API
 * (dataproc.googleapis.com/v1: `clusters.get`, `clusters.stop`, `clusters.start`). A stopped
 * cluster's VMs are stopped (their disks are still billed); the nodes are the service's, so the
 * cluster is the unit. Each action reads the cluster first, does nothing when it already is where
 * the action leads, asks, then reads until it gets there (bounded), as the GCE driver does.
 */
import { honourRetryAfter, pollUntil, send } from "../../../automation/actions/rest.js";
import { ActionError, type ClusterDriver, type ClusterRef, type ClusterResult, type MachineState } from "../../../automation/actions/types.js";
import { classifyGceError, type GceAuth } from "./api.js";

export interface DataprocOptions {
  /** Token source; default Application Default Credentials (cloud-platform scope). */
  auth?: GceAuth;
  /** API root; default https://dataproc.googleapis.com/v1. */
  endpoint?: string;
  /** Project when the reference names none; else GOOGLE_CLOUD_PROJECT, else the credentials'. */
  project?: string;
  /** How long an action waits for the cluster to get there, in ms; default 600 000 (Dataproc takes minutes). */
  waitMs?: number;
  /** Between two reads while waiting, in ms; default 5 000. */
  pollMs?: number;
}

/** The fields of a Dataproc cluster the driver reads. */
export interface DataprocCluster {
  clusterName?: string;
  status?: { state?: string; detail?: string };
}

const SERVICE = "the Dataproc API";

/** Dataproc's cluster states, normalised; ERROR has no machine state and is reported as a failure. */
export function fromDataprocState(state: string | undefined, what = "the Dataproc cluster"): MachineState {
  switch (state) {
    case "RUNNING":
      return "running";
    case "STOPPED":
      return "stopped";
    case "CREATING":
    case "UPDATING":
    case "STARTING":
    case "STOPPING":
    case "REPAIRING":
      return "pending";
    case "DELETING":
    case undefined:
      return "terminated";
    default:
      throw new ActionError("other", `${what} is in state ${state}: see its details in the Google Cloud console, or destroy the session`);
  }
}

async function applicationDefault(): Promise<GceAuth> {
  const { GoogleAuth } = await import("google-auth-library");
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] });
  return {
    async accessToken() {
      const token = await auth.getAccessToken().catch((err: unknown) => {
        throw new ActionError(
          "other",
          `no usable Google credentials (${err instanceof Error ? err.message.split("\n")[0] : String(err)}): run \`gcloud auth application-default login\` or set GOOGLE_APPLICATION_CREDENTIALS`,
          {},
          { cause: err },
        );
      });
      if (!token)
        throw new ActionError("other", "no usable Google credentials: run `gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS");
      return token;
    },
    projectId: () => auth.getProjectId().catch(() => undefined),
  };
}

export class Dataproc implements ClusterDriver {
  private authP?: Promise<GceAuth>;
  private readonly endpoint: string;
  private readonly waitMs: number;
  private readonly pollMs: number;

  constructor(private readonly opts: DataprocOptions = {}) {
    this.endpoint = (opts.endpoint ?? "https://dataproc.googleapis.com/v1").replace(/\/$/, "");
    this.waitMs = opts.waitMs ?? 600_000;
    this.pollMs = opts.pollMs ?? 5_000;
  }

  private auth(): Promise<GceAuth> {
    this.authP ??= this.opts.auth ? Promise.resolve(this.opts.auth) : applicationDefault();
    return this.authP;
  }

  /** `projects/P/regions/R/clusters/N`, from the reference, the options, the environment or the credentials. */
  async path(ref: ClusterRef): Promise<{ path: string; what: string }> {
    if (!ref.region) throw new ActionError("other", `no region for the Dataproc cluster of ${ref.session}: set cloud.region in the formation`);
    const env = process.env.GOOGLE_CLOUD_PROJECT ?? process.env.CLOUDSDK_CORE_PROJECT ?? process.env.GCLOUD_PROJECT;
    const project = ref.project ?? this.opts.project ?? env ?? (await (await this.auth()).projectId?.());
    if (!project)
      throw new ActionError("other", `no project for the Dataproc cluster of ${ref.session}: set cloud.project in the formation, or GOOGLE_CLOUD_PROJECT`);
    return { path: `/projects/${project}/regions/${ref.region}/clusters/${ref.name}`, what: `Dataproc cluster ${ref.name} (${project}, ${ref.region})` };
  }

  private async call<T>(method: "GET" | "POST", path: string, what: string, body?: unknown): Promise<T> {
    const token = await (await this.auth()).accessToken();
    const res = await send(
      { method, url: `${this.endpoint}${path}`, headers: { authorization: `Bearer ${token}` }, ...(body !== undefined ? { body } : {}) },
      SERVICE,
    );
    if (res.status >= 200 && res.status < 300) return res.body as T;
    const err = classifyGceError(res.status, res.body, what);
    if (res.status === 403)
      throw new ActionError("other", `${what}: permission denied: the account needs the Dataproc Editor role on the project`, {}, { cause: err });
    if (err.kind === "throttled") await honourRetryAfter(res.headers, 30_000);
    throw err;
  }

  /** The cluster's raw state; undefined when it does not exist. */
  private async read(path: string, what: string): Promise<string | undefined> {
    try {
      return (await this.call<DataprocCluster>("GET", path, what)).status?.state ?? "UNKNOWN";
    } catch (err) {
      if (err instanceof ActionError && err.kind === "not-found") return undefined;
      throw err;
    }
  }

  async state(ref: ClusterRef): Promise<MachineState> {
    const { path, what } = await this.path(ref);
    return fromDataprocState(await this.read(path, what), what);
  }

  start(ref: ClusterRef): Promise<ClusterResult> {
    return this.act(ref, "start", "RUNNING", "STARTING");
  }

  stop(ref: ClusterRef): Promise<ClusterResult> {
    return this.act(ref, "stop", "STOPPED", "STOPPING");
  }

  private async act(ref: ClusterRef, verb: "start" | "stop", goal: string, going: string): Promise<ClusterResult> {
    const { path, what } = await this.path(ref);
    const raw = await this.read(path, what);
    if (raw === undefined)
      throw new ActionError("not-found", `${what} does not exist (deleted outside formations?): run 'formations refresh ${ref.session}'`, {
        from: "terminated",
        to: "terminated",
      });
    const from = fromDataprocState(raw, what);
    if (raw === goal) return { outcome: "no-op", from, to: from };
    // Already on its way there (another action asked): wait for it rather than ask again.
    if (raw !== going) await this.call<unknown>("POST", `${path}:${verb}`, what, {});
    const { value, reached } = await pollUntil(
      () => this.read(path, what),
      (s) => s === goal || s === undefined || s === "ERROR",
      { deadline: Date.now() + this.waitMs, pollMs: this.pollMs },
    );
    const to = fromDataprocState(value, what);
    if (!reached)
      throw new ActionError(
        "timeout",
        `${what} did not reach ${goal} within ${this.waitMs / 1000} s (it is ${value ?? "gone"}); run 'formations refresh ${ref.session}' later`,
        { from, to },
      );
    if (value !== goal) throw new ActionError("other", `${what} is ${value ?? "gone"} instead of ${goal}`, { from, to });
    return { outcome: "done", from, to };
  }
}
