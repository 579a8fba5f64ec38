# The decompressed debug file cache (analysis/debug-cache.h): libc's
# separate debug file, whose DWARF Debian compresses, is inflated once into
# $XDG_CACHE_HOME/scorch/debug/BUILDID.debug and mapped from there on later
# runs; the frames (names, files, lines, inlined frames) are the same with
# the cache cold, warm, off and unwritable; the size bound removes the least
# recently used entries. Skipped where libc has no compressed debug file.
. "$ROOT/tests/e2e/lib.sh"

libc=$(ldd "$PROGS/cxx-new" | awk '/libc\.so\.6/ {print $3}')
id=$(readelf -n "$libc" 2>/dev/null | awk '/Build ID/ {print $3}')
dbg=/usr/lib/debug/.build-id/${id:0:2}/${id:2}.debug
if [ -z "$id" ] || [ ! -r "$dbg" ] || ! readelf -tW "$dbg" 2>/dev/null | grep -q COMPRESSED; then
	echo "skip: libc's debug file ($dbg) is not installed or not compressed (libc6-dbg)"
	exit 77
fi
unset SCORCH_DEBUG_CACHE SCORCH_DEBUG_CACHE_MB

# frames NAME: every frame of the profile (address, function, file, line,
# inlined), sorted; the libc ones must have file and line from libc's DWARF
frames() {
	"$SCORCH" report --json --limit=1000 "$1.scorch" |
		jq -r '[.. | objects | select(has("address") and has("function"))] | unique[] |
			"\(.address) \(.function) \(.file // "") \(.line // 0) \(.inlined)"' | sort -u
}
# run NAME ENV...: scorch heap of cxx-new (-O2 C++, libstdc++ and libc frames)
# with ASLR off, so that the runs' addresses compare
run() {
	local name=$1
	shift
	env "$@" setarch -R "$SCORCH" heap -o "$WORK/$name.scorch" -- "$PROGS/cxx-new" \
		>"$WORK/$name.out" 2>"$WORK/$name.err"
	check "$name: exit" "$?" 0
	# the summary only: no warning about the cache, whatever its state
	check "$name: stderr" "$(grep -v -E '^scorch: ( |/|view with:)' "$WORK/$name.err" | grep -c .)" 0
}

cache=$WORK/xdg/scorch/debug
entry=$cache/$id.debug
run cold XDG_CACHE_HOME="$WORK/xdg"
check "cold: the entry is made" "$([ -f "$entry" ] && echo yes)" yes
check "cold: the entry has libc's build id" "$(readelf -n "$entry" 2>/dev/null | awk '/Build ID/ {print $3}')" "$id"
check "cold: no section of the entry is compressed" "$(readelf -tW "$entry" 2>/dev/null | grep -c COMPRESSED)" 0
check "cold: no temporary file left" "$(find "$cache" -name '.tmp-*' | wc -l)" 0
check_ge "cold: the entry holds the inflated DWARF" "$(stat -c %s "$entry")" "$(( $(stat -c %s "$dbg") * 3 / 2 ))"

# a warm run takes the entry (its time says so) and, where strace is
# installed, is seen not to open the compressed file at all
touch -d '2001-01-01' "$entry"
if command -v strace >/dev/null 2>&1; then
	XDG_CACHE_HOME=$WORK/xdg strace -f -e trace=openat -o "$WORK/warm.strace" \
		setarch -R "$SCORCH" heap -o "$WORK/warm.scorch" -- "$PROGS/cxx-new" >/dev/null 2>&1
	check "warm: the compressed debug file is not opened" "$(grep -c "$dbg" "$WORK/warm.strace")" 0
	check_ge "warm: the entry is opened" "$(grep -c "$entry" "$WORK/warm.strace")" 1
else
	echo "note: no strace; the warm run is checked by the entry's time only"
	run warm XDG_CACHE_HOME="$WORK/xdg"
fi
check "warm: the entry was used (its time moved)" "$(( $(stat -c %Y "$entry") > $(date -d 2002-01-01 +%s) ))" 1

# off, an absolute directory of its own, and a directory that cannot be made
run off XDG_CACHE_HOME="$WORK/xdg-off" SCORCH_DEBUG_CACHE=0
check "off: nothing is written" "$([ -e "$WORK/xdg-off" ] && echo made || echo none)" none
run custom SCORCH_DEBUG_CACHE="$WORK/custom"
check "SCORCH_DEBUG_CACHE=DIR: the entry is made there" "$([ -f "$WORK/custom/$id.debug" ] && echo yes)" yes
run unwritable XDG_CACHE_HOME=/proc/self/no-such-dir

frames cold >cold.frames
check_ge "libc frames with a file and line" "$(grep -c ' /.*\.[ch] [1-9][0-9]* ' cold.frames)" 3
check_match "an inlined frame" "$(cat cold.frames)" ' true$'
for r in warm off custom unwritable; do
	[ -f "$r.scorch" ] || continue
	frames "$r" >"$r.frames"
	check "$r: frames as with the cache cold" "$(diff cold.frames "$r.frames" >/dev/null && echo same)" same
done

# the bound: past SCORCH_DEBUG_CACHE_MB the oldest entries go, the new one
# stays. The cache gets the cold run's other entries (libstdc++'s debug file
# may be compressed too) and two old 3 MB files; libc's entry is made in it,
# and the bound is 3-4 MiB above the real entries' total: one file must go.
mkdir -p "$WORK/small"
real=0
for e in "$cache"/*.debug; do
	real=$((real + $(stat -c %s "$e")))
	[ "$e" = "$entry" ] || cp "$e" "$WORK/small/"
done
head -c 3000000 /dev/zero >"$WORK/small/00aa.debug"
head -c 3000000 /dev/zero >"$WORK/small/00bb.debug"
head -c 100 /dev/zero >"$WORK/small/.tmp-dead.debug.XXXXXX"
touch -d '2001-01-01' "$WORK/small/00aa.debug" "$WORK/small/.tmp-dead.debug.XXXXXX"
touch -d '2001-01-02' "$WORK/small/00bb.debug"
run bound SCORCH_DEBUG_CACHE="$WORK/small" SCORCH_DEBUG_CACHE_MB=$((real / 1048576 + 4))
check "bound: the new entry stays" "$([ -f "$WORK/small/$id.debug" ] && echo yes)" yes
check "bound: the oldest entry is removed" "$([ -e "$WORK/small/00aa.debug" ] && echo kept || echo removed)" removed
check "bound: the next one fits and stays" "$([ -e "$WORK/small/00bb.debug" ] && echo kept || echo removed)" kept
check "bound: a dead writer's temporary file is removed" "$([ -e "$WORK/small/.tmp-dead.debug.XXXXXX" ] && echo kept || echo removed)" removed
finish
