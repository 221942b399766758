#!/bin/sh
# Test fixture (test/workloads/cloudinit.test.ts): a stand-in for systemctl in a container, which
# has no systemd. `start`/`restart`/`enable --now` run the unit's ExecStart in the background as
# its User, after its EnvironmentFile and RuntimeDirectory, as systemd would; `enable` alone and
# `daemon-reload` have nothing to do; `stop` ends what the shim started. Unit files are read
# where systemd reads them (/etc/systemd/system first, then the packages' /lib/systemd/system).
set -eu
STATE=/run/systemctl-shim
mkdir -p "$STATE"

unit_file() {
  for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
    if [ -f "$d/$1.service" ]; then echo "$d/$1.service"; return 0; fi
  done
  echo "systemctl (test shim): no unit $1" >&2
  return 1
}
key() { sed -n "s/^$2=//p" "$1" | tail -n 1; }

stop() {
  if [ -f "$STATE/$1.pid" ]; then
    kill "$(cat "$STATE/$1.pid")" 2>/dev/null || true
    rm -f "$STATE/$1.pid"
  fi
}

start() {
  name=${1%.service}
  f=$(unit_file "$name")
  exec_start=$(key "$f" ExecStart | sed 's/^[-@+!:]*//')
  user=$(key "$f" User)
  env_file=$(key "$f" EnvironmentFile)
  runtime=$(key "$f" RuntimeDirectory)
  for d in $runtime; do install -d -m 0755 ${user:+-o "$user"} "/run/$d"; done
  stop "$name"
  (
    set -a
    case $env_file in
      -*) [ ! -r "${env_file#-}" ] || . "${env_file#-}" ;;
      '') ;;
      *) . "$env_file" ;;
    esac
    set +a +u
    # systemd expands $VAR and ${VAR} from the environment files in ExecStart, then splits words.
    eval "set -- $exec_start"
    if [ -n "$user" ] && [ "$user" != root ]; then set -- runuser -u "$user" -- "$@"; fi
    setsid "$@" </dev/null >>"/var/log/systemctl-shim-$name.log" 2>&1 &
    echo $! >"$STATE/$name.pid"
  )
  echo "systemctl (test shim): started $name: $exec_start${user:+ (as $user)}" >&2
}

cmd=${1:-}
[ $# -eq 0 ] || shift
now=false
case $cmd in
  daemon-reload) exit 0 ;;
  enable)
    for a in "$@"; do [ "$a" != --now ] || now=true; done
    if $now; then for a in "$@"; do [ "$a" = --now ] || start "$a"; done; fi ;;
  start | restart) for a in "$@"; do start "$a"; done ;;
  stop) for a in "$@"; do stop "${a%.service}"; done ;;
  *) echo "systemctl (test shim): '$cmd' is not supported" >&2; exit 1 ;;
esac
