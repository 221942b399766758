/**
 * The pieces a role contributes to a machine's cloud-init: packages, files, commands and extra
 * cloud-config keys, plus the distribution-specific helpers every role shares (package names,
 * extra repositories, Docker, NFS). Pure: no I/O, no `@pulumi/*`.
 */
import type { ResolvedImage } from "../types.js";

/** Package family of a Linux image: the names and tools differ between them. */
export type Family = "debian" | "rhel";

export interface WriteFile {
  path: string;
  content: string;
  /** Octal mode as cloud-init wants it ("0644"). */
  permissions: string;
  /** `b64` when `content` is base64 (binary keys); `gz+b64` when it is gzip, then base64 (the idle agent's script). */
  encoding?: "b64" | "gz+b64";
  /** Written after packages and users exist (files in a user's home, files owned by a package's user). */
  defer?: boolean;
}

export interface Parts {
  family: Family;
  /** Installed by cloud-init's package module (base repositories only). */
  packages: string[];
  /** Commands that add repositories and install from them (EPEL, Docker CE); run before `commands`. */
  install: string[];
  files: WriteFile[];
  /** Shell commands run once, in order, at the end of the first boot (runcmd). */
  commands: string[];
  /** Extra top-level cloud-config keys (users, chpasswd...). */
  extra: Record<string, unknown>;
}

const RHEL_LIKE = /(rocky|rhel|red ?hat|alma|centos|fedora|oracle|amzn|amazon)/i;

/** The package family of an image: from its alias, else guessed from its id (Debian/Ubuntu by default). */
export function familyOf(image: ResolvedImage): Family {
  const name = image.alias ?? image.id ?? image.lookup?.nameFilter ?? "";
  return RHEL_LIKE.test(name) ? "rhel" : "debian";
}

export function emptyParts(family: Family): Parts {
  return { family, packages: [], install: [], files: [], commands: [], extra: {} };
}

/** Base-repository packages, named per family. */
export function need(p: Parts, debian: readonly string[], rhel: readonly string[]): void {
  for (const name of p.family === "debian" ? debian : rhel) if (!p.packages.includes(name)) p.packages.push(name);
}

/**
 * Packages that come from EPEL on RHEL-family images (Slurm, munge, xrdp...). EPEL 9 needs the
 * CodeReady Builder repository for some dependencies, so it is enabled first.
 */
export function needEpel(p: Parts, debian: readonly string[], rhel: readonly string[]): void {
  if (p.family === "debian") return need(p, debian, []);
  const enable = "dnf install -y dnf-plugins-core epel-release && (dnf config-manager --set-enabled crb || true)";
  if (!p.install.includes(enable)) p.install.push(enable);
  if (rhel.length > 0) p.install.push(`dnf install -y ${rhel.join(" ")}`);
}

/** Docker Engine: the distribution's package on Debian/Ubuntu, Docker CE's repository on RHEL-family images. */
export function installDocker(p: Parts): void {
  if (p.family === "debian") need(p, ["docker.io"], []);
  else {
    const cmd =
      "dnf install -y dnf-plugins-core && dnf config-manager --add-repo https://download.docker.com/linux/rhel/docker-ce.repo && dnf install -y docker-ce docker-ce-cli containerd.io";
    if (!p.install.includes(cmd)) p.install.push(cmd);
  }
  if (!p.commands.includes("systemctl enable --now docker")) p.commands.push("systemctl enable --now docker");
}

/** NFS options AWS recommends for EFS; fine for any NFSv4.1 server. */
export const NFS_OPTIONS = "nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev";

/**
 * Mounts an NFS export at `mountPath`, now and at every boot. The server may still be coming up
 * (a new EFS mount target, the head node's first boot), so the first mount retries for 15 minutes.
 */
export function mountNfs(p: Parts, source: string, mountPath: string): void {
  need(p, ["nfs-common"], ["nfs-utils"]);
  p.files.push({
    path: "/usr/local/sbin/formations-mount-shared",
    permissions: "0755",
    content: [
      "#!/bin/sh",
      "# Mounts the session's shared file system; retries while the server comes up.",
      "set -u",
      `mkdir -p ${shq(mountPath)}`,
      `grep -qs ${shq(` ${mountPath} `)} /etc/fstab || echo ${shq(`${source} ${mountPath} nfs4 ${NFS_OPTIONS} 0 0`)} >> /etc/fstab`,
      "for i in $(seq 1 90); do",
      `  mountpoint -q ${shq(mountPath)} && exit 0`,
      `  mount ${shq(mountPath)} && exit 0`,
      "  sleep 10",
      "done",
      `echo "formations: could not mount ${source}" >&2`,
      "exit 1",
      "",
    ].join("\n"),
  });
  p.commands.push("/usr/local/sbin/formations-mount-shared");
}

/** Exports `mountPath` over NFS to the session network (the head node when there is no managed file system). */
export function exportNfs(p: Parts, mountPath: string, cidr: string): void {
  need(p, ["nfs-kernel-server"], ["nfs-utils"]);
  p.files.push({ path: "/etc/exports.d/formations.exports", permissions: "0644", content: `${mountPath} ${cidr}(rw,sync,no_subtree_check,no_root_squash)\n` });
  p.commands.push(`mkdir -p ${shq(mountPath)} && chmod 1777 ${shq(mountPath)}`, "systemctl enable --now nfs-server", "exportfs -ra");
}

/** Quotes a string for a POSIX shell. */
export function shq(s: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Escapes text for an XML attribute or element. */
export function xml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
}

/** A self-signed certificate for a gateway's TLS (users accept it once, or put a real one in front). */
export function selfSignedCert(p: Parts, dir: string, commonName: string): void {
  need(p, ["openssl"], ["openssl"]);
  p.commands.push(
    `mkdir -p ${shq(dir)} && [ -s ${shq(`${dir}/cert.pem`)} ] || openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj ${shq(`/CN=${commonName}`)} -keyout ${shq(`${dir}/key.pem`)} -out ${shq(`${dir}/cert.pem`)}`,
    `chmod 0600 ${shq(`${dir}/key.pem`)}`,
  );
}
