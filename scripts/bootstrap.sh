#!/usr/bin/env bash
# Set up everything buttress and its test suite need on a fresh Debian machine with Python 3.11+:
# the virtual environment .venv (package + test extras) and, with --system, the real tools the
# tests drive (promtool, PostgreSQL, Chromium) from Debian's packages where they are absent.
set -euo pipefail
cd "$(dirname "$0")/.."

want_system=0
[ "${1:-}" = "--system" ] && want_system=1

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
stamp=.venv/.buttress-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e '.[test]' 2>&1 | grep -v '^WARNING' || true
  .venv/bin/python -c 'import buttress' && touch "$stamp"
fi

if [ "$want_system" = 1 ]; then
  missing=()
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
  { command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; } || missing+=(postgresql)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing Debian packages: ${missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
