// Decodes a `scorch export --format=pprof` file with an independent decoder
// (the npm pprof-format package; gunzip by node's zlib), checks that it is
// well-formed profile.proto (string table, ids, references) and compares its
// figures with the truth.
//
//   node pprof-check.mjs FILE.pb.gz REPORT.json cpu
//   node pprof-check.mjs FILE.pb.gz REPORT.json heap [SITE=ALLOCS:BYTES:LIVE_OBJS:LIVE_BYTES]...
//                        [THREAD/SITE=ALLOCS...]... [lines:F1,F2,...=ALLOCS...]...
//
// REPORT.json is `scorch report --json --limit=0` of the same profile. CPU:
// sample counts and weights in total, per leaf function and per thread label
// must equal the report's. Heap: totals must equal the report's, and the
// leaf function SITE (or SITE on thread THREAD) must have exactly the given
// figures (from tests/progs/EXPECTED.md). lines:F1,F2 names a location whose
// Lines are exactly the functions F1, F2 (innermost inlined first): samples
// with it innermost must have the given figures.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Profile } from 'pprof-format';
import { check, finish } from './lib.mjs';

const [file, reportFile, kind, ...truth] = process.argv.slice(2);
if (!file || !reportFile || !['cpu', 'heap'].includes(kind)) {
	console.error('usage: pprof-check.mjs FILE.pb.gz REPORT.json cpu|heap [SITE=...]...');
	process.exit(2);
}
const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')).profiles[0];
const raw = fs.readFileSync(file);
check(raw[0] === 0x1f && raw[1] === 0x8b, 'the file is gzip-compressed');
const prof = Profile.decode(zlib.gunzipSync(raw));
const N = (x) => Number(x);

// ---- well-formedness ----
const strings = prof.stringTable.strings;
check(strings.length > 1 && strings[0] === '', `string_table[0] is "" (${strings.length} strings)`);
let badStrings = 0;
const S = (i) => {
	i = N(i);
	if (!(i >= 0 && i < strings.length)) { badStrings++; return undefined; }
	return strings[i];
};
const byId = (items, what) => {
	const m = new Map();
	let bad = 0;
	for (const x of items) {
		const id = N(x.id);
		if (!id || m.has(id)) bad++;
		m.set(id, x);
	}
	check(bad === 0, `${items.length} ${what}: ids non-zero and unique`);
	return m;
};
const mappings = byId(prof.mapping, 'mappings');
const locations = byId(prof.location, 'locations');
const functions = byId(prof.function, 'functions');

for (const m of prof.mapping) { S(m.filename); S(m.buildId); }
for (const f of prof.function) { S(f.name); S(f.systemName); S(f.filename); }
let badRefs = 0, noName = 0;
const addrs = new Map();
let dupAddr = 0;
for (const l of prof.location) {
	if (N(l.mappingId) && !mappings.has(N(l.mappingId))) badRefs++;
	for (const ln of l.line) {
		const f = functions.get(N(ln.functionId));
		if (!f) badRefs++;
		else if (!S(f.name)) noName++;
	}
	if (N(l.mappingId)) {
		const key = `${N(l.mappingId)}:${N(l.address)}`;
		if (addrs.has(key)) dupAddr++;
		addrs.set(key, l);
	}
}
check(badRefs === 0, 'every location mapping id and line function id resolves');
check(noName === 0, 'every function has a name');
check(dupAddr === 0, 'one location per address');

const types = prof.sampleType.map((t) => `${S(t.type)}/${S(t.unit)}`);
const want = kind === 'cpu'
	? ['samples/count', `${report.cpu.sampling.wall ? 'wall' : 'cpu'}/nanoseconds`]
	: ['alloc_objects/count', 'alloc_space/bytes', 'inuse_objects/count', 'inuse_space/bytes'];
check(JSON.stringify(types) === JSON.stringify(want), `sample types ${types.join(', ')}`);
const periodType = prof.periodType ? `${S(prof.periodType.type)}/${S(prof.periodType.unit)}` : '';
check(periodType === (kind === 'cpu' ? want[1] : 'space/bytes'), `period type ${periodType}`);
if (kind === 'cpu')
	check(N(prof.period) === Math.floor(1e9 / report.cpu.sampling.requested_hz), `period ${N(prof.period)} ns`);
else
	check(N(prof.period) === 1, 'period 1 (every allocation)');
check(N(prof.durationNanos) === report.program.duration_ns, `duration_nanos ${N(prof.durationNanos)}`);
// start_wall_ns needs all 64 bits: read it from the text, not a JS number
const wall = fs.readFileSync(reportFile, 'utf8').match(/"start_wall_ns":\s*(\d+)/)[1];
check(BigInt(prof.timeNanos) === BigInt(wall), `time_nanos ${prof.timeNanos} = the start time`);

// the executable is the first mapping, with its build id in hex
const main = prof.mapping[0];
const exe = report.program.exe;
check(main && S(main.filename) === exe, `first mapping is the executable (${main && S(main.filename)})`);
check(main && /^[0-9a-f]{40}$/.test(S(main.buildId)), `its build id is hex (${main && S(main.buildId)})`);
check(N(main.memoryLimit) > N(main.memoryStart), 'its address range is not empty');

// ---- samples ----
let badSamples = 0, noLabels = 0;
const totals = want.map(() => 0);
const byLeaf = new Map();       // leaf function name -> values
const byThread = new Map();     // thread name -> { tid, values }
const byThreadLeaf = new Map(); // "thread/leaf" -> values
const byLeafLines = new Map();  // "lines:f1,f2" of the innermost location -> values
const add = (m, k, v) => {
	if (!m.has(k)) m.set(k, v.map(() => 0));
	const a = m.get(k);
	v.forEach((x, i) => { a[i] += x; });
};
for (const s of prof.sample) {
	const v = s.value.map(N);
	if (v.length !== want.length || !s.locationId.length) { badSamples++; continue; }
	const locs = s.locationId.map((id) => locations.get(N(id)));
	if (locs.some((l) => !l)) { badSamples++; continue; }
	v.forEach((x, i) => { totals[i] += x; });
	// the innermost frame: the first location's first line (innermost inlined first)
	const leafLine = locs[0].line[0];
	const leaf = leafLine ? S(functions.get(N(leafLine.functionId)).name) : `0x${N(locs[0].address).toString(16)}`;
	add(byLeaf, leaf, v);
	add(byLeafLines, 'lines:' + locs[0].line.map((ln) => S(functions.get(N(ln.functionId)).name)).join(','), v);
	const labels = new Map(s.label.map((l) => [S(l.key), l]));
	const th = labels.get('thread'), tid = labels.get('thread_id');
	if (!th || !tid || !S(th.str)) { noLabels++; continue; }
	const name = S(th.str);
	add(byThreadLeaf, `${name}/${leaf}`, v);
	if (!byThread.has(name)) byThread.set(name, { tids: new Set(), v: v.map(() => 0) });
	byThread.get(name).tids.add(N(tid.num));
	v.forEach((x, i) => { byThread.get(name).v[i] += x; });
}
check(badSamples === 0, `${prof.sample.length} samples: values match the sample types, locations resolve`);
check(noLabels === 0, 'every sample has "thread" and "thread_id" labels');
check(badStrings === 0, 'every string index is inside the string table');

if (kind === 'cpu') {
	const c = report.cpu;
	check(totals[0] === c.totals.samples, `total samples ${totals[0]} = report ${c.totals.samples}`);
	check(totals[1] === c.totals.ns, `total ns ${totals[1]} = report ${c.totals.ns}`);
	// self per function name (a name may exist in several modules)
	const self = new Map();
	for (const f of c.functions) add(self, f.function, [f.self, f.self_ns]);
	let same = 0;
	for (const [name, [n, ns]] of self) {
		if (!n) continue;
		const got = byLeaf.get(name) || [0, 0];
		if (check(got[0] === n && got[1] === ns, `self of ${name}: ${got[0]} samples, ${got[1]} ns = report`)) same++;
	}
	check(same > 0, `${same} functions compared`);
	for (const t of c.threads) {
		const got = byThread.get(t.name);
		check(got && got.v[0] === t.samples && got.v[1] === t.ns && got.tids.has(t.tid),
		      `thread ${t.name} (tid ${t.tid}): ${got ? got.v[0] : 0} samples = report ${t.samples}`);
	}
	check(byThread.size === c.threads.length, `${byThread.size} thread labels = ${c.threads.length} sampled threads`);
} else {
	const t = report.totals;
	check(totals[0] === t.allocations, `alloc_objects total ${totals[0]} = report allocations ${t.allocations}`);
	check(totals[1] === t.bytes, `alloc_space total ${totals[1]} = report bytes ${t.bytes}`);
	check(totals[2] === t.leaked_blocks, `inuse_objects total ${totals[2]} = report leaked blocks ${t.leaked_blocks}`);
	check(totals[3] === t.leaked_bytes, `inuse_space total ${totals[3]} = report leaked bytes ${t.leaked_bytes}`);
	for (const spec of truth) {
		const [key, vals] = spec.split('=');
		const exp = vals.split(':').map(Number);
		const got = (key.startsWith('lines:') ? byLeafLines.get(key) : key.includes('/') ? byThreadLeaf.get(key)
			: byLeaf.get(key)) || [0, 0, 0, 0];
		check(exp.every((x, i) => got[i] === x), `${key}: ${got.slice(0, exp.length).join(':')} = expected ${vals}`);
	}
}
await finish(null);
