/**
 * Reading and editing a stack's exported state (`pulumi stack export` / `import`): its
 * resources, the operations an interrupted update left pending, the secrets provider recorded
 * in it, and the session record mirrored in the root stack's outputs. Pure functions on plain
 * data; every edit returns a new deployment and keeps the fields it does not know.
 */
import type { Deployment, OutputValue, StateResource } from "./engine.js";
import { OUTPUT_RECORD, recordOutput, type SessionRecord } from "./session-record.js";

const ROOT = "pulumi:pulumi:Stack";

export function resourcesOf(d: Deployment | undefined): StateResource[] {
  return d?.deployment.resources ?? [];
}

export function rootStack(d: Deployment): StateResource | undefined {
  return resourcesOf(d).find((r) => r.type === ROOT);
}

/** Operations the engine started and never saw finish, as `{ urn, type }`. */
export function pendingOperations(d: Deployment | undefined): { urn: string; type: string }[] {
  return (d?.deployment.pending_operations ?? []).map((p) => ({ urn: p.resource.urn, type: p.type }));
}

/** The deployment without its pending operations (what `--clear-pending` writes back, after a refresh). */
export function withoutPendingOperations(d: Deployment): Deployment {
  const { pending_operations: _dropped, ...rest } = d.deployment;
  return { ...d, deployment: rest };
}

/**
 * The deployment with the session record in the root stack's `formationsRecord` output, or
 * undefined when the state has no root stack yet (nothing deployed: the record stays in config).
 * The secret formation text is left as it is: re-encrypting is the engine's job, on the next up.
 */
export function withRecord(d: Deployment, record: SessionRecord): Deployment | undefined {
  const root = rootStack(d);
  if (!root) return undefined;
  const resources = resourcesOf(d).map((r) => (r === root ? { ...r, outputs: { ...(r.outputs ?? {}), [OUTPUT_RECORD]: recordOutput(record) } } : r));
  return { ...d, deployment: { ...d.deployment, resources } };
}

/** Stack settings that let a fresh workspace open the state's secrets (what Pulumi.<stack>.yaml would hold). */
export interface SecretsSettings {
  secretsProvider?: string;
  encryptionSalt?: string;
  encryptedKey?: string;
}

/** The secrets provider recorded in the state, as stack settings; undefined for the backend's own (service) provider. */
export function secretsSettings(d: Deployment | undefined): SecretsSettings | undefined {
  const sp = d?.deployment.secrets_providers;
  const state = sp?.state ?? {};
  if (sp?.type === "passphrase" && typeof state.salt === "string") return { encryptionSalt: state.salt };
  if (sp?.type === "cloud" && typeof state.url === "string" && typeof state.encryptedkey === "string")
    return { secretsProvider: state.url, encryptedKey: state.encryptedkey };
  return undefined;
}

/** The machines of the session as its last update left them (`machines` output, read back from state). */
export function machinesOf(outputs: Record<string, unknown> | undefined): { name: string; cloudId: string; [k: string]: unknown }[] {
  const list = outputs?.machines;
  if (!Array.isArray(list)) return [];
  return list
    .filter((m): m is { name: string; cloudId: string } => typeof m === "object" && m !== null && typeof (m as { name?: unknown }).name === "string")
    .map((m) => ({ ...m, cloudId: typeof m.cloudId === "string" ? m.cloudId : "" }));
}

/** The signature key Pulumi marks a secret value with in state (sdk/go/common/resource/sig). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** Whether a state value is a secret envelope. */
function isSecret(v: unknown): v is { plaintext?: unknown; ciphertext?: unknown } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && (v as Record<string, unknown>)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270";
}

/** A state value with every secret envelope replaced by its plaintext (an export made with --show-secrets). */
function reveal(v: unknown): unknown {
  if (isSecret(v)) {
    if (typeof v.plaintext !== "string") throw new Error("the exported state holds an encrypted secret: export it with --show-secrets");
    return reveal(JSON.parse(v.plaintext));
  }
  if (Array.isArray(v)) return v.map(reveal);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  return v;
}

/**
 * The stack's outputs as `pulumi stack output --json --show-secrets` gives them, read from an
 * export made with --show-secrets: each root output's plain value, `secret` when the output as
 * a whole is secret (what the masked listing shows as "[secret]"). One CLI call instead of the
 * Automation API's two (masked, then plain).
 */
export function outputsOf(d: Deployment): Record<string, OutputValue> {
  const outputs = rootStack(d)?.outputs ?? {};
  return Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { value: reveal(v), secret: isSecret(v) }]));
}
