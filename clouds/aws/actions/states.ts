/**
 * What EC2 says, in the actions' terms: its instance states (plus the state reason that tells a
 * hibernated or spot-reclaimed instance from a plainly stopped one) as a {@link MachineState}, and
 * every error the SDK throws as one classified {@link ActionError}. Pure: no SDK is loaded here.
 */
import { ActionError, type ErrorKind, type MachineState, type ObservedState } from "../../../automation/actions/types.js";

/** EC2's instance states (`State.Name`), plus `missing` when DescribeInstances no longer knows the id. */
export type Ec2RawState = "pending" | "running" | "stopping" | "stopped" | "shutting-down" | "terminated" | "missing";

/** The parts of an EC2 `Instance` the mapping reads. */
export interface Ec2StateView {
  State?: { Name?: string | undefined } | undefined;
  StateReason?: { Code?: string | undefined } | undefined;
}

/**
 * State reasons of an instance EC2 took back from a spot user (terminated or stopped on
 * interruption). Only these make `interrupted`; a user's own stop of a spot instance does not.
 */
export const SPOT_REASONS: ReadonlySet<string> = new Set(["Server.SpotInstanceTermination", "Server.SpotInstanceShutdown"]);

/** The reason EC2 gives a stopped instance whose memory was saved to its root volume. */
export const HIBERNATED_REASON = "Client.UserInitiatedHibernate";

/**
 * EC2's state, normalised. `stopping` counts as `pending` (between states, not yet stopped) and
 * `shutting-down` as `terminated` (there is no way back). A stopped instance is `hibernated` when
 * its state reason says the user hibernated it, and any instance EC2 reclaimed from spot is
 * `interrupted`, whatever it became.
 */
export function fromEc2State(instance: Ec2StateView | undefined): MachineState {
  const raw = ec2Raw(instance);
  const reason = instance?.StateReason?.Code;
  if (reason && SPOT_REASONS.has(reason) && raw !== "pending" && raw !== "running") return "interrupted";
  switch (raw) {
    case "pending":
    case "stopping":
      return "pending";
    case "running":
      return "running";
    case "stopped":
      return reason === HIBERNATED_REASON ? "hibernated" : "stopped";
    case "shutting-down":
    case "terminated":
    case "missing":
      return "terminated";
  }
}

/** The raw state of an instance as EC2 reported it; `missing` when there is no instance. */
export function ec2Raw(instance: Ec2StateView | undefined): Ec2RawState {
  const name = instance?.State?.Name;
  if (name === undefined) return "missing";
  if (!RAW.has(name)) throw new Error(`unknown EC2 instance state '${name}'`); // a state EC2 added: say so, do not guess
  return name as Ec2RawState;
}

const RAW: ReadonlySet<string> = new Set(["pending", "running", "stopping", "stopped", "shutting-down", "terminated"]);

/** Error codes (the SDK's `name`) that mean "slow down". */
const THROTTLING = new Set(["RequestLimitExceeded", "Throttling", "ThrottlingException", "TooManyRequestsException", "RequestThrottled"]);
/** Codes of a passing condition on EC2's side. */
const TRANSIENT = new Set(["InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable", "RequestTimeout", "RequestTimeoutException"]);
/** Codes of an id EC2 does not know. */
const NOT_FOUND = new Set(["InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed", "InvalidSpotInstanceRequestID.NotFound"]);
/** Codes of an action the instance's state does not allow. */
const INVALID_STATE = new Set([
  "IncorrectInstanceState",
  "IncorrectState",
  "IncorrectSpotRequestState",
  "UnsupportedOperation",
  "UnsupportedHibernationConfiguration",
]);
/** Socket errors that mean nobody answered. */
const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);
/** Socket errors of a connection that broke halfway. */
const BROKEN = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ESOCKETTIMEDOUT"]);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Classifies whatever the SDK threw. `what` names the machine for messages; `states` are the
 * states read before the call. ActionErrors pass through unchanged. Messages carry EC2's own
 * words (never a credential: the SDK puts none in error messages).
 */
export function classifyAwsError(err: unknown, what: string, states: { from?: ObservedState; to?: ObservedState } = {}): ActionError {
  if (err instanceof ActionError) return err;
  const e = (typeof err === "object" && err !== null ? err : { message: String(err) }) as SdkError;
  const name = e.name ?? "";
  const code = e.code ?? "";
  const msg = (e.message ?? String(err)).replace(/\s+/g, " ").trim();
  const fail = (kind: ErrorKind, message: string, s = states) => new ActionError(kind, message, s, { cause: err });
  if (THROTTLING.has(name) || e.$metadata?.httpStatusCode === 429)
    return fail("throttled", `EC2 is throttling requests (${name || 429}) while acting on ${what}`);
  if (NOT_FOUND.has(name))
    return fail("not-found", `EC2 instance of ${what} does not exist (terminated and gone, or removed outside formations): ${msg}`, {
      from: "terminated",
      to: "terminated",
    });
  if (INVALID_STATE.has(name)) return fail("invalid-state", `EC2 refused it for ${what} in its current state: ${msg}`);
  if (TRANSIENT.has(name) || (e.$metadata?.httpStatusCode ?? 0) >= 500)
    return fail("transient", `EC2 had a passing failure (${name || e.$metadata?.httpStatusCode}) while acting on ${what}`);
  if (UNREACHABLE.has(code) || UNREACHABLE.has(name))
    return fail("unreachable", `the EC2 API is not answering (${code || name}): check the network and the region`);
  if (BROKEN.has(code) || name === "TimeoutError") return fail("transient", `the connection to EC2 broke (${code || name}) while acting on ${what}`);
  if (name === "CredentialsProviderError")
    return fail("other", "no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run `aws sso login`");
  if (/region is missing/i.test(msg)) return fail("other", "no AWS region: give the machine's region (the session's cloud.region) or set AWS_REGION");
  if (name === "UnauthorizedOperation" || name === "AuthFailure")
    return fail("other", `EC2 denied it for ${what} (${name}): the credentials lack the permission`);
  return fail("other", `EC2 failed on ${what}: ${name ? `${name}: ` : ""}${msg}`);
}
