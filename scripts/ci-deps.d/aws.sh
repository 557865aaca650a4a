#!/usr/bin/env bash
# AWS emulators for the contract suites: moto in server mode (S3, SQS, Secrets Manager) in a
# private venv under packages/emulators/.emulators (gitignored). Idempotent: a venv that already has the
# pinned version is left alone. fauxqs and PGlite (the Redshift Data API test server's engine) come
# from the pnpm lockfile, so nothing else is installed here.
set -euo pipefail
cd "$(dirname "$0")/../.."

MOTO_VERSION="5.2.5"
VENV="packages/emulators/.emulators/moto-venv"

if [ -x "$VENV/bin/moto_server" ] && [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" = "$MOTO_VERSION" ]; then
  echo "moto $MOTO_VERSION already installed in $VENV"
  exit 0
fi

PYTHON="$(command -v python3 || true)"
if [ -z "$PYTHON" ] || ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  # Debian/Ubuntu ship venv and ensurepip separately from the interpreter.
  if command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
    PYTHON="$(command -v python3)"
  else
    echo "aws.sh: python3 with venv is required to install moto" >&2
    exit 1
  fi
fi

rm -rf "$VENV"
mkdir -p "$(dirname "$VENV")"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
"$VENV/bin/moto_server" --help >/dev/null
echo "moto $MOTO_VERSION installed in $VENV"
