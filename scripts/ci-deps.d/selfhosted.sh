#!/usr/bin/env bash
# The self-hosted stack's servers for its contract suites, linked into packages/emulators/.emulators/bin/:
#   minio        S3-compatible object store (AGPL-3.0: used only as a test server, never linked
#                into or shipped with cloudmux), built from its Go module at a pinned version;
#   nats-server  NATS with JetStream (Apache-2.0), built from its Go module at a pinned version.
#                Not Debian's package: its 2.9.10 sometimes stalls a pull request after a delayed
#                nak and then redelivers the message with delivery count 1 (seen 5 times in 20 by
#                the queue contract's redelivery case; never with 2.12).
# Builds take ~9 min (MinIO) and ~1 min (NATS) on two busy cores, so they go to a per-user cache
# outside the checkout (${XDG_CACHE_HOME:-~/.cache}/cloudmux/bin) that a clean clone finds again: a
# binary is rebuilt only when its pinned version or the Go toolchain changed (stamp file). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

MINIO_MODULE="github.com/minio/minio"
MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
NATS_MODULE="github.com/nats-io/nats-server/v2"
NATS_VERSION="v2.12.15"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cloudmux/bin"
bin=packages/emulators/.emulators/bin
mkdir -p "$cache" "$bin"

if ! command -v go >/dev/null 2>&1; then
  echo "selfhosted.sh: no Go toolchain on PATH; the selfhosted suites will skip" >&2
  exit 0
fi

# build <name> <module> <version>: go install into the cache unless the stamp matches; link into bin.
build() {
  local name=$1 module=$2 version=$3
  local target="$cache/$name-$version"
  local stamp_value="$module@$version $(go version)"
  if [ ! -x "$target" ] || [ "$(cat "$target.stamp" 2>/dev/null)" != "$stamp_value" ]; then
    echo "building $name $version into $cache"
    local work
    work=$(mktemp -d)
    # GOFLAGS=-p=2 and nice: the machine has two cores shared with the rest of CI.
    GOFLAGS="-buildvcs=false -p=2" GOBIN="$work" nice -n 10 \
      go install -trimpath -ldflags='-s -w' "$module@$version"
    mv "$work/$(basename "${module%/v2}")" "$target.tmp" && mv "$target.tmp" "$target"
    rm -rf "$work"
    echo "$stamp_value" > "$target.stamp"
  fi
  ln -sfn "$target" "$bin/$name"
  echo "$name $version linked into $bin"
}

build minio "$MINIO_MODULE" "$MINIO_VERSION"
build nats-server "$NATS_MODULE" "$NATS_VERSION"
