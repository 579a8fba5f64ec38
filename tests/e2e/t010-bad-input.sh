# Bad input gets a clear message and a non-zero exit, never a crash.
. "$ROOT/tests/e2e/lib.sh"
"$SCORCH" heap -- /nonexistent/prog 2>e1; r=$?
check "missing program: 127" "$r" 127
check_match "missing program: message" "$(cat e1)" 'nonexistent/prog: command not found'
"$SCORCH" heap -- no-such-command-xyz 2>e1b; r=$?
check "missing command: 127" "$r" 127
check_match "missing command: message" "$(cat e1b)" 'no-such-command-xyz: command not found'
printf 'not a program' >notexec; chmod -x notexec
"$SCORCH" heap -- ./notexec 2>e2; r=$?
check "not executable: 127" "$r" 127
check_match "not executable: message" "$(cat e2)" 'permission denied'
"$SCORCH" heap -- "$PROGS/static-hello" 2>e3; r=$?
check "static: 127" "$r" 127
check_match "static: explains" "$(cat e3)" 'statically linked.*LD_PRELOAD'
"$SCORCH" heap --bogus -- true 2>e4; r=$?
check "unknown flag: 2" "$r" 2
check_match "unknown flag: points at the help" "$(cat e4)" "see 'scorch heap --help'"
"$SCORCH" heap --depth 0 -- true 2>e5; r=$?
check "bad depth: 2" "$r" 2
"$SCORCH" frobnicate 2>e6; r=$?
check "unknown command: 2" "$r" 2
check_match "unknown command: lists commands" "$(cat e6)" 'heap'
"$SCORCH" heap -o /nonexistent-dir/x.scorch -- true 2>e7; r=$?
check "unwritable output: 2" "$r" 2
check_match "unwritable output: names it" "$(cat e7)" 'cannot write the profile to /nonexistent-dir/x.scorch'
check "no session dir left behind" "$(ls -a | grep -c '^\.scorch-')" 0
"$SCORCH" heap -- 2>e8; r=$?
check "no program: 2" "$r" 2

# set-uid to another user: the dynamic linker would ignore LD_PRELOAD
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	cp "$PROGS/alloc-counts" suid && chown nobody suid && chmod u+s suid
	"$SCORCH" heap -- ./suid 2>e11; r=$?
	check "setuid: 127" "$r" 127
	check_match "setuid: explains" "$(cat e11)" 'set-user-ID.*LD_PRELOAD'
fi

# report on bad files: each a clear message, exit 1, no crash (status < 128)
"$SCORCH" heap -o good.scorch -- "$PROGS/alloc-counts" 2>/dev/null
printf 'hello world, not a profile at all' >foreign.scorch
head -c 100 good.scorch >truncated.scorch
head -c 40 good.scorch >tiny.scorch
: >empty.scorch
cp good.scorch corrupt.scorch
size=$(stat -c %s corrupt.scorch)
# flip bytes in the middle of the compressed body
printf '\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8' | dd of=corrupt.scorch bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
for f in foreign truncated tiny empty corrupt missing; do
	"$SCORCH" report $f.scorch >/dev/null 2>err.$f; r=$?
	check "report $f: exit 1" "$r" 1
	check_match "report $f: message names the file" "$(cat err.$f)" "$f.scorch: "
done
check_match "truncated says so" "$(cat err.truncated)" 'truncated'
check_match "foreign says so" "$(cat err.foreign)" 'not a scorch profile'
# a good file next to a bad one: the good one is still reported
"$SCORCH" report --json good.scorch foreign.scorch >mixed.json 2>/dev/null; r=$?
check "mixed: exit 1" "$r" 1
check "mixed: good profile reported" "$(jq '.profiles | length' mixed.json)" 1
check "mixed: error listed" "$(jq -r '.errors[0].file' mixed.json)" foreign.scorch
"$SCORCH" report --sort=nonsense good.scorch 2>e9; r=$?
check "bad sort key: 2" "$r" 2
"$SCORCH" export --format=nonsense good.scorch 2>e10; r=$?
check "bad export format: 2" "$r" 2
check_match "bad export format: lists formats" "$(cat e10)" 'folded'
# fuzz: random byte flips never crash the reader
for i in $(seq 1 60); do
	cp good.scorch fz.scorch
	off=$(( (RANDOM * 32768 + RANDOM) % size ))
	printf "\\x$(printf %02x $((RANDOM % 256)))" | dd of=fz.scorch bs=1 seek=$off conv=notrunc 2>/dev/null
	"$SCORCH" report fz.scorch >/dev/null 2>&1; r=$?
	[ "$r" -lt 128 ] || fail "report crashed (status $r) on a byte flip at $off"
done
finish
