/**
 * Cross-field rules JSON Schema cannot express well. Each rule is a small exported function over
 * the parsed document that returns problems as { pointer, message, hint }, so it can be tested on
 * its own. Rules read the document defensively: they also run when the schema found errors, so the
 * user sees every problem at once.
 */
import { isIPv4, isIPv6 } from "node:net";
import { secretKey } from "./diagnostics.js";
import { joinPointer } from "./locate.js";
import { KINDS, type Kind } from "./types.js";
import { formationSchema } from "./validator.js";
import { CLOUDS, findCloud } from "../clouds/index.js";

export interface RuleProblem {
  pointer: string;
  /** Point at the key (a key that must go) rather than at the value. */
  atKey?: boolean;
  message: string;
  hint?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

/** Where each kind keeps its machine blocks, and the role each one plays. */
const BLOCKS: Record<Kind, [path: string[], role: string][]> = {
  Machine: [[["machine"], "machine"]],
  Docker: [[["host"], "host"]],
  Pool: [[["machine"], "machine"]],
  VirtualLab: [
    [["target", "machine"], "target"],
    [["proxy", "machine"], "proxy"],
  ],
  EMRCluster: [
    [["master", "machine"], "master"],
    [["workers", "machine"], "worker"],
    [["proxy", "machine"], "proxy"],
  ],
  HPCCluster: [
    [["headNode", "machine"], "head"],
    [["computeNodes", "machine"], "compute"],
  ],
};

const isKind = (k: unknown): k is Kind => (KINDS as readonly unknown[]).includes(k);

/**
 * Every machine block of the document's kind, with its pointer. Blocks under keys the kind does
 * not have are skipped: the schema reports those keys, and rules there would only add noise.
 */
export function machineBlocks(doc: Obj): { pointer: string; block: Obj; role: string }[] {
  if (!isKind(doc.kind)) return [];
  const spec = isObj(doc.spec) ? doc.spec : {};
  const out: { pointer: string; block: Obj; role: string }[] = [];
  for (const [path, role] of BLOCKS[doc.kind]) {
    let cur: unknown = spec;
    for (const p of path) cur = isObj(cur) ? cur[p] : undefined;
    if (isObj(cur)) out.push({ pointer: `/spec/${path.join("/")}`, block: cur, role });
  }
  return out;
}

const SSH_TYPES: Record<string, string> = {
  "ssh-ed25519": "ssh-ed25519",
  "ssh-rsa": "ssh-rsa",
  "ecdsa-sha2-nistp256": "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384": "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521": "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com": "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com": "sk-ecdsa-sha2-nistp256@openssh.com",
};

/** The key's base64 blob must decode and name the same key type as its prefix. */
export function sshKeys(doc: Obj): RuleProblem[] {
  const keys = isObj(doc.access) && Array.isArray(doc.access.sshPublicKeys) ? doc.access.sshPublicKeys : [];
  const out: RuleProblem[] = [];
  keys.forEach((k, i) => {
    const [type, blob] = (str(k) ?? "").split(" ");
    // The schema reports malformed lines; checking their blob too would report one mistake twice.
    if (!type || !blob || !(type in SSH_TYPES) || !/^AAAA[A-Za-z0-9+/]+={0,3}$/.test(blob)) return;
    const bytes = Buffer.from(blob, "base64");
    const len = bytes.length >= 4 ? bytes.readUInt32BE(0) : -1;
    const inner = len > 0 && len <= 64 && bytes.length >= 4 + len ? bytes.subarray(4, 4 + len).toString("latin1") : undefined;
    // Ed25519 blobs have a fixed size: type string + 32-byte key; a truncated paste fails here.
    const truncated = inner === type && type === "ssh-ed25519" && bytes.length !== 4 + 11 + 4 + 32;
    if (inner !== type || truncated) {
      out.push({
        pointer: `/access/sshPublicKeys/${i}`,
        message:
          inner && !truncated ? `SSH key says '${type}' but its data is a '${inner}' key` : "SSH public key data is corrupt (not a valid OpenSSH key blob)",
        hint: "paste the whole line of your .pub file again",
      });
    }
  });
  return out;
}

const CIDR = new RegExp((formationSchema.$defs.access.properties.allowFrom.items as { pattern: string }).pattern, "u");

/** CIDRs must be real addresses, and must not have host bits set (a common typo). */
export function cidrs(doc: Obj): RuleProblem[] {
  const list = isObj(doc.access) && Array.isArray(doc.access.allowFrom) ? doc.access.allowFrom : [];
  const out: RuleProblem[] = [];
  list.forEach((c, i) => {
    const s = str(c);
    // Only well-formed items: the schema reports the rest (and '/33' once made BigInt() throw).
    if (!s || !CIDR.test(s)) return;
    const [addr = "", bitsText = ""] = s.split("/");
    const bits = Number(bitsText);
    const pointer = `/access/allowFrom/${i}`;
    if (addr.includes(":")) {
      if (!isIPv6(addr)) out.push({ pointer, message: `'${s}' is not a valid IPv6 CIDR`, hint: "e.g. '2001:db8::/32'" });
      return;
    }
    if (!isIPv4(addr)) return; // the schema reports it
    const n = addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
    const mask = bits === 0 ? 0 : 2 ** 32 - 2 ** (32 - bits);
    const net = Number((BigInt(n) & BigInt(mask)).toString());
    if (net !== n) {
      const fixed = [24, 16, 8, 0].map((sh) => (net / 2 ** sh) & 255).join(".");
      out.push({ pointer, message: `'${s}' has host bits set`, hint: `did you mean '${fixed}/${bits}'? (or '${addr}/32' for one address)` });
    }
  });
  return out;
}

// The portable label rule, as the schema states it (the schema is the one source of truth).
const labelSchema = formationSchema.$defs.labels as unknown as { propertyNames: { pattern: string }; additionalProperties: { pattern: string } };
const PORTABLE_LABEL_KEY = new RegExp(labelSchema.propertyNames.pattern, "u");
const PORTABLE_LABEL_VALUE = new RegExp(labelSchema.additionalProperties.pattern, "u");

/** Labels are lower case on some clouds (GCP); the portable rule in the schema allows upper case for the others. */
export function lowerCaseLabels(doc: Obj): RuleProblem[] {
  const who = isObj(doc.cloud) ? findCloud(doc.cloud.provider)?.checks.lowerCaseLabels : undefined;
  if (!who) return [];
  const labels = isObj(doc.metadata) && isObj(doc.metadata.labels) ? doc.metadata.labels : {};
  const out: RuleProblem[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const pointer = joinPointer("/metadata/labels", k);
    // Labels the portable rule already refuses are reported once, by the schema.
    if (!PORTABLE_LABEL_KEY.test(k) || k.length > 63) continue;
    if (!/^[a-z][a-z0-9_-]*$/.test(k))
      out.push({
        pointer,
        atKey: true,
        message: `${who} label key '${k}' must be lower-case letters, digits, _ and -, starting with a letter`,
        hint: `use '${k.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}'`,
      });
    const val = str(v);
    if (val !== undefined && PORTABLE_LABEL_VALUE.test(val) && val.length <= 63 && !/^[a-z0-9_-]*$/.test(val)) {
      // A label named like a credential (DB_PASSWORD) keeps its value out of the message.
      if (secretKey(k)) out.push({ pointer, message: `${who} label value of '${k}' must be lower-case letters, digits, _ and -` });
      else
        out.push({
          pointer,
          message: `${who} label value '${val}' must be lower-case letters, digits, _ and -`,
          hint: `use '${val.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}'`,
        });
    }
  }
  return out;
}

const ROLE_WORDS: Record<string, string> = { head: "head node", compute: "compute nodes", worker: "workers" };

/** Rules that depend on the cloud (clouds/cloud.ts `checks`): a Docker engine runs no VM and no Windows, instance types, image ids of another cloud. */
export function providerFit(doc: Obj): RuleProblem[] {
  const provider = isObj(doc.cloud) ? str(doc.cloud.provider) : undefined;
  const cloud = findCloud(provider);
  const out: RuleProblem[] = [];
  const spec = isObj(doc.spec) ? doc.spec : {};
  if (doc.kind === "Docker" && cloud?.planning.machines === "containers" && "host" in spec) {
    out.push({
      pointer: "/spec/host",
      atKey: true,
      message: `'spec.host' (the VM that runs the container) is only for cloud providers; on ${provider} the container runs on the engine itself`,
      hint: "remove 'host', or use 'cloud.host' to pick a Docker engine",
    });
  }
  for (const { pointer, block, role } of machineBlocks(doc)) {
    const image = str(block.image) ?? "";
    const type = str(block.instanceType);
    const types = cloud?.checks.instanceType;
    if (types && type !== undefined && !types.pattern.test(type)) {
      out.push({ pointer: `${pointer}/instanceType`, message: `'${type}' is not a ${provider} instance type`, hint: types.hint });
    }
    const noSpot = cloud?.checks.noSpot;
    if (noSpot && block.spot === true)
      out.push({ pointer: `${pointer}/spot`, message: `'spot: true' cannot be used on the ${provider} provider: ${noSpot.reason}`, hint: noSpot.hint });
    if (image.startsWith("windows")) {
      if (cloud && !cloud.checks.windows)
        out.push({
          pointer: `${pointer}/image`,
          message: `Windows images cannot run on the ${provider} provider`,
          hint: "use a Linux image such as 'ubuntu-22.04', or a cloud provider",
        });
      else if (role !== "machine" && role !== "target") {
        out.push({
          pointer: `${pointer}/image`,
          message: `Windows is not supported on the ${ROLE_WORDS[role] ?? role} of ${String(doc.kind)} formations: it runs Linux software`,
          hint: "use a Linux image such as 'ubuntu-22.04'",
        });
      }
    }
    // An unknown provider is already an error; "an image id of aws, but this runs on AWS" would repeat it.
    if (!cloud) continue;
    for (const owner of Object.values(CLOUDS)) {
      if (owner !== cloud && owner.checks.imageId?.test(image))
        out.push({
          pointer: `${pointer}/image`,
          message: `'${image}' is an image id of ${owner.provider}, but this formation runs on ${provider}`,
          hint: "use an image alias such as 'ubuntu-22.04', or an image id of this provider",
        });
    }
  }
  return out;
}

/** Two published ports cannot share a host port and protocol. */
export function containerPorts(doc: Obj): RuleProblem[] {
  if (doc.kind !== "Docker") return []; // elsewhere 'container' is an unknown key, already reported
  const spec = isObj(doc.spec) ? doc.spec : {};
  const container = isObj(spec.container) ? spec.container : {};
  const ports = Array.isArray(container.ports) ? container.ports : [];
  const seen = new Map<string, number>();
  const out: RuleProblem[] = [];
  ports.forEach((p, i) => {
    if (!isObj(p)) return;
    const host = typeof p.host === "number" ? p.host : p.container;
    const key = `${String(host)}/${String(p.protocol ?? "tcp")}`;
    const first = seen.get(key);
    if (first !== undefined)
      out.push({
        pointer: `/spec/container/ports/${i}`,
        message: `host port ${key} is already published by item ${first + 1} of 'ports'`,
        hint: "give one of them another 'host' port",
      });
    else seen.set(key, i);
  });
  return out;
}

/** The zone must lie in the region, on clouds that name zones after their region (aws, gcp). */
export function zoneInRegion(doc: Obj): RuleProblem[] {
  if (!isObj(doc.cloud)) return [];
  const { provider, region, zone } = doc.cloud;
  const zoneOf = findCloud(provider)?.checks.zoneOf;
  if (zoneOf && typeof region === "string" && typeof zone === "string" && !zone.startsWith(region)) {
    return [{ pointer: "/cloud/zone", message: `zone '${zone}' is not in region '${region}'`, hint: `e.g. '${zoneOf(region)}'` }];
  }
  return [];
}

/** The region must be one of the cloud's, on clouds with a fixed list (clouds/cloud.ts `checks.regions`). */
export function regionKnown(doc: Obj): RuleProblem[] {
  if (!isObj(doc.cloud)) return [];
  const { provider, region } = doc.cloud;
  const regions = findCloud(provider)?.checks.regions;
  if (!regions || typeof region !== "string" || regions.includes(region)) return [];
  const near = regions.find((r) => r.toLowerCase() === region.toLowerCase());
  return [
    {
      pointer: "/cloud/region",
      message: `'${region}' is not a region of ${String(provider)}`,
      hint: near ? `region codes are upper case: '${near}'` : `one of ${regions.join(", ")}`,
    },
  ];
}

/**
 * A Docker spec's container-service key (`ecs`) asks for the service of the cloud that has it:
 * refused on any other cloud, and checked against what the service can run (clouds/cloud.ts
 * `containerService`).
 */
export function containerService(doc: Obj): RuleProblem[] {
  if (doc.kind !== "Docker" || !isObj(doc.spec)) return [];
  const spec = doc.spec;
  const provider = isObj(doc.cloud) ? str(doc.cloud.provider) : undefined;
  const cloud = findCloud(provider);
  const out: RuleProblem[] = [];
  for (const owner of Object.values(CLOUDS)) {
    const field = owner.containerService?.field;
    if (!field || !(field in spec)) continue;
    if (cloud && owner !== cloud && cloud.containerService?.field !== field) {
      out.push({
        pointer: `/spec/${field}`,
        atKey: true,
        message: `'spec.${field}' runs the container on ${owner.provider}'s container service, but this formation runs on ${String(provider)}`,
        hint: `remove '${field}' (a host VM runs the container), or use provider ${owner.provider}`,
      });
    } else if (owner === cloud && isObj(spec[field])) {
      const why = owner.containerService?.refusal?.(spec[field], spec);
      if (why) out.push(why);
    }
  }
  return out;
}

export const RULES = [sshKeys, cidrs, lowerCaseLabels, providerFit, containerPorts, zoneInRegion, regionKnown, containerService] as const;

export function runRules(doc: unknown): RuleProblem[] {
  if (!isObj(doc)) return [];
  return RULES.flatMap((rule) => rule(doc));
}
