# -DSCORCH_DISABLE compiles every zone macro to nothing: the object code of
# zoned functions equals that of the same source with the macro lines
# deleted, in C and C++, at -O0 and -O2. Without it the code differs (the
# test can tell), and the zoned program still builds and runs.
. "$ROOT/tests/e2e/lib.sh"
opt_builds   # the zone and call programs as built at -O2, then at -O0
src=$ROOT/tests/progs/zones-disable.c
inc=$ROOT/include
grep -v -e 'SCORCH_' -e 'scorch_zone_' "$src" >plain.c
check "the plain copy lost the 7 macro lines (and 2 of the comment)" "$(( $(wc -l <"$src") - $(wc -l <plain.c) ))" 9
# body OBJ FUNC: the disassembly of FUNC without addresses
body() {
	objdump -d --no-show-raw-insn "$1" |
		awk -v f="$2" '$0 ~ "^[0-9a-f]+ <"f">:" { p = 1; next } p && /^$/ { p = 0 } p' |
		sed -E 's/^ *[0-9a-f]+:[[:space:]]*//; s/[[:space:]]*#.*//'
}
for lang in c c++; do
	for opt in -O0 -O2; do
		cc=cc
		[ "$lang" = c++ ] && cc=c++
		$cc -x $lang $opt -c -DSCORCH_DISABLE -I"$inc" -o off.o "$src" || fail "$lang $opt: -DSCORCH_DISABLE build"
		$cc -x $lang $opt -c -I"$inc" -o plain.o plain.c || fail "$lang $opt: plain build"
		$cc -x $lang $opt -c -I"$inc" -o live.o "$src" || fail "$lang $opt: zoned build"
		for f in zd_scoped zd_events zd_spans; do
			sym=$f
			[ "$lang" = c++ ] && sym=$(nm off.o | awk -v f="$f" '$3 ~ "^_Z[0-9]+"f { print $3 }')
			a=$(body off.o "$sym")
			b=$(body plain.o "$sym")
			c=$(body live.o "$sym")
			check_ge "$lang $opt $f: instructions" "$(wc -l <<<"$a")" 5
			check "$lang $opt $f: SCORCH_DISABLE code = plain code" "$([ "$a" == "$b" ] && echo same || echo different)" same
			check "$lang $opt $f: zoned code differs" "$([ "$c" != "$b" ] && echo different || echo same)" different
		done
	done
done
check "the zoned program runs" "$("$PROGS/zones-disable")" "sum=4950 checksum=328350"
cc -O2 -DSCORCH_DISABLE -I"$inc" -o off "$src" || fail "-DSCORCH_DISABLE program"
check "the disabled program runs" "$(./off)" "sum=4950 checksum=328350"
finish
