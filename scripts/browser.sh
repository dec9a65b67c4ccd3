#!/usr/bin/env bash
# Installs the browser the web tests drive (Debian's chromium) when it is
# missing. On macOS, install Chromium or Google Chrome yourself.
set -euo pipefail
for b in chromium chromium-browser google-chrome; do
	command -v "$b" >/dev/null && exit 0
done
if command -v apt-get >/dev/null; then
	sudo=()
	[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && sudo=(sudo)
	echo "browser: installing chromium (apt-get)" >&2
	"${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1
	exit 0
fi
echo "browser: no Chromium found; the browser tests will be skipped (install Chromium to run them)" >&2
