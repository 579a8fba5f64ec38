# A command line longer than 8 KiB is kept whole in the profile (the
# runtime read /proc/self/cmdline into 8,192 bytes: a 50 KB command came
# out as its first 8,182 bytes, the last argument cut), as long as the
# process record fits one chunk of the stream (64 KiB); a longer one is cut
# there, never a failure: the program's output and status are its own. The
# same under record, heap, heap --sample and record --calls.
. "$ROOT/tests/e2e/lib.sh"

cat >argv.c <<'EOS2'
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv)
{
	size_t n = 0;
	for (int i = 1; i < argc; i++)
		n += strlen(argv[i]);
	printf("%d arguments, %zu bytes\n", argc - 1, n);
	return argc > 3 ? 3 : 0;
}
EOS2
cc -O0 -o argv argv.c || fail "cannot build argv.c"

a=$(printf '%*s' 10000 '' | tr ' ' a)
b=$(printf '%*s' 10000 '' | tr ' ' b)
for mode in heap record "heap --sample=4K" "record --calls"; do
	name=${mode//[ =-]/_}
	"$SCORCH" $mode -o "$name.scorch" -- ./argv "$a" "$b" "$a" "$b" "$a" >"$name.out" 2>"$name.err"
	check "$mode: exit status" "$?" 3
	check "$mode: output" "$(cat "$name.out")" "5 arguments, 50000 bytes"
	json "$name.scorch"
	check "$mode: every argument kept, whole" \
		"$(q "$name.scorch.json" '.profiles[0].program.argv | map(length) | .[1:] | join(",")')" \
		"10000,10000,10000,10000,10000"
	check "$mode: the last one as given" "$([ "$(q "$name.scorch.json" '.profiles[0].program.argv[5]')" == "$a" ] && echo yes)" yes
done

# 100 KB: more than a chunk holds, so cut at the chunk's room, but the
# program runs as alone and every view reads the profile
c=$(printf '%*s' 20000 '' | tr ' ' c)
"$SCORCH" heap -o huge.scorch -- ./argv "$c" "$c" "$c" "$c" "$c" >huge.out 2>huge.err
check "100 KB: exit status" "$?" 3
check "100 KB: output" "$(cat huge.out)" "5 arguments, 100000 bytes"
json huge.scorch
n=$(q huge.scorch.json '.profiles[0].program.argv | map(length) | add')
check_ge "100 KB: kept of the command (bytes)" "$n" 60000
check "100 KB: within a chunk" "$([ "$n" -lt 65536 ] && echo yes)" yes
check "100 KB: the first arguments whole" \
	"$(q huge.scorch.json '.profiles[0].program.argv[1:3] | map(length) | join(",")')" "20000,20000"
"$SCORCH" html -o huge.html huge.scorch >/dev/null 2>&1
check "100 KB: html" "$?" 0
"$SCORCH" export --format=pprof -o huge.pb.gz huge.scorch >/dev/null 2>&1
check "100 KB: pprof" "$?" 0
finish
