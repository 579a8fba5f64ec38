#!/usr/bin/env bash
# install-peers.sh: installs the peer tools the benchmarks compare scorch
# with, from the package registries by their ordinary clients, when they are
# missing: inferno (inferno-flamegraph, inferno-collapse-perf) and samply
# from crates.io with cargo, memray and perfetto (Perfetto's Python API, for
# docs/interop.md's trace check) from PyPI with pip. Benches call it; never
# make check (the tests do not depend on them). Each tool is tried on its
# own: one that fails to install is reported and the others go on.
#
# Usage: bench/install-peers.sh [inferno] [samply] [memray] [perfetto]
#        (no argument: all of them). Exit status: the number that failed.
set -u
say() { printf 'install-peers.sh: %s\n' "$*" >&2; }
export PATH=$HOME/.cargo/bin:$PATH
want=${*:-inferno samply memray perfetto}
failed=0
PY=${PYTHON:-python3}

for t in $want; do
	case $t in
	inferno)
		command -v inferno-flamegraph >/dev/null && continue
		command -v cargo >/dev/null || { say "inferno: cargo is missing (rustup or Debian's cargo)"; failed=$((failed + 1)); continue; }
		say "inferno: cargo install inferno"
		cargo install --locked -q inferno >&2 || { say "inferno: cargo install failed"; failed=$((failed + 1)); }
		;;
	samply)
		command -v samply >/dev/null && continue
		command -v cargo >/dev/null || { say "samply: cargo is missing"; failed=$((failed + 1)); continue; }
		say "samply: cargo install samply (several minutes to build)"
		cargo install --locked -q samply >&2 || { say "samply: cargo install failed"; failed=$((failed + 1)); }
		;;
	memray)
		"$PY" -c 'import memray' 2>/dev/null && continue
		say "memray: $PY -m pip install memray"
		"$PY" -m pip install -q memray >&2 || { say "memray: pip install failed"; failed=$((failed + 1)); }
		;;
	perfetto)
		"$PY" -c 'import perfetto.trace_processor' 2>/dev/null && continue
		say "perfetto: $PY -m pip install perfetto"
		"$PY" -m pip install -q perfetto >&2 || { say "perfetto: pip install failed"; failed=$((failed + 1)); }
		;;
	*)
		say "unknown tool '$t' (inferno, samply, memray, perfetto)"
		failed=$((failed + 1))
		;;
	esac
done
exit "$failed"
