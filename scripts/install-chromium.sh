#!/usr/bin/env bash
# Debian's chromium for the console's browser tests (tests/EndToEnd.Tests/ConsoleTests.cs run it headless through
# Microsoft.Playwright, which comes from NuGet with its driver: no browser download). Does nothing when
# /usr/bin/chromium is there; otherwise installs it with apt-get (as root, or through sudo).
set -euo pipefail
[[ -x /usr/bin/chromium ]] && exit 0
if ((EUID == 0)); then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo -n); else
  echo "install-chromium: /usr/bin/chromium is missing and this user cannot install it (run: apt-get install -y chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq chromium >/dev/null
[[ -x /usr/bin/chromium ]] || { echo "install-chromium: apt-get ran but /usr/bin/chromium is still missing" >&2; exit 1; }
