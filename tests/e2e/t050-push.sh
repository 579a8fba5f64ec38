# Continuous profiling into a real Grafana Pyroscope server (built from the
# Go module proxy by scripts/build-pyroscope.sh, cached in BUILD/pyroscope):
# `scorch record --every --push` on a running process whose split is known
# (cpu-attach: late_work_a 60%, late_work_b 40%), the server queried back
# through its render API (format=json) and compared with `scorch report` of
# the very intervals that were pushed (written with --save): the server's
# sample total and each top function's self samples must equal the sums over
# those profiles, exactly. The server is away when the recording starts and
# comes up once the pusher has found it away: the intervals are kept and delivered. Then it
# goes away again for a run with --spool-max 2: the older intervals are
# dropped and counted, the last two stay in the spool, and once the server is
# back `scorch push` delivers exactly them. Skips only when there is no go
# toolchain to build the server with.
. "$ROOT/tests/e2e/lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq is needed"; exit 77; }
command -v curl >/dev/null || { echo "SKIP: curl is needed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed (free ports, the flame graph's sums)"; exit 77; }
case ${BUILD:-build} in /*) B=$BUILD ;; *) B=$ROOT/${BUILD:-build} ;; esac

PYRO=${PYROSCOPE:-}
if [ -z "$PYRO" ]; then
	for d in "$B" "$ROOT/build"; do
		if [ -x "$d/pyroscope/pyroscope" ]; then PYRO=$d/pyroscope/pyroscope; break; fi
	done
fi
if [ -z "$PYRO" ]; then
	if ! command -v go >/dev/null; then
		echo "SKIP: no go toolchain to build the Pyroscope server with (scripts/build-pyroscope.sh)"
		exit 77
	fi
	echo "--- building the Pyroscope server (scripts/build-pyroscope.sh $ROOT/build)"
	if ! "$ROOT/scripts/build-pyroscope.sh" "$ROOT/build"; then
		fail "scripts/build-pyroscope.sh could not build the server (see above)"
		finish
	fi
	PYRO=$ROOT/build/pyroscope/pyroscope
fi
echo "server: $PYRO ($(cat "$(dirname "$PYRO")/version" 2>/dev/null))"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HP=$(free_port); GP=$(free_port); MP=$(free_port)
URL=http://127.0.0.1:$HP
DATA=$WORK/pyroscope-data
mkdir -p "$DATA"
SRV=
start_server() { # log name
	# every component on loopback: the ring would advertise the first other interface
	local a=127.0.0.1 f flags=()
	for f in compactor.ring.instance-addr distributor.ring.instance-addr ingester.lifecycler.addr \
		memberlist.advertise-addr overrides-exporter.ring.instance-addr query-frontend.instance-addr \
		query-scheduler.ring.instance-addr store-gateway.sharding-ring.instance-addr; do
		flags+=("-$f=$a")
	done
	"$PYRO" "${flags[@]}" -target=all -tracing.enabled=false -usage-stats.enabled=false -self-profiling.disable-push=true \
		-server.http-listen-address=127.0.0.1 -server.http-listen-port="$HP" \
		-server.grpc-listen-address=127.0.0.1 -server.grpc-listen-port="$GP" \
		-memberlist.bind-addr=127.0.0.1 -memberlist.bind-port="$MP" -memberlist.advertise-port="$MP" \
		-pyroscopedb.data-path="$DATA/head" -storage.backend=filesystem -storage.filesystem.dir="$DATA/shared" \
		-blocks-storage.bucket-store.sync-dir="$DATA/sync" -compactor.data-dir="$DATA/compactor" \
		>"$WORK/server-$1.log" 2>&1 &
	SRV=$!
	local i
	for i in $(seq 1 240); do
		if curl -sf --max-time 5 "$URL/ready" >/dev/null 2>&1; then
			echo "--- server $1 ready after $((i / 4)) s (pid $SRV, $URL)"
			return 0
		fi
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.25
	done
	fail "the Pyroscope server did not get ready (server-$1.log):"
	tail -20 "$WORK/server-$1.log"
	return 1
}
stop_server() {
	[ -n "$SRV" ] || return 0
	kill -TERM "$SRV" 2>/dev/null
	local i
	for i in $(seq 1 120); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.25; done
	kill -KILL "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	SRV=
}
TGT=
cleanup() { stop_server; [ -n "$TGT" ] && kill "$TGT" 2>/dev/null; }
trap cleanup EXIT

# sum over profiles of report --json figures: total samples, self of function $2
sum_samples() { local f t=0; for f in "$@"; do t=$((t + $("$SCORCH" report --json --limit=0 "$f" | jq '.profiles[0].cpu.totals.samples'))); done; echo $t; }
sum_self() {
	local fn=$1 f t=0
	shift
	for f in "$@"; do
		t=$((t + $("$SCORCH" report --json --limit=0 "$f" | jq --arg f "$fn" '[.profiles[0].cpu.functions[] | select(.function == $f) | .self] | add // 0')))
	done
	echo $t
}
sum_total() {
	local fn=$1 f t=0
	shift
	for f in "$@"; do
		t=$((t + $("$SCORCH" report --json --limit=0 "$f" | jq --arg f "$fn" '[.profiles[0].cpu.functions[] | select(.function == $f) | .total] | add // 0')))
	done
	echo $t
}
# query APP FROM_S UNTIL_S > json: the server's merged flame graph of the samples
query() {
	curl -sf --max-time 60 -G "$URL/pyroscope/render" --data-urlencode "query=process_cpu:samples:count:cpu:nanoseconds{service_name=\"$1\"}" \
		--data-urlencode "from=$2" --data-urlencode "until=$3" --data-urlencode "format=json" --data-urlencode "max-nodes=65536"
}
# flame graph json on stdin -> "TOTAL" or the self of function $1
fb_total() { jq '.flamebearer.numTicks'; }
fb_self() {
	python3 -c '
import json, sys
fb = json.load(sys.stdin)["flamebearer"]
names, want, s = fb["names"], sys.argv[1], 0
for lvl in fb["levels"]:
    for i in range(0, len(lvl), 4):
        if names[lvl[i + 3]] == want:
            s += lvl[i + 2]
print(s)' "$1"
}

"$PROGS/cpu-attach" 600000 >"$WORK/target.out" 2>&1 &
TGT=$!
sleep 0.3
T0=$(date +%s)

# --- 1: the server is away at first, then comes up ---
echo "--- scorch record --every 2s --push (server not started yet)"
"$SCORCH" record --every 2s --duration 12s -p "$TGT" --push "$URL" --app t050 --label run=one --label test=t050 \
	--save "$WORK/iv1" --spool "$WORK/spool1" --push-wait 90s >"$WORK/rec1.out" 2>"$WORK/rec1.err" &
REC=$!
# the server comes up once the pusher has found it away
for i in $(seq 1 120); do grep -q "keeping the intervals" "$WORK/rec1.err" && break; sleep 0.25; done
start_server one || finish
wait "$REC"
rc=$?
sed 's/^/    /' "$WORK/rec1.err"
check "record --every --push exit status" "$rc" 0
ivs=("$WORK"/iv1/*.scorch)
n=${#ivs[@]}
check_ge "intervals written" "$n" 5
check_match "the away server noticed" "$(cat "$WORK/rec1.err")" "keeping the intervals in $WORK/spool1"
check_match "and back" "$(cat "$WORK/rec1.err")" "is back after"
check_match "every interval sent" "$(cat "$WORK/rec1.err")" "^scorch: push: $n interval profiles sent to $URL as t050\{run=one,test=t050\}"
check "nothing dropped or left" "$(grep -cE 'dropped|not sent' "$WORK/rec1.err")" 0
check "spool emptied and removed" "$(ls -d "$WORK/spool1" 2>/dev/null | wc -l)" 0

T1=$(($(date +%s) + 2))
query t050 "$((T0 - 5))" "$T1" >"$WORK/q1.json"
check "server answered the query" "$?" 0
want=$(sum_samples "${ivs[@]}")
got=$(fb_total <"$WORK/q1.json")
echo "samples: server $got, scorch report of the $n intervals $want"
check "server's total samples = scorch report's" "$got" "$want"
for fn in late_work_a late_work_b; do
	check "server's self samples of $fn = scorch report's" "$(fb_self $fn <"$WORK/q1.json")" "$(sum_self $fn "${ivs[@]}")"
done
a=$(sum_total late_work_a "${ivs[@]}")
b=$(sum_total late_work_b "${ivs[@]}")
if [ "$((a + b))" -gt 0 ]; then within "late_work_a's share of late_work_a+b (totals, per mille)" "$((a * 1000 / (a + b)))" 600 40; fi
# the labels are the series' labels
query 't050",run="one' "$((T0 - 5))" "$T1" >"$WORK/q1l.json"
check "server's total samples with run=one" "$(fb_total <"$WORK/q1l.json")" "$want"
query 't050",run="two' "$((T0 - 5))" "$T1" >"$WORK/q1m.json"
check "server's total samples with run=two" "$(fb_total <"$WORK/q1m.json")" 0

# --- 2: the server away for a whole run, with room for 2 intervals ---
stop_server
echo "--- scorch record --every 1s --spool-max 2 (server away)"
"$SCORCH" record --every 1s --duration 6s -p "$TGT" --push "$URL" --app t050drop --save "$WORK/iv2" \
	--spool "$WORK/spool2" --spool-max 2 --push-wait 1s >"$WORK/rec2.out" 2>"$WORK/rec2.err"
rc=$?
sed 's/^/    /' "$WORK/rec2.err"
check "exit status with intervals dropped" "$rc" 1
mapfile -t ivs2 < <(ls "$WORK"/iv2/*.scorch | sort -t. -k3,3n)
n2=${#ivs2[@]}
check_ge "intervals written" "$n2" 4
check_match "drops counted" "$(cat "$WORK/rec2.err")" "^scorch: push: $((n2 - 2)) intervals dropped"
check_match "the rest kept" "$(cat "$WORK/rec2.err")" "^scorch: push: 2 intervals not sent, kept in $WORK/spool2"
check "files in the spool" "$(ls "$WORK/spool2" | grep -c 'pb.gz$')" 2
start_server two || finish
"$SCORCH" push "$WORK"/spool2/*.pb.gz "$URL" --app t050drop >"$WORK/push.out" 2>"$WORK/push.err"
rc=$?
sed 's/^/    /' "$WORK/push.err"
check "scorch push exit status" "$rc" 0
check "files sent" "$(grep -c ' sent to ' "$WORK/push.err")" 2
query t050drop "$((T0 - 5))" "$(($(date +%s) + 2))" >"$WORK/q2.json"
last2=("${ivs2[n2 - 2]}" "${ivs2[n2 - 1]}")
check "server's samples of the kept intervals = scorch report's of the last two" \
	"$(fb_total <"$WORK/q2.json")" "$(sum_samples "${last2[@]}")"
# a scorch profile pushed as such: the same figures under its own name
"$SCORCH" push "${ivs2[0]}" "$URL" --app t050file --label from=file >"$WORK/push2.out" 2>"$WORK/push2.err"
check "scorch push FILE.scorch exit status" "$?" 0
query t050file "$((T0 - 5))" "$(($(date +%s) + 2))" >"$WORK/q3.json"
check "server's samples of a pushed .scorch = its report's" "$(fb_total <"$WORK/q3.json")" "$(sum_samples "${ivs2[0]}")"

# a program run by scorch, cut into intervals as well (sampled from outside)
"$SCORCH" record --every 1s --save "$WORK/ivp" -- "$PROGS/cpu-attach" 800 >"$WORK/recp.out" 2>"$WORK/recp.err"
check "record --every -- PROG exit status" "$?" 0
check_match "the program's own output" "$(cat "$WORK/recp.out")" "^cpu-attach: [0-9]+ threads, 60.0/40.0"
ivp=("$WORK"/ivp/*.scorch)
check_ge "its intervals" "${#ivp[@]}" 1
# totals: a sample in the kernel on top of late_work_a is late_work_a's (the
# sampler from outside sees 58-59% where cpu-attach measures 60.0%: perf -p
# does too, t048)
a=$(sum_total late_work_a "${ivp[@]}")
b=$(sum_total late_work_b "${ivp[@]}")
if [ "$((a + b))" -gt 0 ]; then within "late_work_a's share of late_work_a+b over its intervals (per mille)" "$((a * 1000 / (a + b)))" 600 40; else fail "no samples of late_work_a/b in its intervals"; fi

# errors
"$SCORCH" push "${ivs2[0]}" "http://127.0.0.1:$(free_port)" >/dev/null 2>"$WORK/err1" </dev/null
check "push to a port nothing listens on fails" "$?" 1
"$SCORCH" record --push "$URL" -p "$TGT" >/dev/null 2>"$WORK/err2"
check_match "--push without --every" "$(cat "$WORK/err2")" "go with --every"
"$SCORCH" record --every 1s --push ftp://x -p "$TGT" >/dev/null 2>"$WORK/err3"
check_match "a URL that is not http" "$(cat "$WORK/err3")" "takes the server's URL"
"$SCORCH" record --every 1s --label 'a=b}' -p "$TGT" >/dev/null 2>"$WORK/err4"
check_match "a bad label" "$(cat "$WORK/err4")" "cannot hold"
finish
