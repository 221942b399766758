/**
 * Azure snapshots: a machine image captured from the VM into an Azure Compute Gallery, as a
 * *specialized* image version (the VM's disks as they are: users, keys, installed software).
 *
 * Why a gallery and not a managed image (`images.beginCreateOrUpdate` with `sourceVirtualMachine`):
 * Azure only makes a managed image of a *generalized* VM ("The operation 'Create Image' requires
 * the Virtual Machine to be Generalized"), and generalizing is irreversible: the VM never starts
 * again. Specialized images exist only in galleries, and a gallery takes a running or stopped VM
 * as its source. A running VM is captured as it is, so the image is crash-consistent (like pulling
 * the plug); the result says so, and a stopped VM gives a clean image.
 *
 * The gallery lives in its own resource group (default `formations-images`, created on first use
 * in the VM's region), never in the session's `<session>-rg`: deleting a session deletes that
 * group and everything in it, and snapshots must outlive the session. One gallery per region
 * (`formations_<region>`: an image version's source must be in the gallery's region), one image
 * definition per machine (or per `--name`), one version per snapshot, named from the time.
 */
import type { ComputeManagementClient, GalleryImage, VirtualMachine } from "@azure/arm-compute";
import { label, vmRef, type AzureArm, type Seen } from "./arm.js";
import { ActionError, type ActionTarget } from "../../../automation/actions/types.js";

/** ARM's resource groups API version (the compute SDK has no resource group operations). */
export const RESOURCE_GROUPS_API = "2021-04-01";
/** The resource group galleries live in unless the driver is told otherwise. */
export const DEFAULT_IMAGE_GROUP = "formations-images";

/** Options of one capture. */
export interface CaptureOptions {
  /** Resource group of the galleries. */
  resourceGroup: string;
  /** Image definition name; default `<session>-<machine>`. */
  name?: string;
  /** Time of the snapshot: it names the version. */
  now: Date;
  /** Bound on waiting for the gallery and definition to be created, in ms. */
  waitMs: number;
  /** Interval of polling their creation, in ms. */
  pollMs: number;
}

/** Gallery names allow letters, digits, dots and underscores only. */
export const galleryName = (location: string) => `formations_${location.replace(/[^A-Za-z0-9]/g, "")}`;

/** An image version name (three int32 numbers) from a time: `2026.102.30405` for 2026-01-02 03:04:05 UTC. */
export function versionName(d: Date): string {
  return `${d.getUTCFullYear()}.${(d.getUTCMonth() + 1) * 100 + d.getUTCDate()}.${d.getUTCHours() * 10_000 + d.getUTCMinutes() * 100 + d.getUTCSeconds()}`;
}

/** Arm64 sizes carry a lowercase `p` among their feature letters (D2ps_v5, E4pds_v5, D2pls_v6). */
export const isArm64Size = (size: string | undefined) => /^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d+$/.test(size ?? "");

/** The image definition a VM's versions need: same OS, generation, architecture, security type, plan. */
export function definitionFor(vm: VirtualMachine, location: string, name: string, t: ActionTarget): GalleryImage {
  const security = vm.securityProfile?.securityType;
  const features = [
    ...(security ? [{ name: "SecurityType", value: security }] : []),
    ...(vm.additionalCapabilities?.hibernationEnabled ? [{ name: "IsHibernateSupported", value: "True" }] : []),
  ];
  return {
    location,
    description: `formations snapshots of ${label(t)}`,
    osType: vm.storageProfile?.osDisk?.osType ?? "Linux",
    osState: "Specialized",
    ...(vm.instanceView?.hyperVGeneration ? { hyperVGeneration: vm.instanceView.hyperVGeneration } : {}),
    architecture: isArm64Size(vm.hardwareProfile?.vmSize) ? "Arm64" : "x64",
    // Unique within the gallery: the offer is the definition's own name.
    identifier: { publisher: "formations", offer: name, sku: "specialized" },
    ...(features.length ? { features } : {}),
    // A Marketplace image with terms (e.g. Rocky Linux) keeps its plan, or VMs from the image fail.
    ...(vm.plan?.name && vm.plan.publisher && vm.plan.product
      ? { purchasePlan: { name: vm.plan.name, publisher: vm.plan.publisher, product: vm.plan.product } }
      : {}),
    tags: tags(t),
  };
}

/**
 * Captures the VM as a new image version and returns its id as soon as Azure accepted it (the
 * copy itself takes minutes; the version's provisioning state follows it). Creates the resource
 * group, gallery and definition first when they are missing.
 */
export async function captureImage(arm: AzureArm, t: ActionTarget, seen: Seen, o: CaptureOptions): Promise<string> {
  const vm = seen.vm;
  if (!vm?.id || !vm.location) throw new ActionError("other", `Azure returned no id or location for ${label(t)}`, { from: seen.state });
  const { id: vmId, location } = vm;
  const gallery = galleryName(location);
  const definition = o.name ?? `${t.session}-${t.machine}`;
  const version = versionName(o.now);
  const rg = o.resourceGroup;
  const from = seen.state;
  await arm.call(t, (c, ref) => ensureResourceGroup(c, ref.subscription, rg, location), { from });
  if (!(await exists(arm, t, (c) => c.galleries.get(rg, gallery)))) {
    const body = { location, description: "formations snapshots: machine images that outlive their sessions", tags: { "managed-by": "formations" } };
    await arm.run(t, (c) => c.galleries.beginCreateOrUpdate(rg, gallery, body, { updateIntervalInMs: o.pollMs }), o.waitMs, from);
  }
  if (!(await exists(arm, t, (c) => c.galleryImages.get(rg, gallery, definition)))) {
    const body = definitionFor(vm, location, definition, t);
    await arm.run(t, (c) => c.galleryImages.beginCreateOrUpdate(rg, gallery, definition, body, { updateIntervalInMs: o.pollMs }), o.waitMs, from);
  }
  const body = { location, storageProfile: { source: { virtualMachineId: vmId } }, tags: tags(t) };
  // Not waited for: the id is known as soon as Azure has accepted the version.
  await arm.call(t, (c) => c.galleryImageVersions.beginCreateOrUpdate(rg, gallery, definition, version, body), { from });
  return `/subscriptions/${vmRef(t).subscription}/resourceGroups/${rg}/providers/Microsoft.Compute/galleries/${gallery}/images/${definition}/versions/${version}`;
}

/** Whether a resource exists: its GET answered, or said 404. */
async function exists(arm: AzureArm, t: ActionTarget, get: (c: ComputeManagementClient) => Promise<unknown>): Promise<boolean> {
  try {
    await arm.call(t, (c) => get(c));
    return true;
  } catch (err) {
    if (err instanceof ActionError && err.kind === "not-found") return false;
    throw err;
  }
}

/**
 * The images resource group, created in the VM's region when missing. A raw ARM request through
 * the compute client's own pipeline (same credential, same retry settings): a whole resources SDK
 * for two calls would cost more than it gives. GET first: a PUT on an existing group would replace
 * its tags.
 */
async function ensureResourceGroup(c: ComputeManagementClient, subscription: string, rg: string, location: string): Promise<void> {
  const { createHttpHeaders, createPipelineRequest } = await import("@azure/core-rest-pipeline");
  const url = `https://management.azure.com/subscriptions/${encodeURIComponent(subscription)}/resourcegroups/${encodeURIComponent(rg)}?api-version=${RESOURCE_GROUPS_API}`;
  const got = await c.sendRequest(createPipelineRequest({ url, method: "GET" }));
  if (got.status === 200) return;
  if (got.status !== 404) throw armError(got.status, got.bodyAsText, got.headers);
  const body = JSON.stringify({ location, tags: { "managed-by": "formations" } });
  const put = await c.sendRequest(createPipelineRequest({ url, method: "PUT", body, headers: createHttpHeaders({ "content-type": "application/json" }) }));
  if (put.status !== 200 && put.status !== 201) throw armError(put.status, put.bodyAsText, put.headers);
}

/** An ARM error answer in the shape the classifier reads (status, ARM code, message, headers for Retry-After). */
function armError(status: number, text: string | null | undefined, headers: { get(name: string): string | undefined }): Error {
  let code: string | undefined;
  let message = `HTTP ${status}`;
  try {
    const e = (JSON.parse(text ?? "") as { error?: { code?: string; message?: string } }).error;
    code = e?.code;
    message = e?.message ?? message;
  } catch {
    // not JSON (a proxy's page): the status says enough
  }
  return Object.assign(new Error(message), { statusCode: status, ...(code ? { code } : {}), response: { headers } });
}

const tags = (t: ActionTarget) => ({ "managed-by": "formations", "formations-snapshot-of": label(t) });
