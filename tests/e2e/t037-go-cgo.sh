# A Go program built with cgo under scorch record: the Go runtime installs
# its own handler for every signal, SIGTRAP and the real-time ones included.
# Through libc's sigaction (cgo), which scorch keeps for itself for SIGTRAP
# and hands the program's handler what is not a sample: the program runs as
# without scorch, and both its Go and its C loop are sampled. (With the
# real-time signal, SCORCH_SAMPLE_SIGNAL=rt, Go's handler takes the samples
# and drops them: no samples, but the program still runs normally.)
. "$ROOT/tests/e2e/lib.sh"
need_go "a cgo test program" || exit 1
cp -r "$ROOT/tests/progs/gocgo" src
(cd src && GOFLAGS=-mod=mod CGO_ENABLED=1 go build -o ../gocgo .) || { fail "go build failed"; finish; }
./gocgo >plain.out 2>&1
check "plain run" "$(cat plain.out)" "go-cgo done true"

"$SCORCH" record -o g.scorch -- ./gocgo >g.out 2>g.err
check "under scorch: exit" "$?" 0
check "under scorch: same output" "$(cat g.out)" "go-cgo done true"
"$SCORCH" report --json --limit=0 g.scorch >g.json
total=$(q g.json '.profiles[0].cpu.totals.samples')
check_ge "samples" "$total" 300
# Go's runtime blocks signals in some of its threads (around clone, its
# template thread): those are sampled from outside (cli/extsample.c)
check_match "source" "$(q g.json '.profiles[0].cpu.sampling.source')" '^perf cpu-clock( \(from outside for [0-9]+ threads? that blocks? signals\))?$'
pm() { jq -r --arg f "$1" --argjson t "$total" '[.profiles[0].cpu.functions[] | select(.function == $f) | .self] | add // 0 | . * 1000 / $t | floor' g.json; }
check_ge "Go loop main.gospin sampled (per mille)" "$(pm main.gospin)" 300
check_ge "C loop spin sampled (per mille)" "$(pm spin)" 300

SCORCH_SAMPLE_SIGNAL=rt "$SCORCH" record -o rt.scorch -- ./gocgo >rt.out 2>rt.err
check "real-time signal: exit" "$?" 0
check "real-time signal: same output" "$(cat rt.out)" "go-cgo done true"
finish
