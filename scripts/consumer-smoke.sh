#!/usr/bin/env bash
# The consumer smoke test: what a user outside this repository gets from the registry.
#   1. build; publint and Are-the-types-wrong on every publishable package
#   2. `pnpm pack` each into a temp dir (workspace: ranges become versions, publishConfig.exports
#      replaces the workspace exports); check no workspace: range or source condition is left
#   3. a scratch project outside the workspace: plain `npm install` of all tarballs plus DuckDB, then
#      a program on the local provider (object store, queue, warehouse, secrets)
#   4. a second scratch project with only core + local, no DuckDB: object store and queue work, the
#      warehouse names the package to install; the size of that install is printed and bounded
#   5. an older Node (the system one, if any) refuses every package at import with both versions
# Run by the root `test` script, so `./dev test` runs it. Uses the system npm with the toolchain Node.
set -euo pipefail
source "$(dirname "$0")/toolchain.sh"
cd "$CLOUDMUX_ROOT"

PACKAGES=(core local aws gcp azure selfhosted pricing conformance)
DUCKDB_VERSION="$(node -p 'require("./packages/local/package.json").devDependencies["@duckdb/node-api"]')"
LEAN_LIMIT_MB=25
started=$SECONDS
work="$(mktemp -d "${TMPDIR:-/tmp}/cloudmux-consumer-XXXXXX")"
trap 'rm -rf "$work"' EXIT
step() { echo "› [$((SECONDS - started))s] $*" >&2; }
# Output only when the command fails.
quietly() {
  local out
  if ! out="$("$@" 2>&1)"; then
    echo "$out" >&2
    return 1
  fi
}
npm_install() { npm install --no-audit --no-fund --loglevel=error --prefer-offline "$@"; }

npm_node="$(npm version --json | node -p 'JSON.parse(require("node:fs").readFileSync(0, "utf8")).node')"
step "node $(node -v) ($(command -v node)), npm $(npm -v) ($(command -v npm), running on Node $npm_node)"
if [ "v$npm_node" != "$(node -v)" ]; then
  echo "npm runs on Node $npm_node, not on the toolchain's $(node -v)" >&2
  exit 1
fi
step "build"
pnpm --silent build --output-logs=errors-only

tarballs="$work/tarballs"
mkdir -p "$tarballs"
for name in "${PACKAGES[@]}"; do
  dir="packages/$name"
  step "@cloudmux/$name: publint, pack, attw"
  # publint packs with pnpm itself, so it lints the manifest as published.
  quietly pnpm exec publint run "$dir" --pack pnpm --strict
  (cd "$dir" && pnpm pack --pack-destination "$tarballs" >/dev/null)
  tarball="$tarballs/cloudmux-$name-$(node -p "require('./$dir/package.json').version").tgz"
  # On the pnpm tarball, not `attw --pack` (which runs `npm pack`: workspace: ranges and the
  # workspace exports with the source condition would be checked instead of what is published).
  # Profile esm-only: the packages are ESM only by design, so node10 and node16-from-CJS resolution
  # are not checked; node16/nodenext from ESM and bundler resolution must be clean.
  quietly pnpm exec attw "$tarball" --profile esm-only
  node -e '
    const manifest = JSON.parse(require("node:child_process").execFileSync("tar", ["-xzOf", process.argv[1], "package/package.json"], { encoding: "utf8" }));
    const text = JSON.stringify(manifest);
    if (text.includes("workspace:")) throw new Error(`${manifest.name}: a workspace: range is left in the packed package.json`);
    if (JSON.stringify(manifest.exports).includes("@cloudmux/source")) throw new Error(`${manifest.name}: the @cloudmux/source condition is left in the packed exports`);
    if (manifest.private) throw new Error(`${manifest.name} is private`);
    if (manifest.license !== "Apache-2.0") throw new Error(`${manifest.name}: license is ${manifest.license}`);
    const files = require("node:child_process").execFileSync("tar", ["-tzf", process.argv[1]], { encoding: "utf8" }).split("\n");
    for (const file of ["package/LICENSE", "package/README.md", "package/dist/index.js", "package/dist/index.d.ts"])
      if (!files.includes(file)) throw new Error(`${manifest.name}: ${file} is not in the tarball`);
    if (files.some((f) => /\.test\./.test(f))) throw new Error(`${manifest.name}: a test file is in the tarball`);
  ' "$tarball"
done

step "scratch project with every package and DuckDB: npm install"
app="$work/app"
mkdir -p "$app"
echo '{ "name": "cloudmux-consumer", "private": true, "type": "module" }' > "$app/package.json"
(cd "$app" && npm_install "$tarballs"/*.tgz "@duckdb/node-api@$DUCKDB_VERSION")
cp scripts/consumer-smoke.app.mjs "$app/app.mjs"
step "scratch project: the program on the local provider"
(cd "$app" && node app.mjs)

step "scratch project: type-check a TypeScript consumer (nodenext, strict) against the installed declarations"
cp scripts/consumer-smoke.types.ts "$app/consumer.ts"
cat > "$app/tsconfig.json" <<JSON
{
  "compilerOptions": {
    "module": "nodenext", "moduleResolution": "nodenext", "target": "es2024", "strict": true,
    "noUncheckedIndexedAccess": true, "noEmit": true, "skipLibCheck": false,
    "types": ["node"], "typeRoots": ["$CLOUDMUX_ROOT/node_modules/@types"]
  },
  "files": ["consumer.ts"]
}
JSON
(cd "$app" && node "$CLOUDMUX_ROOT/node_modules/typescript/bin/tsc" -p tsconfig.json)

# The README examples marked `<!-- consumer-smoke ... -->` run as written, each in a fresh directory.
for name in core local; do
  step "scratch project: the example of packages/$name/README.md"
  example="$app/readme-$name"
  mkdir -p "$example"
  node -e '
    const text = require("node:fs").readFileSync(process.argv[1], "utf8");
    const marker = text.indexOf("<!-- consumer-smoke");
    const block = marker < 0 ? null : /```js\n([\s\S]*?)```/.exec(text.slice(marker));
    if (!block) throw new Error(`${process.argv[1]}: no js block after a consumer-smoke marker`);
    require("node:fs").writeFileSync(process.argv[2], block[1]);
  ' "packages/$name/README.md" "$example/example.mjs"
  (cd "$example" && node example.mjs >/dev/null)
done

step "scratch project with core + local only (no DuckDB): npm install"
lean="$work/lean"
mkdir -p "$lean"
echo '{ "name": "cloudmux-consumer-lean", "private": true, "type": "module" }' > "$lean/package.json"
(cd "$lean" && npm_install "$tarballs/cloudmux-core-"*.tgz "$tarballs/cloudmux-local-"*.tgz)
if [ -e "$lean/node_modules/@duckdb" ]; then
  echo "DuckDB was installed although nothing asked for it" >&2
  exit 1
fi
cp scripts/consumer-smoke.lean.mjs "$lean/lean.mjs"
(cd "$lean" && node lean.mjs)
lean_kb="$(du -sk "$lean/node_modules" | cut -f1)"
full_kb="$(du -sk "$app/node_modules" | cut -f1)"
step "largest packages of the core + local install: $(cd "$lean/node_modules" && du -sk -- $(ls -d -- * | grep -v '^@') @*/* | sort -rn | head -5 | awk '{ printf "%s %.1f MB; ", $2, $1 / 1024 }')"
step "install size: core + local $((lean_kb / 1024)) MB (limit $LEAN_LIMIT_MB MB); every package + DuckDB $((full_kb / 1024)) MB"
if [ "$lean_kb" -gt $((LEAN_LIMIT_MB * 1024)) ]; then
  echo "core + local without DuckDB install $((lean_kb / 1024)) MB, over $LEAN_LIMIT_MB MB" >&2
  exit 1
fi

old_node=""
for candidate in /usr/bin/node /usr/local/bin/node; do
  if [ -x "$candidate" ] && [ "$("$candidate" -p 'process.versions.node.split(".")[0]')" -lt 24 ]; then
    old_node="$candidate"
    break
  fi
done
if [ -n "$old_node" ]; then
  step "$old_node ($("$old_node" -v)) imports every package"
  cp scripts/consumer-smoke.old-node.mjs "$app/old-node.mjs"
  outcome="$(cd "$app" && "$old_node" old-node.mjs)"
  expected='{"core":"refused","local":"refused","aws":"refused","gcp":"refused","azure":"refused"}'
  if [ "$outcome" != "$expected" ]; then
    echo "on $("$old_node" -v): $outcome (expected every package refused with UnsupportedNodeError)" >&2
    exit 1
  fi
else
  step "skipped: the old-Node check (no Node older than 24 at /usr/bin/node or /usr/local/bin/node)"
fi
step "consumer smoke test passed"
