#!/usr/bin/env bash
# Sourced by scripts/ci-deps.d/*.sh that install a PyPI package into a private venv.
# new_venv DIR WHAT: a fresh venv at DIR, from a python3 that can make one. Debian/Ubuntu ship venv
# and ensurepip apart from the interpreter, so they are installed when missing; elsewhere the
# caller fails naming WHAT it needed python for.
new_venv() {
  local dir="$1" what="$2" python
  python="$(command -v python3 || true)"
  if [ -z "$python" ] || ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    if command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
      python="$(command -v python3)"
    else
      echo "python3 with venv is required to install $what" >&2
      return 1
    fi
  fi
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  "$python" -m venv "$dir"
}
