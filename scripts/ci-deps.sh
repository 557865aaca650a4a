#!/usr/bin/env bash
# Machine-level dependencies the test suites need (emulators that are not npm packages, Debian
# packages for browser tests). Each provider adds an idempotent script to scripts/ci-deps.d/.
set -euo pipefail
cd "$(dirname "$0")/.."
for script in scripts/ci-deps.d/*.sh; do
  [ -e "$script" ] || continue
  echo "› $script"
  bash "$script"
done
