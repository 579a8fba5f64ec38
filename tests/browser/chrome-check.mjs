// Checks a `scorch export --format=chrome` file: the Trace Event Format's
// object form; B/E events that balance per thread, nest properly (each E
// ends the frame on top) and never go back in time; names for the process
// and every thread; per function, the time its slices cover equals the CPU
// time of the samples it is on (the report's total_ns); heap and RSS
// counters whose peak and last value are the report's. Then speedscope's
// Trace Event importer (the real app, headless chromium) reads it without
// a warning and finds the same time per thread.
//
//   node chrome-check.mjs FILE.json REPORT.json WORKDIR
import fs from 'node:fs';
import path from 'node:path';
import { check, finish } from './lib.mjs';
import { speedscopeImport, eventedFigures, splitEndWarnings } from './speedscope-import.mjs';

const [file, reportFile, workdir] = process.argv.slice(2);
if (!file || !reportFile || !workdir) {
	console.error('usage: chrome-check.mjs FILE.json REPORT.json WORKDIR');
	process.exit(2);
}
const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')).profiles[0];
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
const evs = doc.traceEvents;
check(Array.isArray(evs) && evs.length > 0, `object form with ${evs.length} traceEvents`);
check(['ms', 'ns'].includes(doc.displayTimeUnit), `displayTimeUnit ${doc.displayTimeUnit}`);
check(evs.every((e) => typeof e.ph === 'string' && typeof e.name === 'string' && Number.isInteger(e.pid) &&
	Number.isInteger(e.tid) && (e.ph === 'M' || typeof e.ts === 'number')),
	'every event has ph, name, pid, tid (and ts unless metadata)');
const ns = (ts) => Math.round(ts * 1000);   // three decimals: exact nanoseconds

// ---- B/E per thread ----
const threads = new Map();   // tid -> { stack, last, b, e, bad, depth: Map key->n, since, cover: Map key->ns, covered }
let nB = 0, nE = 0;
for (const e of evs) {
	if (e.ph !== 'B' && e.ph !== 'E') continue;
	if (!threads.has(e.tid))
		threads.set(e.tid, { stack: [], last: -1, b: 0, e: 0, back: 0, mismatch: 0, underflow: 0,
			depth: new Map(), since: new Map(), cover: new Map(), covered: 0, rootSince: 0 });
	const t = threads.get(e.tid);
	const at = ns(e.ts);
	if (at < t.last) t.back++;
	t.last = at;
	const key = `${e.name}|${e.cat}`;
	if (e.ph === 'B') {
		nB++;
		t.b++;
		if (!t.stack.length) t.rootSince = at;
		t.stack.push(e);
		if (!t.depth.get(key)) t.since.set(key, at);
		t.depth.set(key, (t.depth.get(key) || 0) + 1);
	} else {
		nE++;
		t.e++;
		const top = t.stack.pop();
		if (!top) { t.underflow++; continue; }
		if (top.name !== e.name || top.cat !== e.cat) t.mismatch++;
		const tk = `${top.name}|${top.cat}`;
		t.depth.set(tk, t.depth.get(tk) - 1);
		if (!t.depth.get(tk)) t.cover.set(tk, (t.cover.get(tk) || 0) + at - t.since.get(tk));
		if (!t.stack.length) t.covered += at - t.rootSince;
	}
}
// complete events (X: zone spans): per track, the time their union covers
const xs = new Map();
for (const e of evs) {
	if (e.ph !== 'X') continue;
	if (!xs.has(e.tid)) xs.set(e.tid, []);
	xs.get(e.tid).push([ns(e.ts), ns(e.ts) + ns(e.dur)]);
}
for (const [tid, list] of xs) {
	check(!threads.has(tid), `tid ${tid}: X spans on a track of their own, no B/E there`);
	let covered = 0, end = -1;
	for (const [a, b] of list.sort((x, y) => x[0] - y[0])) {
		if (b > end) { covered += b - Math.max(a, end); end = b; }
	}
	threads.set(tid, { stack: [], b: list.length, e: list.length, back: 0, mismatch: 0, underflow: 0, covered, cover: new Map() });
}
check(nB > 0 || !report.cpu, `${nB} B and ${nE} E events, ${[...xs.values()].reduce((n, l) => n + l.length, 0)} X, on ${threads.size} tracks`);
check(evs.every((e) => e.ph !== 'E' || e.args === undefined), 'no E event has args (they belong to the B)');
for (const [tid, t] of threads) {
	check(t.b === t.e && !t.stack.length && !t.underflow, `tid ${tid}: ${t.b} B = ${t.e} E, all closed`);
	check(!t.mismatch, `tid ${tid}: every E ends the frame on top of the stack`);
	check(!t.back, `tid ${tid}: timestamps never go back`);
}

// ---- names ----
const meta = evs.filter((e) => e.ph === 'M');
const pname = meta.find((e) => e.name === 'process_name');
check(pname && pname.args.name === path.basename(report.program.exe) && pname.pid === report.program.pid,
      `process_name ${pname && pname.args.name} for pid ${pname && pname.pid}`);
const tnames = new Map(meta.filter((e) => e.name === 'thread_name').map((e) => [e.tid, e.args.name]));
check([...threads.keys()].every((tid) => tnames.has(tid)), 'every thread with slices has a thread_name');
check(report.program.threads.every((t) => tnames.get(t.tid) === t.name),
      `thread_name of all ${report.program.threads.length} threads as the report names them`);

// ---- time covered = CPU time of the samples ----
if (report.cpu) {
	const c = report.cpu;
	for (const t of c.threads) {
		const x = threads.get(t.tid);
		check(x && x.covered === t.ns, `thread ${t.name}: slices cover ${x ? x.covered : 0} ns = its samples' ${t.ns} ns`);
	}
	const cover = new Map();
	for (const t of threads.values())
		for (const [k, v] of t.cover) cover.set(k, (cover.get(k) || 0) + v);
	let compared = 0;
	for (const f of c.functions) {
		if (!f.total_ns) continue;
		const k = `${f.function}|${f.module || 'scorch'}`;
		compared++;
		check(cover.get(k) === f.total_ns,
		      `${f.function} (${f.module}): covered ${cover.get(k)} ns = ${f.total} samples x period, ${f.total_ns} ns`);
	}
	check(compared > 0, `${compared} functions compared`);
}

// ---- memory counters ----
const counters = (name, arg) => evs.filter((e) => e.ph === 'C' && e.name === name).map((e) => [ns(e.ts), e.args[arg]]);
const mono = (s) => s.every((x, i) => !i || x[0] >= s[i - 1][0]);
if (report.program.heap_recorded) {
	const heap = counters('heap', 'live_bytes');
	const max = Math.max(...heap.map((x) => x[1]));
	check(heap.length > 1 && mono(heap), `${heap.length} heap counter events in time order`);
	check(max === report.totals.peak_bytes, `heap counter peak ${max} = report peak ${report.totals.peak_bytes}`);
	check(heap[heap.length - 1][1] === report.totals.leaked_bytes,
	      `heap counter at the end ${heap[heap.length - 1][1]} = report leaked ${report.totals.leaked_bytes}`);
	const peak = evs.find((e) => e.ph === 'i' && e.name === 'heap peak');
	check(peak && peak.args.bytes === report.totals.peak_bytes && ns(peak.ts) === report.totals.peak_time_ns,
	      `heap peak marker at ${peak && ns(peak.ts)} ns = report ${report.totals.peak_time_ns}`);
}
if (report.totals.peak_rss_bytes) {
	const rss = counters('RSS', 'rss_bytes');
	check(rss.length > 0 && mono(rss) && Math.max(...rss.map((x) => x[1])) === report.totals.peak_rss_bytes,
	      `${rss.length} RSS counter events, peak ${report.totals.peak_rss_bytes}`);
}

// ---- through speedscope's Trace Event Format importer ----
if (nB) {
	// under its own name: speedscope picks importers partly by name (a
	// *.chrome.json is taken for a Chrome Timeline recording and fails)
	const { browser, errors, warnings, logs, exported } = await speedscopeImport(file, path.basename(file), workdir,
		path.join(workdir, 'chrome-in-speedscope.png'));
	check(logs.some((l) => l.includes('Importing as Trace Event Format profile')), 'speedscope read it as Trace Event Format');
	check(errors.length === 0, `no page errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
	const { argsOnB, other } = splitEndWarnings(warnings);
	const withArgs = evs.filter((e) => e.ph === 'B' && e.args).length;
	check(other.length === 0, `no importer warnings${other.length ? ': ' + other.slice(0, 3).join(' | ') : ''}`);
	check(argsOnB.length <= withArgs, `${argsOnB.length} notes of an E without its B's args, at most one per B with args (${withArgs})`);
	if (exported) {
		check(exported.profiles.length === threads.size, `speedscope: ${exported.profiles.length} thread profiles = ${threads.size}`);
		for (const p of exported.profiles) {
			const tid = Number((p.name.match(/tid (\d+)\)/) || [])[1]);
			const t = threads.get(tid);
			const fig = eventedFigures(p, exported.shared.frames);
			// speedscope works in float microseconds: within a nanosecond per event
			check(t && Math.abs(fig.covered * 1000 - t.covered) <= t.b + t.e,
			      `speedscope ${p.name}: ${fig.covered.toFixed(3)} us covered = ${t ? t.covered / 1000 : '-'} us`);
		}
	}
	await finish(browser);
}
await finish(null);
