#!/usr/bin/env bash
# A real, private Docker engine for the tests (Debian's docker.io, 20.10.24).
#
#   scripts/docker-engine.sh start   # install if needed, start, build test image
#   scripts/docker-engine.sh stop    # stop the daemon started by `start`
#   scripts/docker-engine.sh env     # print the DOCKER_HOST line
#   eval "$(scripts/docker-engine.sh start)"   # progress goes to stderr
#
# Why these dockerd flags (tried on this machine, kernel 6.18, cgroup v1, root):
# - Own socket, data root and exec root under $FORMATIONS_DOCKER_DIR, so it
#   never meets a system daemon's /var/run/docker.sock or /var/lib/docker.
# - --iptables=false: leave the host's firewall alone (other tests share this
#   machine). No NAT, no inter-network isolation rules; -p still works
#   through docker-proxy (userland proxy), e.g. -p 127.0.0.1:18080:80.
# - --ip-forward=false: dockerd otherwise sets net.ipv4.ip_forward=1 on the
#   host, and with no NAT containers could route packets out of eth0 with
#   their 172.x source. With it off, containers reach only their own bridge
#   and the host, and separate networks are isolated as with real Docker.
#   Side effect: every `docker run` prints "WARNING: IPv4 forwarding is
#   disabled. Networking will not work." -- harmless, same-bridge traffic
#   is layer 2 and works.
# - No --bridge=none: bridges and veth work here, so keep the default
#   `bridge` network (docker0). With --bridge=none a container created
#   without --network gets only `lo`, and a later `docker network connect`
#   succeeds but adds no interface.
# - --storage-driver vfs: works on any filesystem; fine for tiny images.
#   overlay2 also works on this ext4 /tmp (FORMATIONS_DOCKER_STORAGE=overlay2).
#
# Verified working with these flags: user-defined bridge networks; two
# containers on one reaching each other by name and by --network-alias
# (embedded DNS 127.0.0.11; busybox ping, nc, nslookup); `network connect`
# and `disconnect` on running containers; the default bridge by IP (not by
# name, as in real Docker); host -> container IP; -p on 127.0.0.1; pause and
# unpause; stop (~0.1 s with the test image); restart; kill (exit 137);
# commit; named volumes; bind mounts; docker cp; --memory/--cpus/--pids-limit;
# restart policies; health checks; `docker build` FROM the test image (legacy
# builder). Names must be 2+ characters ("a" is rejected by 20.10).
# Not available: any image registry (no pulls), outbound network.
# The `docker` first on PATH may be a newer client (28.x in /usr/local/bin);
# it negotiates API 1.41 with this daemon and works.
# Timing here: start when running 0.04 s; after stop 0.35 s; from an empty
# $DIR 0.6-0.9 s (image build included); apt install +8 s. stop 2-3 s
# (dockerd lingers ~2.5 s after "Daemon shutdown complete"), plus 10 s per
# running container whose PID 1 ignores SIGTERM.
# A second, private engine beside it (tests that restart or freeze an engine
# must never touch the shared one): another $FORMATIONS_DOCKER_DIR plus
# FORMATIONS_DOCKER_BRIDGE=<name> (15 characters at most, never docker0).
# `start` then creates that bridge with FORMATIONS_DOCKER_BRIDGE_CIDR (default
# 10.212.0.1/24) and gives dockerd --bridge and a default address pool of its
# own (FORMATIONS_DOCKER_POOL, default 10.213.0.0/16), so neither its default
# network nor the networks it creates overlap the first engine's; `stop`
# deletes that bridge again. Without it, both engines would share docker0. Never restart a
# second engine with --default-address-pool on its old data root: dockerd then deletes docker0.
set -euo pipefail

DIR=${FORMATIONS_DOCKER_DIR:-/tmp/formations-docker}
IMAGE=formations-test/busybox:latest
BRIDGE=${FORMATIONS_DOCKER_BRIDGE:-}
[[ $BRIDGE != docker0 ]] || BRIDGE= # docker0 is the default engine's: never created or deleted here
export DOCKER_HOST=unix://$DIR/docker.sock
export PATH=$PATH:/usr/sbin:/sbin

log() { echo "docker-engine: $*" >&2; }
answering() { docker info >/dev/null 2>&1; }
pid() { # the pidfile's pid, if that process is still a dockerd
  local p
  p=$(cat "$DIR/docker.pid" 2>/dev/null) || return 0
  [[ $(cat "/proc/$p/comm" 2>/dev/null) != dockerd ]] || echo "$p"
}
alive() { [[ -n $1 ]] && kill -0 "$1" 2>/dev/null; }

install_packages() {
  local pkgs=()
  command -v dockerd >/dev/null || pkgs+=(docker.io)
  # Debian's plain `busybox` is dynamically linked: useless in an empty rootfs.
  dpkg -s busybox-static >/dev/null 2>&1 || pkgs+=(busybox-static)
  ((${#pkgs[@]})) || return 0
  if [[ -n ${FORMATIONS_DOCKER_NO_INSTALL:-} ]]; then
    log "${pkgs[*]} missing and FORMATIONS_DOCKER_NO_INSTALL is set: not installing; install them, or point DOCKER_HOST at an engine"
    exit 1
  fi
  log "installing ${pkgs[*]} from Debian with apt-get (system packages, as root; set FORMATIONS_DOCKER_NO_INSTALL=1 to refuse)"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 # no prompts
  apt-get update -qq >&2
  apt-get install -y -qq "${pkgs[@]}" >/dev/null
}

# A killed dockerd leaves its bind mount of the data root behind; a new one
# would stack another on it, and `rm -rf $DIR` would fail with EBUSY.
unmount_stale() {
  while mountpoint -q "$DIR/data"; do umount "$DIR/data"; done
}

# The private engine's own bridge (see the header); a no-op without FORMATIONS_DOCKER_BRIDGE.
bridge_flags=()
own_bridge() {
  [[ -n $BRIDGE ]] || return 0
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $BRIDGE"
    ip link add name "$BRIDGE" type bridge
    ip addr add "${FORMATIONS_DOCKER_BRIDGE_CIDR:-10.212.0.1/24}" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  bridge_flags=(--bridge "$BRIDGE")
  # The address pool on a fresh data root only. dockerd started again on a data root that has a
  # "bridge" network, with default address pools set and no live restore, deletes the interface
  # docker0 (moby daemon_unix.go, "Clear stale bridge network": removeDefaultBridgeInterface),
  # whatever --bridge says: the shared engine's bridge. The networks made before keep their subnets.
  [[ -d $DIR/data/network ]] || bridge_flags+=(--default-address-pool "base=${FORMATIONS_DOCKER_POOL:-10.213.0.0/16},size=24")
}

drop_bridge() {
  [[ -n $BRIDGE ]] || return 0
  ip link delete "$BRIDGE" type bridge 2>/dev/null || true
}

launch() {
  mkdir -p "$DIR"
  unmount_stale
  own_bridge
  log "starting dockerd (log: $DIR/dockerd.log)"
  # setsid + closed stdio: the daemon outlives this script and does not hold
  # the caller's pipes open (e.g. eval "$(... start)").
  setsid dockerd --host "$DOCKER_HOST" --data-root "$DIR/data" \
    --exec-root "$DIR/exec" --pidfile "$DIR/docker.pid" \
    --storage-driver "${FORMATIONS_DOCKER_STORAGE:-vfs}" \
    --iptables=false --ip-forward=false "${bridge_flags[@]}" \
    </dev/null >>"$DIR/dockerd.log" 2>&1 &
  DAEMON=$!
}

wait_up() { # 60 s at most; returns 1 at once if $DAEMON is not running
  local i
  for ((i = 0; i < 240; i++)); do
    answering && return 0
    alive "$DAEMON" || return 1
    sleep 0.25
  done
  return 1
}

fail() {
  log "dockerd is not answering; last lines of $DIR/dockerd.log:"
  tail -n 30 "$DIR/dockerd.log" >&2
  exit 1
}

# A ~2 MB image from busybox-static, since no registry can be pulled from.
build_image() {
  local root=$DIR/rootfs
  log "building $IMAGE"
  rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,var/tmp,proc,sys,dev}
  chmod 755 "$root" # else non-root users (-u nobody) cannot reach /bin/sh
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp /bin/busybox "$root/bin/"
  chroot "$root" /bin/busybox --install -s # links point at /bin/busybox
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  # Runs forever; `sleep & wait` lets the TERM trap fire at once, so
  # `docker stop` ends it in ms with exit 0 instead of after the 10 s kill.
  tar -C "$root" --numeric-owner -c . | docker import \
    --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["/bin/sh","-c","trap \"exit 0\" TERM INT; while :; do sleep 3600 & wait $!; done"]' \
    - "$IMAGE" >/dev/null
  rm -rf "$root"
}

start() {
  install_packages
  if ! answering; then
    # A dockerd from the pidfile may still be coming up (or going down).
    DAEMON=$(pid)
    wait_up || { launch && wait_up; } || fail
  fi
  docker image inspect "$IMAGE" >/dev/null 2>&1 || build_image
  print_env
}

stop() {
  local p i
  p=$(pid)
  if ! alive "$p"; then log "not running"; drop_bridge; return 0; fi
  # dockerd stops its containers (TERM, then KILL after their stop timeout,
  # 10 s by default) and its own containerd, then exits.
  kill "$p"
  for ((i = 0; i < 120; i++)); do alive "$p" || { log "stopped"; drop_bridge; return 0; }; sleep 0.25; done
  log "dockerd (pid $p) still running after 30 s; killing it and its containerd"
  kill -9 "$p" "$(cat "$DIR/exec/containerd/containerd.pid" 2>/dev/null)" 2>/dev/null || true
  sleep 1
  unmount_stale
  drop_bridge
}

print_env() { echo "export DOCKER_HOST=$DOCKER_HOST"; }

case ${1:-} in
start | stop) "$1" ;;
env) print_env ;;
*) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
