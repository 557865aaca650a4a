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

source scripts/python-venv.sh
new_venv "$VENV" moto
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
"$VENV/bin/moto_server" --help >/dev/null
echo "moto $MOTO_VERSION installed in $VENV"
