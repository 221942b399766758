/**
 * Layer 3 support (no tests here): the cloud-config a VM of a session boots with
 * (plan/cloudinit.ts `cloudConfig`, what every VM adapter's user data is made of), turned into
 * one POSIX sh script that does what Debian's cloud-init does with it, in cloud-init's order:
 * users, packages, files, deferred files, then `runcmd` line by line. Packages cannot be
 * installed (containers here have no network): the script checks each is installed instead and
 * fails naming those that are not, except the ones the caller says it stands in for.
 */
import { shq } from "../../../plan/cloudinit/parts.js";

interface CloudUser {
  name: string;
  system?: boolean;
  shell?: string;
  homedir?: string;
}
interface CloudFile {
  path: string;
  content: string;
  permissions: string;
  encoding?: "b64" | "gz+b64";
  defer?: boolean;
}

/** The parts of a cloud-config this runner knows; anything else makes it refuse (so nothing is silently skipped). */
const KNOWN = new Set([
  "hostname",
  "preserve_hostname",
  "manage_etc_hosts",
  "users",
  "ssh_authorized_keys",
  "package_update",
  "packages",
  "write_files",
  "runcmd",
]);

export interface RunOptions {
  /** Packages the test stands in for (name → what it does instead), not checked. */
  standIns?: Readonly<Record<string, string>>;
}

export function cloudConfigScript(config: Record<string, unknown>, opts: RunOptions = {}): string {
  const unknown = Object.keys(config).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0) throw new Error(`the test's cloud-init runner does not know ${unknown.join(", ")}: teach it (test/workloads/cloudinit/run.ts)`);
  const lines = [
    "#!/bin/sh",
    "# cloud-init's modules for this cloud-config, under sh (test/workloads/cloudinit/run.ts).",
    "set -eu",
    'log() { echo "cloud-init (sh): $*" >&2; }',
  ];
  for (const u of (config.users ?? []) as (string | CloudUser)[]) {
    if (typeof u === "string") continue; // "default": the image's own user
    const args = [...(u.system ? ["--system"] : []), ...(u.homedir ? ["--home-dir", u.homedir] : []), ...(u.shell ? ["--shell", u.shell] : [])]
      .map(shq)
      .join(" ");
    lines.push(`id ${shq(u.name)} >/dev/null 2>&1 || { log "users: adding ${u.name}"; useradd ${args} ${shq(u.name)}; }`);
  }
  const packages = ((config.packages ?? []) as string[]).filter((p) => !(opts.standIns && p in opts.standIns));
  for (const [p, why] of Object.entries(opts.standIns ?? {})) lines.push(`log ${shq(`packages: ${p} not checked: ${why}`)}`);
  if (packages.length > 0) {
    lines.push(
      `missing=""`,
      `for p in ${packages.map(shq).join(" ")}; do dpkg-query -W -f='\${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"; done`,
      `[ -z "$missing" ] || { log "packages: not installed in this image:$missing (no network to install them)"; exit 20; }`,
      `log ${shq(`packages: ${packages.join(" ")} installed`)}`,
    );
  }
  const files = (config.write_files ?? []) as CloudFile[];
  for (const f of [...files.filter((x) => !x.defer), ...files.filter((x) => x.defer)]) {
    const decode = f.encoding === "gz+b64" ? "base64 -d | gunzip" : "base64 -d";
    const bytes = f.encoding ? f.content : Buffer.from(f.content, "utf8").toString("base64");
    lines.push(
      `mkdir -p "$(dirname ${shq(f.path)})"`,
      `printf '%s' ${shq(bytes.replace(/\s+/g, ""))} | ${decode} > ${shq(f.path)}`,
      `chmod ${shq(f.permissions)} ${shq(f.path)}`,
    );
  }
  for (const cmd of (config.runcmd ?? []) as string[]) {
    lines.push(
      `log ${shq(`runcmd: ${cmd.length > 160 ? `${cmd.slice(0, 160)}...` : cmd}`)}`,
      `sh -c ${shq(cmd)} || { rc=$?; log ${shq(`runcmd failed: ${cmd.slice(0, 160)}`)}" (exit $rc)"; exit 21; }`,
    );
  }
  lines.push('log "done"', "");
  return lines.join("\n");
}
