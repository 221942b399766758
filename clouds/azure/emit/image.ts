/**
 * Images, logins, OS disks and boot scripts of Azure VMs: pure functions, no SDK. A formation's
 * image is an alias (resolved by the catalog to a Marketplace URN), a URN
 * (`publisher:offer:sku:version`) or a resource id (a managed image or a gallery image version,
 * `subscriptions/...` with or without its leading slash).
 */
import { createHash, createPrivateKey, createPublicKey } from "node:crypto";
import type { PlannedMachine, ResolvedImage } from "../../../plan/types.js";
import { azure as catalog } from "../catalog.js";

export interface ImageReference {
  publisher?: string;
  offer?: string;
  sku?: string;
  version?: string;
  id?: string;
}

/** A Marketplace image sold with a (free) purchase plan: the VM must name the plan. */
export interface PurchasePlan {
  name: string;
  product: string;
  publisher: string;
}

/** Publishers whose images carry a purchase plan (its terms must be accepted once per subscription). */
const PLAN_PUBLISHERS = new Set(["resf"]);

export function imageReference(image: ResolvedImage): { reference: ImageReference; plan?: PurchasePlan } {
  const id = image.id ?? "";
  // The formation schema wants a letter or digit first, so a resource id may come without its leading slash.
  if (/^\/?subscriptions\//i.test(id)) return { reference: { id: id.startsWith("/") ? id : `/${id}` } };
  const parts = id.split(":");
  if (parts.length !== 4 || parts.some((p) => p === "")) {
    throw new Error(
      `azure image '${id}': use an alias, a Marketplace URN (publisher:offer:sku:version) or an image resource id (subscriptions/SUB/resourceGroups/...)`,
    );
  }
  const [publisher, offer, sku, version] = parts as [string, string, string, string];
  const reference = { publisher, offer, sku, version };
  return PLAN_PUBLISHERS.has(publisher.toLowerCase()) ? { reference, plan: { name: sku, product: offer, publisher } } : { reference };
}

/** Azure refuses "Administrator" (and "admin") as osProfile.adminUsername. */
export const LINUX_ADMIN = "azureuser";
export const WINDOWS_ADMIN = "azureadmin";

/**
 * The login users connect with. Windows: "Administrator", which the boot script gives back to
 * the built-in account (Azure renames it to the adminUsername) so that the gateway and the
 * shared PowerShell script, written for that name, work unchanged.
 */
export function loginUser(image: ResolvedImage): string {
  return image.os === "windows" ? "Administrator" : LINUX_ADMIN;
}

/** Azure refuses an OS disk smaller than its image (Windows Server: 127 GiB, the Linux images: 30 GiB). */
const IMAGE_DISK_GB = { windows: 127, linux: 30 } as const;

/** Hibernation also writes the memory to the OS disk, so it must hold it next to the system. */
export function osDiskGb(m: PlannedMachine, hibernation: boolean): number {
  const memoryGb = catalog.instances[m.instanceType]?.memoryGb ?? 0;
  const floor = Math.max(m.diskGb, IMAGE_DISK_GB[m.image.os]);
  return hibernation ? Math.max(floor, Math.ceil(memoryGb) + 8) : floor;
}

/** Hibernation is enabled where the plan asks for it, except on spot VMs (Azure cannot hibernate them). */
export function hibernationEnabled(m: PlannedMachine): boolean {
  return m.hibernation && !m.spot;
}

/**
 * The Windows boot script for Azure: Azure's agent only stores custom data (it runs nothing), so
 * a Custom Script extension runs it; the EC2-style `<powershell>` tags are dropped (`<` does not
 * parse in PowerShell), and the built-in account gets its name back first.
 */
export function windowsBootScript(userData: string): string {
  const body = userData.split("\n").filter((line) => !/^<\/?powershell>$/.test(line.trim()));
  const rename = `if (-not (Get-LocalUser -Name 'Administrator' -ErrorAction SilentlyContinue)) { Rename-LocalUser -Name '${WINDOWS_ADMIN}' -NewName 'Administrator' }`;
  const at = body.findIndex((l) => l.startsWith("$ErrorActionPreference"));
  body.splice(at < 0 ? 0 : at + 1, 0, rename);
  return body.join("\n");
}

/** What the Custom Script extension runs: the custom data, copied to a .ps1, run, then removed (it holds the password). */
export const WINDOWS_RUN_CUSTOM_DATA =
  'powershell.exe -NoProfile -ExecutionPolicy Bypass -Command "Copy-Item C:\\AzureData\\CustomData.bin C:\\AzureData\\formations.ps1 -Force; ' +
  'try { & C:\\AzureData\\formations.ps1 } finally { Remove-Item C:\\AzureData\\formations.ps1 -Force }"';

/** Azure accepts custom data up to 64 KiB once base64-encoded. */
export const CUSTOM_DATA_LIMIT = 64 * 1024;

export function customData(script: string, who: string): string {
  const encoded = Buffer.from(script, "utf8").toString("base64");
  if (encoded.length > CUSTOM_DATA_LIMIT)
    throw new Error(`${who}: its boot script is ${encoded.length} bytes in base64, over Azure's 64 KiB custom data limit`);
  return encoded;
}

const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/**
 * The OpenSSH public key of an Ed25519 key made from `seed`. Azure's Linux VMs need at least one
 * key when password logins are off; a session without a usable key gets this one, whose private
 * half exists only as the seed in the session's state (a secret): nobody can log in with it.
 */
export function lockKeyFromSeed(seed: Buffer): string {
  const material = createHash("sha256").update(seed).digest();
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, material]), format: "der", type: "pkcs8" });
  const pub = createPublicKey(priv).export({ format: "der", type: "spki" }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return `ssh-ed25519 ${Buffer.concat([field(Buffer.from("ssh-ed25519")), field(pub)]).toString("base64")} formations-no-login`;
}
