#!/usr/bin/env bash
# moto's EC2 server, for the moto test layer (test/moto, `npm run test:moto`): an implementation
# of the EC2 API that nobody here wrote (PyPI `moto[server]`, pinned), on 127.0.0.1 only.
#
#   scripts/moto.sh install   # create the venv and pip install moto[server]==$MOTO_VERSION (no-op when warm);
#                             # prints the moto_server path on stdout, progress on stderr
#   scripts/moto.sh start     # install if needed, start moto's server (test/moto/server.py) on a free port, print env lines
#   scripts/moto.sh env       # print the env lines of the server `start` left running
#   scripts/moto.sh stop      # stop the server `start` started (by its pid, only if it is still that server)
#   eval "$(scripts/moto.sh start)"   # then any AWS SDK or CLI in this shell talks to moto
#
# The tests do not need `start`: vitest.moto.config.ts's global setup (test/moto/global-setup.ts)
# runs `install`, starts its own moto_server on a free port and stops it when the run ends.
# The venv lives in ~/.cache/formations/moto-venv-$MOTO_VERSION (FORMATIONS_MOTO_VENV overrides).
# The env lines are the AWS SDK's ordinary configuration: an endpoint and fake credentials.
set -euo pipefail

MOTO_VERSION=5.2.5
VENV=${FORMATIONS_MOTO_VENV:-$HOME/.cache/formations/moto-venv-$MOTO_VERSION}
RUN=${FORMATIONS_MOTO_DIR:-/tmp/formations-moto}
PYTHON=${PYTHON:-python3}
ROOT=$(cd "$(dirname "$0")/.." && pwd)

log() { echo "moto: $*" >&2; }

install() {
  if [[ -x $VENV/bin/moto_server && $(cat "$VENV/.formations-moto" 2>/dev/null) == "$MOTO_VERSION" ]]; then
    echo "$VENV/bin/moto_server"
    return 0
  fi
  command -v "$PYTHON" >/dev/null || { log "no $PYTHON on PATH: moto needs Python 3.9+"; exit 1; }
  log "creating $VENV and installing moto[server]==$MOTO_VERSION from PyPI"
  rm -rf "$VENV"
  mkdir -p "$(dirname "$VENV")"
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2
  echo "$MOTO_VERSION" >"$VENV/.formations-moto" # written last: a broken install is redone next time
  echo "$VENV/bin/moto_server"
}

pid() { # the pidfile's pid, if that process is still our moto server
  local p
  p=$(cat "$RUN/moto.pid" 2>/dev/null) || return 0
  grep -q test/moto/server.py "/proc/$p/cmdline" 2>/dev/null && echo "$p" || true
}

env_lines() {
  local port
  port=$(cat "$RUN/moto.port")
  cat <<EOF
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=eu-west-1
EOF
}

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local server port p i
  server=$(install)
  p=$(pid)
  if [[ -n $p ]]; then
    log "already running (pid $p)"
    env_lines
    return 0
  fi
  mkdir -p "$RUN"
  port=$(free_port)
  log "starting moto on 127.0.0.1:$port (log: $RUN/moto.log)"
  # moto plus the one shim the tests use (test/moto/server.py: snapshot tags on CreateImage).
  setsid "$(dirname "$server")/python" "$ROOT/test/moto/server.py" -H 127.0.0.1 -p "$port" </dev/null >>"$RUN/moto.log" 2>&1 &
  echo $! >"$RUN/moto.pid"
  echo "$port" >"$RUN/moto.port"
  for ((i = 0; i < 240; i++)); do # 60 s at most
    if "$PYTHON" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then
      env_lines
      return 0
    fi
    kill -0 "$(cat "$RUN/moto.pid")" 2>/dev/null || break
    sleep 0.25
  done
  log "moto is not answering; last lines of $RUN/moto.log:"
  tail -n 30 "$RUN/moto.log" >&2
  exit 1
}

stop() {
  local p
  p=$(pid)
  [[ -n $p ]] || { log "not running"; return 0; }
  kill "$p"
  while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  rm -f "$RUN/moto.pid" "$RUN/moto.port"
  log "stopped (pid $p)"
}

case ${1:-} in
  install) install ;;
  start) start ;;
  stop) stop ;;
  env)
    [[ -n $(pid) ]] || { log "not running: scripts/moto.sh start"; exit 1; }
    env_lines
    ;;
  *)
    echo "usage: $0 install|start|stop|env" >&2
    exit 2
    ;;
esac
