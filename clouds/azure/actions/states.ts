/**
 * What Azure says, in the actions' terms: a VM's instance view statuses as a {@link MachineState},
 * VM resource ids taken apart, and every error of the Azure SDK's pipeline as one classified
 * {@link ActionError}. Pure: no SDK is loaded here.
 */
import { ActionError, type ErrorKind, type MachineState, type ObservedState } from "../../../automation/actions/types.js";

/**
 * A VM's raw state: its `PowerState/*` status, `hibernated` for a VM deallocated by hibernation
 * (`HibernationState/Hibernated` next to `PowerState/deallocated`), `creating`/`deleting` from its
 * provisioning state when that says more than the power state, and `missing` for no VM.
 */
export type AzureRawState =
  "creating" | "starting" | "running" | "stopping" | "stopped" | "deallocating" | "deallocated" | "hibernated" | "deleting" | "missing";

/** One status of an instance view (`statuses[]`): a code such as `PowerState/running`. */
export interface AzureStatus {
  code?: string | undefined;
}

const POWER = new Set(["starting", "running", "stopping", "stopped", "deallocating", "deallocated"]);

/** The raw state from instance view statuses; `missing` when there is no VM (no statuses at all). */
export function azureRaw(statuses: readonly AzureStatus[] | undefined): AzureRawState {
  if (statuses === undefined) return "missing";
  const codes = statuses.map((s) => (s.code ?? "").toLowerCase());
  if (codes.includes("provisioningstate/deleting")) return "deleting";
  const power = codes.find((c) => c.startsWith("powerstate/"))?.slice("powerstate/".length);
  if (power === "deallocated" && codes.includes("hibernationstate/hibernated")) return "hibernated";
  if (power === undefined) {
    // A VM being created has no power state yet.
    if (codes.includes("provisioningstate/creating")) return "creating";
    throw new Error(`Azure reported no power state (statuses: ${codes.join(", ") || "none"})`);
  }
  if (!POWER.has(power)) throw new Error(`unknown Azure power state 'PowerState/${power}'`); // never guess
  return power as AzureRawState;
}

/**
 * Azure's state, normalised. `stopped` (powered off but still allocated, still billed) and
 * `deallocated` are both `stopped`; the raw state keeps them apart, since our `stop` deallocates.
 * A VM deallocated by hibernation is `hibernated`; one on its way anywhere is `pending`.
 */
export function fromAzureState(statuses: readonly AzureStatus[] | undefined): MachineState {
  return normalise(azureRaw(statuses));
}

/** The normalised state of a raw state. */
export function normalise(raw: AzureRawState): MachineState {
  switch (raw) {
    case "creating":
    case "starting":
    case "stopping":
    case "deallocating":
      return "pending";
    case "running":
      return "running";
    case "stopped":
    case "deallocated":
      return "stopped";
    case "hibernated":
      return "hibernated";
    case "deleting":
    case "missing":
      return "terminated";
  }
}

/** Where a VM is: its subscription, resource group and name. */
export interface VmRef {
  subscription: string;
  resourceGroup: string;
  name: string;
}

/** Takes a VM resource id apart (ARM ids are case-insensitive; a missing leading slash is tolerated). */
export function parseVmId(id: string): VmRef {
  const m = /^\/?subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)\/?$/i.exec(id.trim());
  if (!m)
    throw new ActionError(
      "other",
      `'${id}' is not an Azure VM resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Compute/virtualMachines/<name>)`,
    );
  return { subscription: m[1]!, resourceGroup: m[2]!, name: m[3]! };
}

/** Socket errors that mean nobody answered. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** Socket errors of a connection that broke halfway. */
const BROKEN = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT"]);

/** The shape of the pipeline's RestError (and of core-lro's failures), as far as classification reads it. */
interface PipelineError {
  name?: string;
  code?: string;
  statusCode?: number;
  message?: string;
}

/**
 * Classifies whatever the SDK threw. `what` names the machine for messages. 429 is throttling,
 * 404 not found, 409 a conflict with the VM's state or another operation on it, 5xx passing;
 * socket errors say whether anyone answered. ActionErrors pass through unchanged.
 */
export function classifyAzureError(err: unknown, what: string, states: { from?: ObservedState; to?: ObservedState } = {}): ActionError {
  if (err instanceof ActionError) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as PipelineError;
  const code = e.code ?? "";
  const msg = (e.message ?? String(err)).replace(/\s+/g, " ").trim();
  const azure = code && !UNREACHABLE.has(code) && !BROKEN.has(code) ? `${code}: ${msg}` : msg;
  const fail = (kind: ErrorKind, message: string, s = states) => new ActionError(kind, message, s, { cause: err });
  if (e.statusCode === 429) return fail("throttled", `Azure is throttling requests (429) while acting on ${what}`);
  if (e.statusCode === 404)
    return fail("not-found", `Azure has no such resource for ${what} (deleted outside formations?): ${azure}`, { from: "terminated", to: "terminated" });
  if (e.statusCode === 409) return fail("invalid-state", `Azure refused it for ${what} in its current state: ${azure}`);
  if (e.statusCode !== undefined && e.statusCode >= 500) return fail("transient", `Azure had a passing failure (${e.statusCode}) while acting on ${what}`);
  if (UNREACHABLE.has(code)) return fail("unreachable", `the Azure management API is not answering (${code}): check the network and proxy`);
  if (BROKEN.has(code)) return fail("transient", `the connection to Azure broke (${code}) while acting on ${what}`);
  if (e.name === "CredentialUnavailableError" || e.name === "AuthenticationError" || e.name === "AggregateAuthenticationError") {
    return fail("other", "no usable Azure credentials: run `az login`, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and a secret or certificate");
  }
  if (e.statusCode === 401 || e.statusCode === 403)
    return fail("other", `Azure denied it for ${what} (${e.statusCode}): the identity lacks the role or permission (${code || "no code"})`);
  return fail("other", `Azure failed on ${what}: ${azure}`);
}
