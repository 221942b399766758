#!/usr/bin/env bash
# The real Pulumi engine for sessions and their tests, built here from Go modules.
#
#   eval "$(scripts/pulumi-engine.sh build)"   # build if needed, install plugins, print env lines
#   scripts/pulumi-engine.sh env               # print the env lines of a finished build (exit 1 if none)
#   scripts/pulumi-engine.sh check             # exit 0 when a build for package-lock.json is ready
#
# What it builds (versions from package-lock.json, so the engine matches the SDKs npm installed):
#   pulumi                  the CLI of @pulumi/pulumi's version (github.com/pulumi/pulumi/pkg/v3)
#   pulumi-language-nodejs  our own language host for Pulumi.yaml programs (see its main.go: the
#                           upstream module is not served by the Go proxy here)
#   pulumi-resource-docker  kreuzwerker's Terraform Docker provider through Pulumi's Terraform
#                           bridge, stamped as @pulumi/docker's version (the nearest build: the
#                           pulumi-docker module itself is not served; see docker/main.go)
#   pulumi-resource-random  Terraform's random provider through the bridge, stamped as
#                           @pulumi/random's version (the nearest build; see random/main.go)
#   pulumi-resource-pulumi-nodejs  the launcher of dynamic providers (Node's dynamic-provider host)
# Everything comes through the `go` command from the Go module proxy; the Go sources of ours are
# in scripts/pulumi-engine/. The resource plugins are installed offline into $PULUMI_HOME
# (default ~/.pulumi) with `pulumi plugin install resource NAME VERSION -f BINARY`.
#
# Cache: ${FORMATIONS_ENGINE_CACHE:-~/.cache/formations/pulumi-engine}/<key>/, the key being a hash
# of the versions, `go version` and every file under scripts/pulumi-engine/. A warm run checks the
# binaries and the installed plugins and prints the env lines: about a second. A cold build takes
# 10 to 25 minutes on 2 cores (the CLI and the Docker provider are large Go programs).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SRC=$ROOT/scripts/pulumi-engine
CACHE=${FORMATIONS_ENGINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/formations/pulumi-engine}
PULUMI_HOME_DIR=${PULUMI_HOME:-$HOME/.pulumi}
export GOFLAGS="${GOFLAGS:-} -buildvcs=false" GOTOOLCHAIN=${GOTOOLCHAIN:-local}

log() { echo "pulumi-engine: $*" >&2; }
die() { log "$*"; exit 1; }

lock_version() { # the version package-lock.json installed for an npm package
  node -e 'const l=require(process.argv[1]);const p=l.packages["node_modules/"+process.argv[2]];if(!p)process.exit(1);console.log(p.version)' \
    "$ROOT/package-lock.json" "$1" 2>/dev/null || die "package-lock.json has no $1: run this from the repository after npm ci"
}

command -v go >/dev/null || die "the go command is not on PATH (Go 1.26 or newer builds the engine)"
command -v node >/dev/null || die "node is not on PATH"
PULUMI_V=$(lock_version @pulumi/pulumi)
DOCKER_V=$(lock_version @pulumi/docker)
RANDOM_V=$(lock_version @pulumi/random)
# Relative paths only: every checkout (worktree, CI clone) of the same sources shares one build.
KEY=$( { echo "$PULUMI_V $DOCKER_V $RANDOM_V"; go version; cat "$0";
         cd "$SRC" && find . -type f -print0 | sort -z | xargs -0 sha256sum; } | sha256sum | cut -c1-16)
OUT=$CACHE/$KEY
BIN=$OUT/bin
PLUGINS=$OUT/plugins

plugin_dir() { echo "$PULUMI_HOME_DIR/plugins/resource-$1-v$2"; }

ready() { # binaries built and the plugins installed from them
  [[ -x $BIN/pulumi && -x $BIN/pulumi-language-nodejs && -x $BIN/pulumi-resource-pulumi-nodejs ]] || return 1
  [[ -x $PLUGINS/pulumi-resource-docker && -x $PLUGINS/pulumi-resource-random ]] || return 1
  cmp -s "$PLUGINS/pulumi-resource-docker" "$(plugin_dir docker "$DOCKER_V")/pulumi-resource-docker" || return 1
  cmp -s "$PLUGINS/pulumi-resource-random" "$(plugin_dir random "$RANDOM_V")/pulumi-resource-random" || return 1
}

print_env() {
  echo "export PATH=\"$BIN:\$PATH\""
  echo "export FORMATIONS_PULUMI=\"$BIN/pulumi\""
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
}

# Copies one of our modules into the build tree and pins the version it requires.
stage() { # NAME
  local dir=$OUT/src/$1
  rm -rf "$dir" && mkdir -p "$dir" && cp -r "$SRC/$1/." "$dir/"
  echo "$dir"
}

timed() { # LABEL CMD...: runs CMD, logs how long it took
  local label=$1 t0=$SECONDS
  shift
  log "$label ..."
  "$@" >&2
  log "$label: done in $((SECONDS - t0)) s"
}

build_cli() {
  local dir
  dir=$(stage cli)
  (cd "$dir" && go mod edit -require="github.com/pulumi/pulumi/pkg/v3@v$PULUMI_V" -require="github.com/pulumi/pulumi/sdk/v3@v$PULUMI_V" \
    && go mod tidy \
    && go build -trimpath -tags osusergo,grpcnotrace \
         -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_V" \
         -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
}

build_language() {
  local dir
  dir=$(stage language-nodejs)
  (cd "$dir" && go mod edit -require="github.com/pulumi/pulumi/sdk/v3@v$PULUMI_V" && go mod tidy \
    && go build -trimpath -ldflags "-s -w -X main.version=$PULUMI_V" -o "$BIN/pulumi-language-nodejs" .)
  # Dynamic providers: the engine starts `pulumi-resource-pulumi-nodejs`, which runs the SDK's
  # dynamic-provider host from the program's own node_modules (resolved from the working directory).
  cat >"$BIN/pulumi-resource-pulumi-nodejs" <<'EOS'
#!/bin/sh
host=$(node -e 'process.stdout.write(require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [process.cwd()] }))') || {
  echo "pulumi-resource-pulumi-nodejs: @pulumi/pulumi is not installed under $(pwd)" >&2; exit 1; }
exec node "$host" "$@"
EOS
  chmod +x "$BIN/pulumi-resource-pulumi-nodejs"
}

# A bridged provider: build in tfgen mode, generate its schema and metadata, build again with
# them embedded. $2 is the version stamped (the npm SDK's, which the engine asks for).
build_bridged() { # NAME VERSION
  local name=$1 version=$2 dir
  dir=$(stage "$name")
  if [[ $name == docker ]]; then
    # Pulumi's fork of terraform-plugin-sdk/v2 predates one RPC of the terraform-plugin-go that
    # kreuzwerker's provider needs: add our implementation to a copy of the fork.
    local fork sdk=$OUT/src/sdkv2
    fork=$(cd "$dir" && go mod download -json github.com/hashicorp/terraform-plugin-sdk/v2 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')
    rm -rf "$sdk" && cp -r "$fork" "$sdk" && chmod -R u+w "$sdk"
    cp "$SRC/patches/sdkv2/"*.go "$sdk/helper/schema/"
    (cd "$dir" && go mod edit -replace="github.com/hashicorp/terraform-plugin-sdk/v2=$sdk")
  fi
  (cd "$dir" && echo '{}' >schema.json && echo '{}' >bridge-metadata.json \
    && go build -trimpath -o "$OUT/tfgen-$name" . \
    && mkdir -p gen && PULUMI_SKIP_MISSING_MAPPING_ERROR=true PULUMI_MISSING_DOCS_ERROR=false \
         "$OUT/tfgen-$name" tfgen schema --out gen >"$OUT/tfgen-$name.log" 2>&1 \
    && cp gen/schema.json gen/bridge-metadata.json . \
    && go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$PLUGINS/pulumi-resource-$name" .)
  rm -f "$OUT/tfgen-$name"
}

install_plugins() {
  local name version
  for pair in "docker $DOCKER_V" "random $RANDOM_V"; do
    read -r name version <<<"$pair"
    cmp -s "$PLUGINS/pulumi-resource-$name" "$(plugin_dir "$name" "$version")/pulumi-resource-$name" && continue
    # A plugin of this name and version installed from elsewhere is replaced by ours (--reinstall).
    PULUMI_HOME=$PULUMI_HOME_DIR "$BIN/pulumi" plugin install resource "$name" "$version" \
      -f "$PLUGINS/pulumi-resource-$name" --reinstall >&2
  done
}

build() {
  if ready; then
    log "engine v$PULUMI_V (docker $DOCKER_V, random $RANDOM_V) ready in $OUT"
    print_env
    return
  fi
  local t0=$SECONDS
  mkdir -p "$BIN" "$PLUGINS"
  log "building the Pulumi engine for @pulumi/pulumi $PULUMI_V, @pulumi/docker $DOCKER_V, @pulumi/random $RANDOM_V into $OUT"
  log "(Go modules from $(go env GOPROXY); a cold build takes 10-25 minutes on 2 cores)"
  [[ -x $BIN/pulumi ]] || timed "pulumi CLI v$PULUMI_V" build_cli
  [[ -x $BIN/pulumi-language-nodejs ]] || timed "Node.js language host" build_language
  [[ -x $PLUGINS/pulumi-resource-docker ]] || timed "docker plugin v$DOCKER_V" build_bridged docker "$DOCKER_V"
  [[ -x $PLUGINS/pulumi-resource-random ]] || timed "random plugin v$RANDOM_V" build_bridged random "$RANDOM_V"
  timed "installing the plugins into $PULUMI_HOME_DIR" install_plugins
  ready || die "the build finished but the engine is incomplete in $OUT"
  log "engine ready in $((SECONDS - t0)) s"
  print_env
}

case ${1:-build} in
  build) build ;;
  env) ready || die "no engine built for this package-lock.json: run scripts/pulumi-engine.sh build"; print_env ;;
  check) ready ;;
  *) die "usage: $0 build|env|check" ;;
esac
