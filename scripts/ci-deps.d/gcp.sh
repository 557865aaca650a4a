#!/usr/bin/env bash
# Builds the GCP emulators the contract suites use into packages/emulators/.emulators/bin/:
#   fake-gcs-server  (Cloud Storage)  and  pstest-server  (Pub/Sub, Google's in-memory fake).
# Versions are pinned by packages/emulators/go/go.mod + go.sum. Idempotent: a binary is rebuilt
# only when go.mod/go.sum/the wrapper source changed since it was built (stamp file).
set -euo pipefail
cd "$(dirname "$0")/../../packages/emulators/go"
bin=../.emulators/bin
mkdir -p "$bin"
if ! command -v go >/dev/null 2>&1; then
  echo "gcp.sh: no Go toolchain on PATH; GCP emulator suites will skip" >&2
  exit 0
fi
stamp_value=$( (cat go.mod go.sum pstest-server/main.go; go version) | sha256sum | cut -d' ' -f1)
stamp_file="$bin/.gcp-emulators.stamp"
if [ -x "$bin/fake-gcs-server" ] && [ -x "$bin/pstest-server" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp_value" ]; then
  echo "gcp emulators up to date"
  exit 0
fi
# -mod=readonly: the pinned go.sum must already cover everything; a CI build never edits it.
# GOFLAGS=-p=2 keeps the build to the machine's two cores.
export GOFLAGS="-mod=readonly -buildvcs=false -p=2"
go build -trimpath -ldflags='-s -w' -o "$bin/fake-gcs-server" github.com/fsouza/fake-gcs-server
go build -trimpath -ldflags='-s -w' -o "$bin/pstest-server" ./pstest-server
echo "$stamp_value" > "$stamp_file"
echo "built fake-gcs-server and pstest-server into packages/emulators/.emulators/bin"
