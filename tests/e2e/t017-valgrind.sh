# The runtime under valgrind memcheck, inside real targets: no invalid reads
# or writes, no use of uninitialized memory, and the counts still exact.
# (The preloaded runtime cannot be built with a sanitizer: its runtime would
# have to come first in a foreign process. This is the check instead.)
. "$ROOT/tests/e2e/lib.sh"
command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
# memcheck must leave the runtime's malloc in place (nouserintercepts) and
# replace libc's, which the runtime calls
VG="valgrind -q --error-exitcode=99 --trace-children=no --child-silent-after-fork=yes
    --soname-synonyms=somalloc=nouserintercepts --suppressions=$ROOT/tests/valgrind.supp"
for prog in alloc-counts threads cxx-new dlopen fork exit-underscore; do
	# scorch preloads the runtime into valgrind's launcher and, through the
	# environment, into the program valgrind runs: its profile comes last
	"$SCORCH" heap -o "vg-$prog.scorch" -- $VG "$PROGS/$prog" >"vg-$prog.out" 2>"vg-$prog.err"
	r=$?
	[ "$prog" = exit-underscore ] && want=4 || want=0
	check "$prog under memcheck: status" "$r" "$want"
	check "$prog: memcheck found nothing" "$(grep -c '^==[0-9]*== ' "vg-$prog.err")" 0
	grep '^==' "vg-$prog.err" | head -30 | sed 's/^/    /'
done
guest=$(sed -n 's/^scorch: [0-9]* profiles: //p' vg-alloc-counts.err | tr ' ' '\n' | grep -v '^$' | tail -1)
check_match "guest profile" "$guest" 'alloc-counts\.[0-9]+\.scorch$'
json "$guest"
check "exact under memcheck: site_thousand" "$(site $guest.json site_thousand allocations)" 1000
check "exact under memcheck: site_leak" "$(site $guest.json site_leak leaked_blocks)" 7
finish
