#!/usr/bin/env bash
# Makes the browser tests runnable: Debian's chromium, node and npm, and the
# pinned npm packages of package.json (package-lock.json) in
# tests/browser/node_modules. Installs what is missing when run as root (or
# with password-less sudo); otherwise says what to run. Exit 0 = ready.
set -u
cd "$(dirname "$0")"
say() { printf 'browser setup: %s\n' "$*" >&2; }
sudo=()
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else sudo=(false); fi
fi
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
	say "installing ${need[*]}"
	if ! "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
		"${sudo[@]}" apt-get update -qq >/dev/null 2>&1
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 || {
			say "cannot install ${need[*]}; run as root: apt-get install -y ${need[*]}"
			exit 1
		}
	fi
fi
# npm packages, pinned by package-lock.json; reinstalled when the lock changes
stamp=node_modules/.scorch-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
	say "installing npm packages"
	npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || {
		say "npm ci failed; run it in tests/browser to see why"
		exit 1
	}
	cp package-lock.json "$stamp"
fi
exit 0
