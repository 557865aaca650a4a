#!/usr/bin/env bash
# The self-hosted stack's servers for its contract suites, linked into adapters-test/.emulators/bin/:
#   minio        S3-compatible object store (AGPL-3.0: used only as a test server, never linked
#                into or shipped with cloudmux), built from its Go module at a pinned version;
#   nats-server  NATS with JetStream (Apache-2.0), the Debian package.
# The MinIO build takes ~5 min on two cores, so it goes to a per-user cache outside the checkout
# (${XDG_CACHE_HOME:-~/.cache}/cloudmux/bin) that a clean clone finds again: a binary is rebuilt only
# when the pinned version or the Go toolchain changed (stamp file). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/../.."

MINIO_VERSION="v0.0.0-20260212201848-7aac2a2c5b7c"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/cloudmux/bin"
bin=adapters-test/.emulators/bin
mkdir -p "$cache" "$bin"

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

if ! command -v nats-server >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends nats-server >/dev/null
  else
    echo "selfhosted.sh: no nats-server and no apt-get; the selfhosted queue suite will skip" >&2
  fi
fi
if command -v nats-server >/dev/null 2>&1; then
  ln -sf "$(command -v nats-server)" "$bin/nats-server"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "selfhosted.sh: no Go toolchain on PATH; the selfhosted object-store and secret-store suites will skip" >&2
  exit 0
fi
minio="$cache/minio-$MINIO_VERSION"
stamp_value="$MINIO_VERSION $(go version)"
if [ ! -x "$minio" ] || [ "$(cat "$minio.stamp" 2>/dev/null)" != "$stamp_value" ]; then
  echo "building minio $MINIO_VERSION into $cache (about 5 minutes on two cores)"
  work=$(mktemp -d)
  # GOFLAGS=-p=2 and nice: the machine has two cores shared with the rest of CI.
  GOFLAGS="-buildvcs=false -p=2" GOBIN="$work" nice -n 10 \
    go install -trimpath -ldflags='-s -w' "github.com/minio/minio@$MINIO_VERSION"
  mv "$work/minio" "$minio.tmp" && mv "$minio.tmp" "$minio"
  rm -rf "$work"
  echo "$stamp_value" > "$minio.stamp"
fi
ln -sf "$minio" "$bin/minio"
echo "minio $MINIO_VERSION and nats-server linked into $bin"
