#!/usr/bin/env bash
# Local container images for the workloads the Docker provider runs (Slurm, Spark, the virtual
# lab's gateway and desktop), built from Debian's packages and Maven Central, since no image
# registry is reachable from the machines this project is built and tested on.
#
#   scripts/images.sh build [all|NAME...]  # build what is missing; prints NAME=IMAGE per image
#   scripts/images.sh list                 # NAME, IMAGE, and whether the engine has it
#   scripts/images.sh tag NAME             # the image reference of NAME (no build)
#   eval "$(scripts/images.sh env)"        # FORMATIONS_IMAGE_<NAME>=... for every image
#
# Each image is `formations-local/<name>:<hash12>`, the hash being a content hash of its recipe
# folder (scripts/images/<name>/) and of this script: a warm run finds every tag on the engine
# and does nothing. A recipe folder holds
#   recipe    bash variables: SUITE (Debian release), UPDATES (which of its `updates` and
#             `security` suites to use; both by default), PACKAGES (installed without recommends),
#             CHANGES (Dockerfile instructions for `docker import --change`: USER, CMD, ENV...)
#   files/    copied over the root file system after the packages (entrypoints, configuration)
#   setup.sh  optional, run inside the root file system after that (users, permissions)
#   host.sh   optional, run on the host with ROOTFS, M2 and RECIPE set (Maven downloads, javac)
#
# How a build goes: debootstrap (minbase) of SUITE once, kept as a tarball; unpack it in a
# scratch folder, apt-get install inside it (chroot, the host's network: containers on this
# engine have none), run the hooks, strip documentation and caches, `docker import`. Downloads
# are cached under $FORMATIONS_IMAGE_CACHE (default ~/.cache/formations/images): Debian's .debs
# per suite, the debootstrap tarball, and a Maven local repository.
#
# Needs root (chroot, mount), a Docker engine (DOCKER_HOST), and Debian's apt repositories and
# Maven Central. Installs debootstrap, maven and a JDK from Debian when they are missing.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RECIPES=$ROOT/scripts/images
CACHE=${FORMATIONS_IMAGE_CACHE:-$HOME/.cache/formations/images}
MIRROR=${FORMATIONS_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=formations-local
export PATH=$PATH:/usr/sbin:/sbin

log() { echo "images: $*" >&2; }
die() { log "$*"; exit 1; }

names() { local d; for d in "$RECIPES"/*/; do [[ -f $d/recipe ]] && basename "$d"; done; }

known() { [[ -f $RECIPES/$1/recipe ]] || die "no image '$1' (known: $(names | tr '\n' ' '))"; }

# Content hash of a recipe: its files (paths and bytes) and this script's build steps.
hash_of() {
  (
    cd "$RECIPES/$1"
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum <"$ROOT/scripts/images.sh"
  ) | sha256sum | cut -c1-12
}

tag_of() { echo "$REPO/$1:$(hash_of "$1")"; }

present() { docker image inspect "$1" >/dev/null 2>&1; }

# Host tools a cold build needs, from Debian (waits for another apt to finish).
host_tools() {
  local pkgs=()
  command -v debootstrap >/dev/null || pkgs+=(debootstrap)
  command -v mvn >/dev/null || pkgs+=(maven)
  command -v javac >/dev/null || pkgs+=(default-jdk-headless)
  ((${#pkgs[@]})) || return 0
  log "installing ${pkgs[*]} on the host"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  apt-get -o DPkg::Lock::Timeout=900 update -qq >&2
  apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
}

# The minbase root file system of a Debian release, as a tarball made once.
base_tarball() {
  local suite=$1 tarball=$CACHE/base/$1-minbase.tar
  if [[ ! -s $tarball ]]; then
    local dir t0=$SECONDS
    mkdir -p "$CACHE/base" "$CACHE/debs/$suite"
    dir=$(mktemp -d "$CACHE/base/.$suite.XXXXXX")
    log "debootstrap $suite (minbase) into $dir"
    debootstrap --variant=minbase --cache-dir="$CACHE/debs/$suite" "$suite" "$dir" "$MIRROR" >&2 ||
      { rm -rf --one-file-system "$dir"; die "debootstrap $suite failed"; }
    tar -C "$dir" --numeric-owner -cf "$tarball.tmp" .
    mv "$tarball.tmp" "$tarball"
    rm -rf --one-file-system "$dir"
    log "debootstrap $suite took $((SECONDS - t0)) s"
  fi
  echo "$tarball"
}

# Mounts under the scratch root file system; never remove it while one is left.
ROOTFS=''
mounts_under() { awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r; }
unmount_all() {
  [[ -n $ROOTFS ]] || return 0
  local m
  for m in $(mounts_under "$ROOTFS"); do umount "$m" || umount -l "$m"; done
}
cleanup() {
  [[ -n $ROOTFS && -d $ROOTFS ]] || return 0
  unmount_all
  if [[ -n $(mounts_under "$ROOTFS") ]]; then log "left $ROOTFS in place: still mounted"; return 0; fi
  rm -rf --one-file-system "$ROOTFS"
  ROOTFS=''
}
trap cleanup EXIT

in_root() { chroot "$ROOTFS" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

build_one() {
  local name=$1 image t0=$SECONDS
  image=$(tag_of "$name")
  if present "$image"; then log "$name: $image is up to date"; echo "$name=$image"; return 0; fi
  host_tools
  local SUITE='' UPDATES='updates security' PACKAGES=() CHANGES=()
  # shellcheck source=/dev/null
  source "$RECIPES/$name/recipe"
  [[ -n $SUITE ]] || die "$name: recipe sets no SUITE"
  local tarball
  tarball=$(base_tarball "$SUITE")
  mkdir -p "$CACHE/work" "$CACHE/debs/$SUITE/partial"
  ROOTFS=$(mktemp -d "$CACHE/work/$name.XXXXXX")
  log "$name: building $image in $ROOTFS"
  tar -C "$ROOTFS" -xf "$tarball"
  chmod 755 "$ROOTFS"
  # Packages come from the host's network through the chroot; no service starts while installing.
  cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
  chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
  {
    echo "deb $MIRROR $SUITE main"
    [[ $UPDATES != *updates* ]] || echo "deb $MIRROR $SUITE-updates main"
    [[ $UPDATES != *security* ]] || echo "deb $MIRROR-security $SUITE-security main"
  } >"$ROOTFS/etc/apt/sources.list"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$ROOTFS/etc/apt/apt.conf.d/90formations"
  mount -t proc proc "$ROOTFS/proc"
  mount --bind "$CACHE/debs/$SUITE" "$ROOTFS/var/cache/apt/archives"
  in_root apt-get update -qq >&2
  in_root apt-get -y -qq -o Dpkg::Use-Pty=0 dist-upgrade >/dev/null
  if ((${#PACKAGES[@]})); then
    log "$name: apt-get install ${PACKAGES[*]}"
    in_root apt-get install -y -qq -o Dpkg::Use-Pty=0 "${PACKAGES[@]}" >/dev/null
  fi
  if [[ -f $RECIPES/$name/host.sh ]]; then
    log "$name: host.sh"
    ROOTFS=$ROOTFS M2=$CACHE/m2 RECIPE=$RECIPES/$name bash "$RECIPES/$name/host.sh" >&2
  fi
  if [[ -d $RECIPES/$name/files ]]; then cp -r --no-preserve=ownership "$RECIPES/$name/files/." "$ROOTFS/"; fi
  if [[ -f $RECIPES/$name/setup.sh ]]; then
    log "$name: setup.sh"
    cp "$RECIPES/$name/setup.sh" "$ROOTFS/tmp/setup.sh"
    in_root /bin/bash -euo pipefail /tmp/setup.sh >&2
  fi
  in_root apt-get clean
  unmount_all
  # What an image does not need: package lists, documentation, translations, the build's resolver.
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* \
    "$ROOTFS"/usr/share/info/* "$ROOTFS"/usr/share/locale/* "$ROOTFS"/var/log/*.log "$ROOTFS"/tmp/* "$ROOTFS"/var/tmp/* \
    "$ROOTFS/usr/sbin/policy-rc.d" "$ROOTFS/etc/apt/apt.conf.d/90formations"
  : >"$ROOTFS/etc/resolv.conf"
  local args=() c
  for c in "${CHANGES[@]}"; do args+=(--change "$c"); done
  tar -C "$ROOTFS" --numeric-owner -c . |
    docker import "${args[@]}" --change "LABEL formations-image=$name" --message "formations $name ($SUITE)" - "$image" >/dev/null
  docker tag "$image" "$REPO/$name:latest"
  cleanup
  log "$name: built $image in $((SECONDS - t0)) s ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1 / 1e6}'))"
  echo "$name=$image"
}

build() {
  local list=("$@")
  if ((${#list[@]} == 0)) || [[ ${list[0]} == all ]]; then mapfile -t list < <(names); fi
  local n
  for n in "${list[@]}"; do known "$n"; done
  [[ $(id -u) == 0 ]] || die "building needs root (chroot, mount)"
  docker info >/dev/null 2>&1 || die "no Docker engine at ${DOCKER_HOST:-the default socket}: eval \"\$(scripts/docker-engine.sh start)\""
  for n in "${list[@]}"; do build_one "$n"; done
}

list() {
  local n image
  for n in $(names); do
    image=$(tag_of "$n")
    printf '%-10s %-40s %s\n' "$n" "$image" "$(present "$image" && echo built || echo missing)"
  done
}

env_lines() {
  local n
  for n in $(names); do echo "export FORMATIONS_IMAGE_${n^^}=$(tag_of "$n")"; done
}

case ${1:-} in
build) shift; build "$@" ;;
list) list ;;
tag) [[ -n ${2:-} ]] || die "usage: $0 tag NAME"; known "$2"; tag_of "$2" ;;
env) env_lines ;;
*) echo "usage: $0 build [all|NAME...] | list | tag NAME | env" >&2; exit 2 ;;
esac
