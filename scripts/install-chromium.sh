#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (Playwright drives
# that binary; it cannot download its own browsers here). Installs it with apt-get when missing
# and running as root (or through passwordless sudo); otherwise explains what to do and fails.
set -euo pipefail

chromium=/usr/bin/chromium

if [ -x "$chromium" ]; then
  echo "[chromium] $("$chromium" --version 2>/dev/null || echo "$chromium") is installed"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "[chromium] $chromium is missing and this script is not root (nor has passwordless sudo)." >&2
  echo "[chromium] Install it once with: sudo apt-get update && sudo apt-get install -y chromium" >&2
  exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "[chromium] $chromium is missing and apt-get is not available (not a Debian-like system)." >&2
  echo "[chromium] Install Chromium with your package manager so that $chromium exists (or symlink it there)." >&2
  exit 1
fi

echo "[chromium] installing Debian's chromium with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
if ! "${as_root[@]}" apt-get update -qq; then
  echo "[chromium] apt-get update failed: is a Debian package mirror reachable?" >&2
  exit 1
fi
if ! "${as_root[@]}" apt-get install -y -qq chromium >/dev/null; then
  echo "[chromium] apt-get install chromium failed (see the messages above)." >&2
  exit 1
fi

if [ ! -x "$chromium" ]; then
  echo "[chromium] the chromium package installed, but $chromium does not exist." >&2
  exit 1
fi
echo "[chromium] $("$chromium" --version 2>/dev/null || echo "$chromium") installed"
