# scorch as a command-line tool (issue 13, "The command line", "Installing it
# like a tool", "Progress on a terminal"): perf's habits (-g), usage errors in
# two lines, `scorch help CMD`, "did you mean", perf.data and source files
# named for what they are, annotate's arguments swapped, a progress line on a
# terminal only, the build's CC/CFLAGS/LDFLAGS/WERROR and dependencies, and
# `make install` / `make uninstall` with DESTDIR and PREFIX: the files, the
# SONAME, pkg-config, a program built against the installed header and
# library and run under the installed scorch, man pages, bash completion.
. "$ROOT/tests/e2e/lib.sh"
S=$SCORCH
CMDS=$("$S" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
check "commands listed" "$(echo $CMDS | grep -c 'record heap report')" 1

# ---- perf's habits ----
"$S" record -g -o g.scorch -- "$PROGS/cpu-short" >g.out 2>g.err; r=$?
check "record -g: runs" "$r" 0
check "record -g: profile written" "$(test -s g.scorch && echo yes)" yes
"$S" record --call-graph=dwarf -o g2.scorch -- "$PROGS/cpu-short" >/dev/null 2>&1
check "record --call-graph=dwarf: runs" "$?" 0
"$S" record --call-graph=bogus -- true >cg.out 2>cg.err
check "record --call-graph=bogus: usage error" "$?" 2
check "record --call-graph=bogus: says what it takes" "$(head -1 cg.err)" \
	"scorch record: --call-graph takes perf's fp, dwarf or lbr (and scorch records whole stacks anyway), not 'bogus'"
"$S" record --help >rh.out
check_match "record --help: -g is explained" "$(cat rh.out)" '^  -g  .*accepted as perf takes it'
check_match "record --help: stacks always on" "$(cat rh.out)" 'scorch always records the whole stack'
check_match "record --help: -p attaches" "$(cat rh.out)" '^  -p, --pid PID\[,PID\.\.\.\]  attach to these running processes'
check_match "record --help: -a" "$(cat rh.out)" '^  -a, --all-cpus  '
"$S" record -p notapid >p.out 2>p.err
check "record -p notapid: exit" "$?" 2
check_match "record -p notapid: says so" "$(cat p.err)" "-p takes process ids separated by commas"

# ---- a usage error: the error and one line pointing at the help ----
for c in $CMDS; do
	"$S" "$c" --bogus-option >u.out 2>u.err </dev/null; r=$?
	check "$c --bogus-option: exit 2" "$r" 2
	check "$c --bogus-option: nothing on stdout" "$(wc -c <u.out)" 0
	check "$c --bogus-option: two lines" "$(cat u.err)" \
"scorch $c: unknown option '--bogus-option'
see 'scorch $c --help' (or 'scorch help $c')"
done
"$S" report -Z x.scorch >/dev/null 2>u.err
check "report -Z: the short option named" "$(head -1 u.err)" "scorch report: unknown option '-Z'"
"$S" report --sort 2>u.err >/dev/null
check "report --sort: needs a value" "$(cat u.err)" "scorch report: option '--sort' needs a value
see 'scorch report --help' (or 'scorch help report')"
"$S" heap 2>u.err >/dev/null
check "heap without a program" "$(cat u.err)" "scorch heap: no program given
see 'scorch heap --help' (or 'scorch help heap')"

# ---- scorch help CMD ----
for c in $CMDS; do
	"$S" help "$c" >h1.out 2>h1.err; r1=$?
	"$S" "$c" --help >h2.out 2>h2.err; r2=$?
	check "help $c: exit 0" "$r1 $r2" "0 0"
	check "help $c: same as $c --help" "$(cmp -s h1.out h2.out && test -s h1.out && echo same)" same
done
"$S" help >h1.out; "$S" --help >h2.out
check "help: same as --help" "$(cmp -s h1.out h2.out && echo same)" same
check_match "help: says how to get a command's" "$(cat h1.out)" "'scorch help <command>'"
"$S" help nosuch >/dev/null 2>h.err
check "help nosuch: exit 2" "$?" 2

# ---- did you mean ----
dym() { # typo expected-first-line
	"$S" "$1" >d.out 2>d.err
	local r=$?
	check "'$1': exit 2" "$r" 2
	check "'$1': message" "$(cat d.err)" "$2
see 'scorch --help'"
}
dym reprot "scorch: 'reprot' is not a scorch command; did you mean 'report'?"
dym recrod "scorch: 'recrod' is not a scorch command; did you mean 'record'?"
dym anotate "scorch: 'anotate' is not a scorch command; did you mean 'annotate'?"
dym rep "scorch: 'rep' is not a scorch command; did you mean 'report'?"
dym xyzzy "scorch: 'xyzzy' is not a scorch command; the commands are: $(echo $CMDS | sed 's/ /, /g')"
# a misspelled long option: the closest of the command's own (from its
# --help), or the options a prefix could be; two lines, exit 2
dymo() { # cmd option expected-first-line
	"$S" "$1" "$2" g.scorch >d.out 2>d.err
	local r=$?
	check "'$1 $2': exit 2" "$r" 2
	check "'$1 $2': message" "$(cat d.err)" "$3
see 'scorch $1 --help' (or 'scorch help $1')"
}
dymo report --mrege "scorch report: unknown option '--mrege'; did you mean --merge?"
dymo report --jsno=1 "scorch report: unknown option '--jsno'; did you mean --json?"
dymo report --thre "scorch report: ambiguous option '--thre'; it could be --threads, --thread"
dymo flame --icicel "scorch flame: unknown option '--icicel'; did you mean --icicle?"
dymo export --formta=pprof "scorch export: unknown option '--formta'; did you mean --format?"
dymo annotate --sorce "scorch annotate: unknown option '--sorce'; did you mean --source?"
dymo report --zzzzzz "scorch report: unknown option '--zzzzzz'"
dymo html --merge=1 "scorch html: option '--merge=1' takes no value"
"$S" --bogus 2>d.err; r=$?
check "scorch --bogus: exit 2" "$r" 2
check_match "scorch --bogus: options go after the command" "$(cat d.err)" "options go after the command"

# ---- files that are not profiles ----
printf 'PERFILE2\0\0\0\0\0\0\0\0\x68\0\0\0\0\0\0\0' >perf.data
"$S" report perf.data >/dev/null 2>pd.err; r=$?
check "report perf.data: exit 1" "$r" 1
check "report perf.data: what to do" "$(cat pd.err)" \
	"scorch: perf.data: a perf.data file, not a scorch profile: turn it into one with 'perf script -i FILE | scorch import -o FILE.scorch -'"
"$S" flame -o x.svg perf.data >/dev/null 2>pd2.err
check "flame perf.data: exit 1" "$?" 1
check_match "flame perf.data: what to do" "$(cat pd2.err)" "perf.data file, not a profile or folded stacks: .*perf script -i FILE \| scorch import"
cp "$ROOT/tests/progs/cpu-short.c" src.c
"$S" flame -o x.svg src.c >/dev/null 2>src.err
check "flame src.c: exit 1" "$?" 1
check "flame src.c: not a profile or folded stacks" "$(cat src.err)" \
	"scorch: src.c: line 1: not a profile or folded stacks (a .scorch file, or lines of 'frame;frame;... COUNT'): '$(head -1 src.c | cut -c1-60)...'"
check "flame src.c: no talk of counts" "$(grep -c 'whole number' src.err)" 0
"$S" diff src.c src.c >/dev/null 2>src2.err
check_match "diff src.c: the same message" "$(cat src2.err)" "not a profile or folded stacks"
printf 'a;b 1\na;c 2\na;d x\n' >typo.folded
"$S" flame -o t.svg typo.folded 2>typo.err
check_match "a folded file with a bad count still says which" "$(cat typo.err)" "line 3: the count at the end is not a whole number"

# ---- annotate with its arguments swapped ----
"$S" annotate main g.scorch >/dev/null 2>an.err; r=$?
check "annotate FUNC FILE: exit 2" "$r" 2
check "annotate FUNC FILE: says so" "$(cat an.err)" \
"scorch annotate: the profile comes first, then the function: 'scorch annotate g.scorch main'
see 'scorch annotate --help' (or 'scorch help annotate')"
"$S" annotate g.scorch main >/dev/null 2>an2.err; r=$?
check "annotate FILE FUNC: not taken for swapped" "$(grep -c 'comes first' an2.err)" 0

# ---- progress on a terminal, and only there ----
if command -v script >/dev/null; then
	# SCORCH_PROGRESS_DELAY_MS=0: shown from the start instead of after 1 s
	SCORCH_PROGRESS_DELAY_MS=0 script -qec "'$S' report g.scorch >/dev/null" /dev/null >pty.out </dev/null
	check_match "report on a terminal: the progress line" "$(tr '\r' '\n' <pty.out)" '^scorch: reading g\.scorch\.\.\. [0-9]+\.[0-9] s'
	check "report on a terminal: the line is erased at the end" "$(grep -c $'\r\e\\[K' pty.out)" 1
	SCORCH_PROGRESS_DELAY_MS=0 script -qec "'$S' html -o g.html g.scorch" /dev/null >pty2.out </dev/null
	check_match "html on a terminal: reading, then writing" "$(tr '\r' '\n' <pty2.out | grep -o 'scorch: [a-z]* [^.]*' | sort -u | tr '\n' '|')" \
		'scorch: reading g\|scorch: writing g\|scorch: wrote g'
	# flame, diff and export: reading, then what they make; the line is
	# erased before the summary each prints
	lines() { tr '\r' '\n' <"$1" | grep -oE '^scorch: [a-z]+( [^ ]+)?\.\.\. ' | sed 's/ $//' | uniq | tr '\n' '|'; }
	SCORCH_PROGRESS_DELAY_MS=0 script -qec "'$S' flame -o g.svg g.scorch" /dev/null >pty5.out </dev/null
	check "flame on a terminal: reading, then drawing" "$(lines pty5.out)" \
		'scorch: reading g.scorch...|scorch: drawing g.svg...|'
	check_match "flame: the summary on a clean line" "$(cat pty5.out)" $'\e\\[Kscorch: g\\.svg: [0-9]+ frames drawn'
	SCORCH_PROGRESS_DELAY_MS=0 script -qec "'$S' diff -o gd.svg g.scorch g.scorch >/dev/null" /dev/null >pty6.out </dev/null
	check "diff on a terminal: reading both, comparing, drawing" "$(lines pty6.out)" \
		'scorch: reading g.scorch...|scorch: comparing...|scorch: drawing gd.svg...|'
	check_match "diff: the summary on a clean line" "$(cat pty6.out)" $'\e\\[Kscorch: gd\\.svg: differential'
	SCORCH_PROGRESS_DELAY_MS=0 script -qec "'$S' export --format=pprof -o g.pb.gz g.scorch" /dev/null >pty7.out </dev/null
	check "export on a terminal: reading, then writing" "$(lines pty7.out)" \
		'scorch: reading g.scorch...|scorch: writing g.pb.gz...|'
	check "export: the line erased at the end" "$(tail -c 4 pty7.out | od -An -c | tr -d ' ')" '\r033[K'
	SCORCH_PROGRESS_DELAY_MS=0 script -qec "'$S' record -o f.scorch -- '$PROGS/cpu-short' >/dev/null" /dev/null >pty3.out </dev/null
	check_match "record on a terminal: finalizing" "$(tr '\r' '\n' <pty3.out)" '^scorch: finalizing the profile\.\.\. '
	# the default: a second first; a small report takes less (timed, as
	# a loaded machine may take longer)
	t0=$(date +%s%N)
	script -qec "'$S' report g.scorch >/dev/null" /dev/null >pty4.out </dev/null
	ms=$(( ($(date +%s%N) - t0) / 1000000 ))
	if [ "$ms" -lt 900 ]; then
		check "report under a second: no progress line ($ms ms)" "$(grep -c 'reading' pty4.out)" 0
	fi
else
	echo "note: no script(1): the terminal checks are left out"
fi
SCORCH_PROGRESS_DELAY_MS=0 "$S" report g.scorch >/dev/null 2>np.err
check "report not on a terminal: silent" "$(wc -c <np.err)" 0
SCORCH_PROGRESS_DELAY_MS=0 "$S" export -o np.folded g.scorch 2>np3.err
SCORCH_PROGRESS_DELAY_MS=0 "$S" diff g.scorch g.scorch >/dev/null 2>>np3.err
SCORCH_PROGRESS_DELAY_MS=0 "$S" flame -o np.svg g.scorch 2>>np3.err
check "export, diff, flame not on a terminal: no progress" "$(grep -c $'reading\|\e' np3.err)" 0
SCORCH_PROGRESS_DELAY_MS=0 "$S" record -o f2.scorch -- "$PROGS/cpu-short" >/dev/null 2>np2.err
check "record not on a terminal: no progress" "$(grep -c $'finalizing\|\e' np2.err)" 0

# ---- the build: CC, CFLAGS, LDFLAGS, -Werror, dependencies ----
B=$(realpath --relative-to="$ROOT" "${BUILD:-$(dirname "$S")}")
mk() { make -s -C "$ROOT" -n BUILD="$WORK/nobuild" "$@" 2>&1; }
mk CFLAGS=-DT055_CMDLINE tool runtime >mk1.out
check "CFLAGS on the command line: every compile" \
	"$(grep -E '^cc .* -c ' mk1.out | grep -vc -- -DT055_CMDLINE)" 0
nrt=$(grep -c -- ' -c -o [^ ]*/rtobj/' mk1.out)
check "the runtime's objects: as many as runtime/*.c" "$nrt" "$(ls "$ROOT"/runtime/*.c | wc -l)"
check "CFLAGS: the runtime too, before its own flags" \
	"$(grep -- ' -c -o [^ ]*/rtobj/' mk1.out | grep -c -- '-DT055_CMDLINE.*-fno-stack-protector')" "$nrt"
check "no -Werror by default" "$(grep -c -- -Werror mk1.out)" 0
CFLAGS=-DT055_ENV LDFLAGS=-Wl,-O1,--build-id CC=gcc mk tool >mk2.out
check "CFLAGS from the environment" "$(grep -E ' -c -o ' mk2.out | grep -vc -- -DT055_ENV)" 0
check "CC from the environment" "$(grep -E ' -c -o ' mk2.out | grep -vc '^gcc ')" 0
check "LDFLAGS: the link" "$(grep -E -- '-o [^ ]*/scorch ' mk2.out | grep -c -- '-Wl,-O1,--build-id')" 1
check "WERROR=1: -Werror" "$(mk WERROR=1 tool | grep ' -c -o ' | grep -vc -- -Werror)" 0
check "make check builds with -Werror" "$(grep -c 'WERROR=1' "$ROOT/tests/run-all.sh")" 2
# plain make asks pkg-config for the build dependencies only: with cmocka
# missing (a pkg-config that does not know it), make all does not try to
# install anything, and make unit does
mkdir -p fakebin
cat >fakebin/pkg-config <<'PC'
#!/bin/sh
for a in "$@"; do [ "$a" = cmocka ] && exit 1; done
exec /usr/bin/pkg-config "$@"
PC
chmod +x fakebin/pkg-config
PATH=$WORK/fakebin:$PATH mk tool runtime >mk3.out
check "make: no test tools wanted" "$(grep -c 'install-deps' mk3.out)" 0
PATH=$WORK/fakebin:$PATH mk unit >mk4.out
check_match "make unit: the test tools wanted" "$(cat mk4.out)" 'running scripts/install-deps.sh check'
build_pkgs=$(sed -n 's/^BUILD_PKGS="\(.*\)"$/\1/p' "$ROOT/scripts/install-deps.sh")
check "build dependencies: none of the test tools" "$(echo " $build_pkgs " | grep -Ec ' (libcmocka-dev|valgrind|heaptrack|sqlite3) ')" 0
check_match "build dependencies: the libraries" "$build_pkgs" 'libdw-dev.*libunwind-dev'

# ---- make install / uninstall ----
hdr=$ROOT/include/scorch.h
VERSION=$(sed -n 's/^#define SCORCH_VERSION "\(.*\)"$/\1/p' "$hdr")
MAJOR=$(sed -n 's/^#define SCORCH_VERSION_MAJOR \([0-9]*\)$/\1/p' "$hdr")
check "header version macros agree" "$(sed -n 's/^#define SCORCH_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' "$hdr" | paste -sd.)" "$VERSION"
D=$WORK/dest
make -C "$ROOT" BUILD="$B" install DESTDIR="$D" PREFIX=/usr >inst.log 2>&1
check "make install: exit" "$?" 0
{
	echo usr/bin/scorch
	echo usr/include/scorch.h
	echo usr/lib/libscorch.so
	echo "usr/lib/libscorch.so.$MAJOR"
	echo "usr/lib/libscorch.so.$VERSION"
	echo usr/lib/pkgconfig/scorch.pc
	echo usr/share/bash-completion/completions/scorch
	echo usr/share/man/man1/scorch.1
	for c in $CMDS; do echo "usr/share/man/man1/scorch-$c.1"; done
} | sort >want.list
(cd "$D" && find . -type f -o -type l | sed 's|^\./||' | sort) >got.list
check "make install: the files" "$(diff want.list got.list && echo same)" same
check "libscorch.so -> SONAME" "$(readlink "$D/usr/lib/libscorch.so")" "libscorch.so.$MAJOR"
check "SONAME link -> the library" "$(readlink "$D/usr/lib/libscorch.so.$MAJOR")" "libscorch.so.$VERSION"
check "SONAME" "$(readelf -d "$D/usr/lib/libscorch.so.$VERSION" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libscorch.so.$MAJOR"
check "installed scorch --version" "$(env -u SCORCH_RUNTIME "$D/usr/bin/scorch" --version)" "scorch $VERSION"
check "installed scorch links neither libcapstone nor libcurl (dlopen'ed on use)" \
	"$(readelf -d "$D/usr/bin/scorch" | grep -cE 'NEEDED.*(libcapstone|libcurl)')" 0
check "installed header = include/scorch.h" "$(cmp -s "$hdr" "$D/usr/include/scorch.h" && echo same)" same
export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig
check "pkg-config --modversion" "$(pkg-config --modversion scorch)" "$VERSION"
check_match "pkg-config --libs" "$(pkg-config --libs scorch)" '(^| )-lscorch( |$)'
check "pkg-config: libdir" "$(pkg-config --variable=libdir scorch)" /usr/lib
flags=$(echo $(PKG_CONFIG_SYSROOT_DIR=$D pkg-config --cflags --libs scorch))
check "pkg-config --cflags --libs (sysroot: DESTDIR)" "$flags" \
	"-I$D/usr/include -L$D/usr/lib -Wl,--push-state,--no-as-needed -lscorch -Wl,--pop-state"
unset PKG_CONFIG_PATH
cat >app.c <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <scorch.h>
static volatile unsigned long sink;
static void work(void)
{
	SCORCH_ZONE("installed-zone");
	for (unsigned long i = 0; i < 200000; i++)
		sink += i;
}
int main(void)
{
	for (int i = 0; i < 3; i++)
		work();
	printf("%s %d.%d.%d\n", SCORCH_VERSION, SCORCH_VERSION_MAJOR, SCORCH_VERSION_MINOR, SCORCH_VERSION_PATCH);
	return 0;
}
C
# shellcheck disable=SC2086
cc -o app app.c $flags -Wl,-rpath,"$D/usr/lib" 2>cc.err
check "a program builds against the installed header and library" "$?" 0
check "it links libscorch.so.$MAJOR" "$(readelf -d app | grep -c "NEEDED.*\[libscorch.so.$MAJOR\]")" 1
check "it runs" "$(./app)" "$VERSION $VERSION"
env -u SCORCH_RUNTIME "$D/usr/bin/scorch" record -o app.scorch -- ./app >app.out 2>app.err
check "installed scorch runs it (its runtime found in ../lib)" "$?" 0
check "the program's output" "$(cat app.out)" "$VERSION $VERSION"
check_match "its 3 zones recorded" "$(env -u SCORCH_RUNTIME "$D/usr/bin/scorch" report --zones app.scorch)" '^ +3 .* installed-zone '
mv "$D/usr/lib/libscorch.so.$VERSION" lib.away
env -u SCORCH_RUNTIME "$D/usr/bin/scorch" record -o x.scorch -- ./app >/dev/null 2>noruntime.err
check "without the installed runtime: exit 2" "$?" 2
check_match "without the installed runtime: says so" "$(cat noruntime.err)" 'cannot find the runtime libscorch.so'
mv lib.away "$D/usr/lib/libscorch.so.$VERSION"
# man pages: every one renders, made from the --help text
for c in "" $CMDS; do
	page=$D/usr/share/man/man1/scorch${c:+-$c}.1
	MANWIDTH=200 man -l "$page" >man.out 2>man.err </dev/null
	check "man scorch${c:+-$c}: renders" "$?" 0
	check "man scorch${c:+-$c}: no groff warnings" "$(groff -man -Tutf8 -ww -z "$page" 2>&1 | wc -l)" 0
	if [ -n "$c" ]; then
		first=$("$S" "$c" --help | head -1 | sed 's/^usage: //')
		check "man scorch-$c: the synopsis is --help's" "$(grep -cF -- "$first" man.out)" 1
		opt=$("$S" "$c" --help | grep -m1 -E '^  +-' | sed 's/^ *//; s/  .*//')
		check "man scorch-$c: an option of --help ($opt)" "$(grep -cF -- "$opt" man.out | awk '{ print ($1 > 0) }')" 1
		check_match "man scorch-$c: NAME" "$(cat man.out)" "^ +scorch-$c - "
	fi
done
MANWIDTH=200 man -l "$D/usr/share/man/man1/scorch-record.1" >man.out 2>/dev/null
check_match "man scorch-record: -g is there too" "$(cat man.out)" 'accepted as perf takes it'
# bash completion
comp() { # words... (the last is completed)
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _scorch; printf "%s\n" "${COMPREPLY[@]}" | sort | paste -sd" "' \
		_ "$D/usr/share/bash-completion/completions/scorch" "$@"
}
check "completion: scorch rep" "$(comp scorch rep)" report
check "completion: scorch h" "$(comp scorch h)" "heap help html"
check "completion: scorch help fl" "$(comp scorch help fl)" flame
check "completion: scorch record --wa" "$(comp scorch record --wa)" --wall
check "completion: scorch report --so" "$(comp scorch report --so)" "--sort="
mkdir -p cdir/sub && touch cdir/a.scorch cdir/b.scorch cdir/notes.txt
check "completion: profiles" "$(cd cdir && comp scorch report '')" "a.scorch b.scorch sub/"
check "completion: complete -F _scorch scorch" "$(bash -c '. "$1"; complete -p scorch' _ "$D/usr/share/bash-completion/completions/scorch")" "complete -F _scorch scorch"
# uninstall
make -C "$ROOT" BUILD="$B" uninstall DESTDIR="$D" PREFIX=/usr >uninst.log 2>&1
check "make uninstall: exit" "$?" 0
check "make uninstall: no file left" "$(find "$D" -type f -o -type l 2>/dev/null | wc -l)" 0
finish
