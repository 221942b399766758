#!/usr/bin/env bash
# fake-gcs-server, for the tests of a gs:// backend's session lock
# (test/automation/session/backend-lock-gs.test.ts): an implementation of Cloud Storage's JSON API
# that nobody here wrote (Go module github.com/fsouza/fake-gcs-server, pinned), built from the Go
# module proxy as any Go dependency is, and run by the test on 127.0.0.1 only.
#
#   scripts/fake-gcs.sh install   # go install it into the cache (a no-op when warm; a cold build
#                                 # takes a few minutes); prints the binary's path on stdout, progress on stderr
#
# The binary lives in ~/.cache/formations/fake-gcs-$VERSION/bin (FORMATIONS_FAKE_GCS_DIR overrides).
set -euo pipefail

VERSION=v1.56.1
DIR=${FORMATIONS_FAKE_GCS_DIR:-$HOME/.cache/formations/fake-gcs-$VERSION}
BIN=$DIR/bin/fake-gcs-server

log() { echo "fake-gcs: $*" >&2; }

install() {
  if [[ -x $BIN && $(cat "$DIR/.formations-fake-gcs" 2>/dev/null) == "$VERSION" ]]; then
    echo "$BIN"
    return 0
  fi
  command -v go >/dev/null || { log "no go on PATH: fake-gcs-server is built with Go 1.22+"; exit 1; }
  log "building github.com/fsouza/fake-gcs-server@$VERSION from the Go module proxy into $DIR (a few minutes when cold)"
  local start=$SECONDS
  rm -rf "$DIR"
  mkdir -p "$DIR/bin"
  GOBIN=$DIR/bin GOFLAGS=-mod=mod go install "github.com/fsouza/fake-gcs-server@$VERSION" >&2
  echo "$VERSION" >"$DIR/.formations-fake-gcs" # written last: a broken build is redone next time
  log "built in $((SECONDS - start)) s"
  echo "$BIN"
}

case ${1:-} in
  install) install ;;
  *)
    echo "usage: scripts/fake-gcs.sh install" >&2
    exit 2
    ;;
esac
