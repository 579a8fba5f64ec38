# Pushing into a real Parca server (built from the Go module proxy by
# scripts/build-parca.sh, cached in BUILD/parca), through its WriteRaw API
# over HTTP (URL parca+http://...: gRPC-web, which its HTTP port answers): a
# profile of cpu-split (work_a 50%, work_b 30%, work_c 20% of its CPU time)
# sent with `scorch push`, and a continuous recording of it (`record --every
# --push parca+http://`) that starts while the server is away. Parca is
# queried back through its QueryService over the same HTTP port (gRPC-web
# from python3: a merge over the pushed time range, top table by function)
# and compared with `scorch report --json` of the very profiles that were
# pushed, exactly: for process_cpu:cpu:nanoseconds the total and work_a/b/c's
# flat and cumulative ns equal report's ns, self_ns and total_ns; for
# process_cpu:samples:count, which Parca answers in ns (samples x the pprof's
# period, 10^9 / the rate asked), the same in samples x period. The labels
# select the series. Skips only when the server cannot be built for want of
# the network (or of a go toolchain).
. "$ROOT/tests/e2e/lib.sh"
command -v jq >/dev/null || { echo "SKIP: jq is needed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 is needed (the query client, free ports)"; exit 77; }
case ${BUILD:-build} in /*) B=$BUILD ;; *) B=$ROOT/${BUILD:-build} ;; esac

PARCA=${PARCA:-}
if [ -z "$PARCA" ]; then
	for d in "$B" "$ROOT/build"; do
		if [ -x "$d/parca/parca" ]; then PARCA=$d/parca/parca; break; fi
	done
fi
if [ -z "$PARCA" ]; then
	echo "--- building the Parca server (scripts/build-parca.sh $ROOT/build)"
	"$ROOT/scripts/build-parca.sh" "$ROOT/build"
	st=$?
	if [ "$st" -eq 2 ]; then
		echo "SKIP: the Parca server cannot be built here: no network to the Go module proxy, or no go toolchain (see above)"
		exit 77
	fi
	if [ "$st" -ne 0 ]; then
		fail "scripts/build-parca.sh could not build the server (exit $st, see above)"
		finish
	fi
	PARCA=$ROOT/build/parca/parca
fi
echo "server: $PARCA ($(cat "$(dirname "$PARCA")/version" 2>/dev/null))"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
HP=$(free_port)
HURL=http://127.0.0.1:$HP
URL=parca+$HURL
URL_RE="parca\\+$HURL"   # URL as an extended regex
DATA=$WORK/parca-data
mkdir -p "$DATA"
cat >"$WORK/parca.yaml" <<EOF
object_storage:
  bucket:
    type: "FILESYSTEM"
    config:
      directory: "$DATA/bucket"
EOF

# A gRPC-web client of Parca's QueryService (python3's standard library: the
# protobuf messages encoded and decoded by hand).
cat >"$WORK/pq.py" <<'EOF'
import json, struct, sys, urllib.request

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7f) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)

def ld(f, b): return varint(f << 3 | 2) + varint(len(b)) + b
def vi(f, v): return varint(f << 3) + varint(v)
def ts(f, sec): return ld(f, vi(1, sec))  # google.protobuf.Timestamp{seconds}

def rd(b, i):
    x = s = 0
    while True:
        c = b[i]
        i += 1
        x |= (c & 0x7f) << s
        s += 7
        if not c & 0x80:
            return x, i

def decode(b):
    """a message -> {field: [values]}: varints as int, length-delimited as bytes"""
    d, i = {}, 0
    while i < len(b):
        k, i = rd(b, i)
        f, w = k >> 3, k & 7
        if w == 0:
            v, i = rd(b, i)
        elif w == 2:
            n, i = rd(b, i)
            v = b[i:i + n]
            i += n
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % w)
        d.setdefault(f, []).append(v)
    return d

def call(base, method, msg):
    body = b"\0" + struct.pack(">I", len(msg)) + msg
    r = urllib.request.Request(base + "/" + method, data=body, method="POST",
                               headers={"Content-Type": "application/grpc-web+proto", "X-Grpc-Web": "1"})
    resp = urllib.request.urlopen(r, timeout=60)
    st, m = resp.headers.get("grpc-status"), resp.headers.get("grpc-message", "")
    data, out, i = resp.read(), None, 0
    while i + 5 <= len(data):
        fl, n = data[i], struct.unpack(">I", data[i + 1:i + 5])[0]
        frame = data[i + 5:i + 5 + n]
        i += 5 + n
        if fl & 0x80:
            for line in frame.decode().split("\r\n"):
                k, _, v = line.partition(":")
                if k.lower() == "grpc-status":
                    st = v.strip()
                elif k.lower() == "grpc-message":
                    m = v.strip()
        else:
            out = frame
    if st != "0":
        sys.exit("%s: gRPC status %s: %s" % (method, st, m))
    return out or b""

base, what = sys.argv[1], sys.argv[2]
if what == "types":  # ProfileTypes: one NAME:TYPE:UNIT:PTYPE:PUNIT[:delta] a line
    for t in decode(call(base, "parca.query.v1alpha1.QueryService/ProfileTypes", b"")).get(1, []):
        t = decode(t)
        parts = [t.get(f, [b""])[0].decode() for f in range(1, 6)]
        print(":".join(parts) + (":delta" if t.get(6, [0])[0] else ""))
elif what == "top":  # Query, MODE_MERGE over [start, end], REPORT_TYPE_TOP
    q, start, end = sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    merge = ld(1, q.encode()) + ts(2, start) + ts(3, end)
    d = decode(call(base, "parca.query.v1alpha1.QueryService/Query", vi(1, 2) + ld(3, merge) + vi(5, 2)))
    fns = {}
    for top in d.get(7, []):
        for node in decode(top).get(1, []):
            n = decode(node)
            meta = decode(n.get(1, [b""])[0])
            fn = decode(meta[3][0]) if 3 in meta else {}
            c = fns.setdefault(fn.get(3, [b"?"])[0].decode(), {"flat": 0, "cumulative": 0})
            c["flat"] += n.get(3, [0])[0]
            c["cumulative"] += n.get(2, [0])[0]
    print(json.dumps({"total": d.get(9, [0])[0], "functions": fns}))
EOF

SRV=
start_server() { # log name
	# no debuginfod upstream: nothing is fetched from outside
	"$PARCA" --config-path="$WORK/parca.yaml" --http-address="127.0.0.1:$HP" --storage-path="$DATA/storage" \
		--debuginfod-upstream-servers= --debuginfo-cache-dir="$DATA/debuginfo" >"$WORK/server-$1.log" 2>&1 &
	SRV=$!
	local i
	for i in $(seq 1 240); do
		# its HTTP port answers what it does not route with its UI page, so
		# ready is when its QueryService answers
		if python3 "$WORK/pq.py" "$HURL" types >/dev/null 2>&1; then
			echo "--- server $1 ready after $((i / 4)) s (pid $SRV, $HURL)"
			return 0
		fi
		kill -0 "$SRV" 2>/dev/null || break
		sleep 0.25
	done
	fail "the Parca server did not get ready (server-$1.log):"
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
cleanup() { stop_server; }
trap cleanup EXIT

# sums over profiles of report --json figures
rj() { "$SCORCH" report --json --limit=0 "$1"; }
sum_tot() { # FIELD FILES...: a field of .cpu.totals summed
	local k=$1 f t=0
	shift
	for f in "$@"; do t=$((t + $(rj "$f" | jq ".profiles[0].cpu.totals.$k"))); done
	echo $t
}
sum_fn() { # FUNCTION FIELD FILES...
	local fn=$1 k=$2 f t=0
	shift 2
	for f in "$@"; do
		t=$((t + $(rj "$f" | jq --arg f "$fn" "[.profiles[0].cpu.functions[] | select(.function == \$f) | .$k] | add // 0")))
	done
	echo $t
}
# the pprof's period: 10^9 / the rate asked, as the export writes it
period_of() { echo $((1000000000 / $(rj "$1" | jq '.profiles[0].cpu.sampling.requested_hz'))); }
# query TYPE SELECTOR FROM_S UNTIL_S > json: Parca's merge of the series
# over the range, its top table by function
query() { python3 "$WORK/pq.py" "$HURL" top "$1$2" "$3" "$4"; }
q_total() { jq -r '.total'; }
q_fn() { jq -r --arg f "$1" --arg k "$2" '.functions[$f][$k] // 0'; }  # FUNCTION flat|cumulative
S='process_cpu:samples:count:cpu:nanoseconds:delta'
N='process_cpu:cpu:nanoseconds:cpu:nanoseconds:delta'
# compare WHAT QUERY_SAMPLES QUERY_NS FILES...: the server's figures = scorch report's
compare() {
	local what=$1 qs=$2 qn=$3 fn P
	shift 3
	P=$(period_of "$1")
	check "$what: Parca's total CPU ns = scorch report's ns" "$(q_total <"$qn")" "$(sum_tot ns "$@")"
	check "$what: Parca's total of samples (x period $P) = scorch report's samples x $P" "$(q_total <"$qs")" \
		"$(($(sum_tot samples "$@") * P))"
	for fn in work_a work_b work_c; do
		check "$what: Parca's flat ns of $fn = scorch report's self_ns" "$(q_fn $fn flat <"$qn")" "$(sum_fn $fn self_ns "$@")"
		check "$what: Parca's cumulative ns of $fn = scorch report's total_ns" "$(q_fn $fn cumulative <"$qn")" \
			"$(sum_fn $fn total_ns "$@")"
		check "$what: Parca's flat samples of $fn = scorch report's self (x $P)" "$(q_fn $fn flat <"$qs")" \
			"$(($(sum_fn $fn self "$@") * P))"
		check "$what: Parca's cumulative samples of $fn = scorch report's total (x $P)" \
			"$(q_fn $fn cumulative <"$qs")" "$(($(sum_fn $fn total "$@") * P))"
	done
	# the known split: work_a/b/c's shares of the three, per mille
	local a b c
	a=$(q_fn work_a flat <"$qn"); b=$(q_fn work_b flat <"$qn"); c=$(q_fn work_c flat <"$qn")
	if [ "$((a + b + c))" -gt 0 ]; then
		within "$what: work_a's share in Parca (per mille)" "$((a * 1000 / (a + b + c)))" 500 30
		within "$what: work_b's share in Parca (per mille)" "$((b * 1000 / (a + b + c)))" 300 30
	else
		fail "$what: Parca has no samples of work_a, work_b, work_c"
	fi
}

T0=$(date +%s)
# --- 1: one profile on disk, pushed with scorch push ---
"$SCORCH" record -o "$WORK/split.scorch" -- "$PROGS/cpu-split" 1500 >"$WORK/rec.out" 2>"$WORK/rec.err"
check "record cpu-split exit status" "$?" 0
start_server one || finish
"$SCORCH" push --app t056 --label run=one --label test=t056 "$WORK/split.scorch" "$URL" >"$WORK/push.out" 2>"$WORK/push.err"
rc=$?
sed 's/^/    /' "$WORK/push.err"
check "scorch push to Parca exit status" "$rc" 0
check_match "its line" "$(cat "$WORK/push.err")" "^scorch: push: $WORK/split.scorch sent to $URL_RE as t056\{run=one,test=t056\}"
T1=$(($(date +%s) + 2))
query "$S" '{job="t056"}' "$((T0 - 5))" "$T1" >"$WORK/q1s.json"
check "Parca answered the query (samples)" "$?" 0
query "$N" '{job="t056"}' "$((T0 - 5))" "$T1" >"$WORK/q1n.json"
check "Parca answered the query (ns)" "$?" 0
echo "Parca: $(q_total <"$WORK/q1n.json") ns; scorch report: $(sum_tot samples "$WORK/split.scorch") samples, $(sum_tot ns "$WORK/split.scorch") ns"
check_match "the profile types Parca lists" "$(python3 "$WORK/pq.py" "$HURL" types | sort | tr '\n' ' ')" "^$N $S \$"
compare "scorch push" "$WORK/q1s.json" "$WORK/q1n.json" "$WORK/split.scorch"
# the labels are the series' labels
query "$N" '{job="t056",run="one",test="t056"}' "$((T0 - 5))" "$T1" >"$WORK/q1l.json"
check "Parca's total CPU ns with run=one" "$(q_total <"$WORK/q1l.json")" "$(sum_tot ns "$WORK/split.scorch")"
query "$N" '{job="t056",run="two"}' "$((T0 - 5))" "$T1" >"$WORK/q1m.json"
check "Parca's total CPU ns with run=two" "$(q_total <"$WORK/q1m.json")" 0

# --- 2: continuous: the server away at first, then back ---
stop_server
T2=$(date +%s)
echo "--- scorch record --every 1s --push $URL (server stopped)"
"$SCORCH" record --every 1s --push "$URL" --app t056c --label run=two --save "$WORK/iv" --spool "$WORK/spool" \
	--push-wait 90s -- "$PROGS/cpu-split" 4000 >"$WORK/recc.out" 2>"$WORK/recc.err" &
REC=$!
for i in $(seq 1 120); do grep -q "keeping the intervals" "$WORK/recc.err" && break; sleep 0.25; done
start_server two || finish
wait "$REC"
rc=$?
sed 's/^/    /' "$WORK/recc.err"
check "record --every --push parca+http exit status" "$rc" 0
ivs=("$WORK"/iv/*.scorch)
n=${#ivs[@]}
check_ge "intervals written" "$n" 3
check_match "the away server noticed" "$(cat "$WORK/recc.err")" "keeping the intervals in $WORK/spool"
check_match "and back" "$(cat "$WORK/recc.err")" "is back after"
check_match "every interval sent" "$(cat "$WORK/recc.err")" "^scorch: push: $n interval profiles sent to $URL_RE as t056c\{run=two\}"
check "nothing dropped or left" "$(grep -cE 'dropped|not sent|refused' "$WORK/recc.err")" 0
T3=$(($(date +%s) + 2))
query "$S" '{job="t056c"}' "$((T2 - 5))" "$T3" >"$WORK/q2s.json"
query "$N" '{job="t056c"}' "$((T2 - 5))" "$T3" >"$WORK/q2n.json"
echo "Parca: $(q_total <"$WORK/q2n.json") ns; scorch report of the $n intervals: $(sum_tot ns "${ivs[@]}") ns"
compare "record --every --push" "$WORK/q2s.json" "$WORK/q2n.json" "${ivs[@]}"

# a label named job replaces the application name's
"$SCORCH" push --app t056x --label job=t056job "$WORK/split.scorch" "$URL" >/dev/null 2>"$WORK/push3.err"
check "push with --label job= exit status" "$?" 0
query "$N" '{job="t056job"}' "$((T0 - 5))" "$(($(date +%s) + 2))" >"$WORK/q3.json"
check "Parca's total CPU ns under job=t056job" "$(q_total <"$WORK/q3.json")" "$(sum_tot ns "$WORK/split.scorch")"

# errors
"$SCORCH" push "$WORK/split.scorch" "parca+http://127.0.0.1:$(free_port)" >/dev/null 2>"$WORK/err1" </dev/null
check "push to a port nothing listens on fails" "$?" 1
"$SCORCH" push "$WORK/split.scorch" "parca+ftp://x" >/dev/null 2>"$WORK/err2"
check_match "a parca+ URL that is not http" "$(cat "$WORK/err2")" "server's URL"
finish
