/**
 * What a GCE instance boots with, as instance metadata: the session's SSH keys (`ssh-keys`, with
 * project-wide keys and OS Login off so that only the session's keys work), the cloud-init user
 * data of plan/cloudinit.ts (`user-data`, a secret), and on Windows the same PowerShell script as
 * `windows-startup-script-ps1` (a secret).
 *
 * Two GCP facts shape it: GCE's Debian and Rocky images ship without cloud-init (Google's guest
 * agent only), so a startup script installs it once and runs it against `user-data`; and
 * Filestore's Basic tier serves NFSv3 only, so the shared mount of plan/cloudinit (NFSv4.1, as
 * EFS wants) is switched to NFSv3 here.
 */
import * as pulumi from "@pulumi/pulumi";
import { cloudConfig, cloudConfigText, userData, type CloudInitValues } from "../../../plan/cloudinit.js";
import { NFS_OPTIONS } from "../../../plan/cloudinit/parts.js";
import type { PlannedMachine, SessionPlan } from "../../../plan/types.js";
import type { Bootstrap } from "../../../components/adapter.js";
import { secretBootData } from "../../../components/boot-data.js";
import { loginUser, powershellBody, sshKeys } from "./shapes.js";

/** Where plan/cloudinit writes the shared-storage mount script. */
const MOUNT_SCRIPT = "/usr/local/sbin/formations-mount-shared";
/** Filestore Basic: NFSv3 (Google's recommended options; `hard` so jobs wait out a blip). */
export const FILESTORE_NFS_OPTIONS = "nfsvers=3,rsize=262144,wsize=1048576,hard,timeo=600,retrans=3,_netdev";

/** Installs cloud-init where the image lacks it, then lets it run this instance's `user-data`. */
export const CLOUD_INIT_BOOTSTRAP = [
  "#!/bin/sh",
  "# formations: GCE's Debian and Rocky images have no cloud-init. Install it once and run it against",
  "# this instance's user-data metadata; from then on cloud-init runs at boot by itself.",
  "command -v cloud-init >/dev/null 2>&1 && exit 0",
  "if command -v apt-get >/dev/null 2>&1; then",
  "  export DEBIAN_FRONTEND=noninteractive",
  "  apt-get update -q && apt-get install -y -q cloud-init || exit 1",
  "else",
  "  dnf install -y cloud-init || exit 1",
  "fi",
  "cloud-init init && cloud-init modules --mode=config && cloud-init modules --mode=final",
  "",
].join("\n");

interface WriteFile {
  path: string;
  content: string;
}

/** The cloud-config with the shared mount switched to NFSv3 (Filestore Basic); fails loudly if the mount script changed shape. */
export function withNfsV3(config: Record<string, unknown>): Record<string, unknown> {
  const files = (config.write_files ?? []) as WriteFile[];
  const mount = files.find((f) => f.path === MOUNT_SCRIPT);
  if (!mount) return config;
  const from = `nfs4 ${NFS_OPTIONS}`;
  if (!mount.content.includes(from))
    throw new Error(`the shared-storage mount script no longer contains '${from}': update the Filestore NFSv3 switch in clouds/gcp/emit/boot.ts`);
  const patched = files.map((f) => (f === mount ? { ...f, content: f.content.replace(from, `nfs ${FILESTORE_NFS_OPTIONS}`) } : f));
  return { ...config, write_files: patched };
}

/** The user data of a machine on GCP: plan/cloudinit's, with the Filestore mount on NFSv3. */
export function gcpUserData(plan: SessionPlan, m: PlannedMachine, v: CloudInitValues): string {
  if (m.image.os === "windows" || plan.storage?.kind !== "managed") return userData(plan, m, v);
  return cloudConfigText(plan, withNfsV3(cloudConfig(plan, m, v)));
}

function renderedUserData(plan: SessionPlan, m: PlannedMachine, boot: Bootstrap): pulumi.Output<string> {
  return secretBootData(boot, (v) => gcpUserData(plan, m, v));
}

/** The session's SSH access, shared by instances and Dataproc nodes. */
export function accessMetadata(plan: SessionPlan, user: string): Record<string, string> {
  return {
    ...(plan.sshPublicKeys.length > 0 ? { "ssh-keys": sshKeys(user, plan.sshPublicKeys) } : {}),
    // Only the session's keys: not the project's, and not OS Login (which ignores `ssh-keys`).
    "block-project-ssh-keys": "TRUE",
    "enable-oslogin": "FALSE",
  };
}

/** An instance's metadata; the user data (which holds the session's secrets) is a secret value. */
export function instanceMetadata(plan: SessionPlan, m: PlannedMachine, boot: Bootstrap): Record<string, pulumi.Input<string>> {
  const script = renderedUserData(plan, m, boot);
  if (m.image.os === "windows") return { "windows-startup-script-ps1": pulumi.secret(script.apply(powershellBody)), "block-project-ssh-keys": "TRUE" };
  return { ...accessMetadata(plan, loginUser(m.image)), "user-data": script, "startup-script": CLOUD_INIT_BOOTSTRAP };
}
