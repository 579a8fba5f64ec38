// Checks the zones of `scorch export --format=chrome` and
// `--format=speedscope` files against `scorch report --zones --json` of the
// same profile, then loads both into the real speedscope app (headless
// chromium): its speedscope importer must find in the evented profiles the
// report's total per zone, and its Trace Event importer the same time per
// zone track and per slice as our Chrome trace.
//
// Chrome trace: zone tracks (tid = thread tid + otherData.zone_tid_stride x
// (lane + 1)) named "<thread> zones" (and "... (overlap K)"); on each,
// B/E events that balance, nest (each E ends the B on top: same name and
// category; the args are the B's, an E has none) and never go back in
// time, marks and errors included. Per zone name: B/E pairs = the report's calls (less the calls
// --calls-min dropped), time covered (recursion once, per thread) = its
// total_ns to the nanosecond, allocations and bytes of the outermost spans
// = its allocs and bytes, spans flagged unwound and unfinished = its
// counts (with dropped calls, which the report's figures include and no
// span shows, the time covered is at most the total). Marks ("i", scorch.mark): count, first and last time per name;
// counters ("C", scorch.counter): values, min, max, mean, last; mismatched
// ends ("i", scorch.error): kind, names, count, first time and thread.
// speedscope file: one evented profile per zone track, whose spans are
// exactly the Chrome trace's (thread, name, start, end).
//
//   node zones-check.mjs CHROME.json SPEEDSCOPE.json ZONES-REPORT.json WORKDIR [--no-browser]
import fs from 'node:fs';
import path from 'node:path';
import { check, finish } from './lib.mjs';
import { speedscopeImport, eventedFigures, splitEndWarnings } from './speedscope-import.mjs';

const [chromeFile, ssFile, reportFile, workdir, ...flags] = process.argv.slice(2);
if (!chromeFile || !ssFile || !reportFile || !workdir) {
	console.error('usage: zones-check.mjs CHROME.json SPEEDSCOPE.json ZONES-REPORT.json WORKDIR [--no-browser]');
	process.exit(2);
}
const browserToo = !flags.includes('--no-browser');
const Z = JSON.parse(fs.readFileSync(reportFile, 'utf8')).profiles[0].zones;
const doc = JSON.parse(fs.readFileSync(chromeFile, 'utf8'));
const ss = JSON.parse(fs.readFileSync(ssFile, 'utf8'));
const evs = doc.traceEvents;
const ns = (ts) => Math.round(ts * 1000);   // three decimals: exact nanoseconds
const rows = new Map(Z.zones.map((z) => [z.name, z]));
const threadName = new Map(Z.threads.map((t) => [t.tid, t.name]));

// Per zone name over spans {tid, name, start, end, args}: count, time
// covered per thread (a span inside another of its name counts once, as the
// report's total does) and the allocations and bytes of the outermost spans.
function perName(spans) {
	const by = new Map();
	for (const s of spans) {
		const k = `${s.tid}|${s.name}`;
		if (!by.has(k)) by.set(k, []);
		by.get(k).push(s);
	}
	const out = new Map();
	for (const list of by.values()) {
		list.sort((a, b) => a.start - b.start || b.end - a.end);
		const name = list[0].name;
		if (!out.has(name)) out.set(name, { calls: 0, total: 0, allocs: 0, bytes: 0, unwound: 0, unfinished: 0 });
		const o = out.get(name);
		let end = -1;
		for (const s of list) {
			o.calls++;
			if (s.args && s.args.unwound) o.unwound++;
			if (s.args && s.args.unfinished) o.unfinished++;
			if (s.start >= end) {
				o.total += s.end - s.start;
				if (s.args) { o.allocs += s.args.allocs; o.bytes += s.args.bytes; }
				end = s.end;
			} else if (s.end > end) {
				o.total += s.end - end;
				end = s.end;
			}
		}
	}
	return out;
}

// Compares per-name figures with the report's rows (every name, both ways).
function compareWithReport(what, figs, withArgs) {
	const want = Z.zones.filter((z) => z.calls - z.dropped_calls > 0);
	check(figs.size === want.length, `${what}: ${figs.size} zone names with spans = report ${want.length}`);
	for (const z of want) {
		const f = figs.get(z.name);
		const spans = z.calls - z.dropped_calls;
		check(f && f.calls === spans, `${what}: ${z.name}: ${f ? f.calls : 0} spans = report ${z.calls} calls - ${z.dropped_calls} dropped`);
		// calls --calls-min dropped are in the report's total but are no span
		if (z.dropped_calls)
			check(f && f.total <= z.total_ns, `${what}: ${z.name}: covers ${f ? f.total : '-'} ns <= report total ${z.total_ns} ns (${z.dropped_calls} calls dropped)`);
		else
			check(f && f.total === z.total_ns, `${what}: ${z.name}: covers ${f ? f.total : '-'} ns = report total ${z.total_ns} ns`);
		if (withArgs && f && !z.dropped_calls) {
			check(f.allocs === z.allocs && f.bytes === z.bytes,
			      `${what}: ${z.name}: ${f.allocs} allocations, ${f.bytes} bytes = report ${z.allocs}, ${z.bytes}`);
			check(f.unwound === z.unwound && f.unfinished === z.unfinished,
			      `${what}: ${z.name}: ${f.unwound} unwound, ${f.unfinished} unfinished = report ${z.unwound}, ${z.unfinished}`);
		}
	}
}

// ---- Chrome trace ----
const stride = doc.otherData && doc.otherData.zone_tid_stride;
check(Number.isInteger(stride) && stride > 0, `otherData.zone_tid_stride ${stride}`);
check((doc.otherData.zone_dropped_calls || 0) === Z.totals.dropped_calls,
      `otherData.zone_dropped_calls ${doc.otherData.zone_dropped_calls || 0} = report dropped_calls ${Z.totals.dropped_calls}`);
check(!doc.otherData.zones_not_drawn, 'every span drawn');
const tnames = new Map(evs.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => [e.tid, e.args.name]));
const tracks = new Map();   // zone tid -> { stack, last, b, e, back, bad }
const spans = [], marks = [], errors = [], counters = [];
const zoneCats = new Set(['scorch.zone', 'scorch.call']);
let stray = 0;
for (const e of evs) {
	if (e.ph === 'C' && e.cat === 'scorch.counter') counters.push(e);
	if (e.tid < stride || e.ph === 'M') {
		if (zoneCats.has(e.cat) || e.cat === 'scorch.mark' || e.cat === 'scorch.error') stray++;
		continue;
	}
	if (!tracks.has(e.tid)) tracks.set(e.tid, { stack: [], last: -1, b: 0, e: 0, back: 0, bad: 0, underflow: 0 });
	const t = tracks.get(e.tid);
	const at = ns(e.ts);
	if (at < t.last) t.back++;
	t.last = at;
	const rtid = e.tid % stride;
	if (e.ph === 'B') {
		t.b++;
		if (!zoneCats.has(e.cat)) t.bad++;
		t.stack.push(e);
	} else if (e.ph === 'E') {
		t.e++;
		const top = t.stack.pop();
		if (!top) { t.underflow++; continue; }
		if (top.name !== e.name || top.cat !== e.cat || e.args !== undefined) t.bad++;
		spans.push({ tid: rtid, name: top.name, cat: top.cat, start: ns(top.ts), end: at, args: top.args, track: e.tid });
	} else if (e.ph === 'i') {
		if (e.s !== 't') t.bad++;
		if (e.cat === 'scorch.mark') marks.push({ ...e, rtid });
		else if (e.cat === 'scorch.error') errors.push({ ...e, rtid });
		else t.bad++;
	} else {
		t.bad++;
	}
}
check(stray === 0, `no zone, mark or error event outside the zone tracks (${stray})`);
check(tracks.size > 0, `${tracks.size} zone tracks`);
for (const [tid, t] of tracks) {
	const rtid = tid % stride, lane = Math.floor(tid / stride) - 1;
	const want = `${threadName.get(rtid) || '[unknown thread]'} zones${lane ? ` (overlap ${lane})` : ''}`;
	check(tnames.get(tid) === want, `tid ${tid}: thread_name "${tnames.get(tid)}" = "${want}"`);
	check(t.b === t.e && !t.stack.length && !t.underflow, `tid ${tid}: ${t.b} B = ${t.e} E, all closed`);
	check(!t.bad, `tid ${tid}: every E ends the B on top (name, category) and has no args; instants thread-scoped`);
	check(!t.back, `tid ${tid}: timestamps never go back`);
}
check(spans.every((s) => rows.has(s.name) && (s.cat === 'scorch.call') === (rows.get(s.name).kind === 'function')),
      'category scorch.call for traced functions, scorch.zone for zones');
const chromeFigs = perName(spans);
compareWithReport('chrome', chromeFigs, true);

// marks
const markBy = new Map();
for (const m of marks) {
	const ts = ns(m.ts);
	const x = markBy.get(m.name) || { count: 0, first: ts, last: ts };
	x.count++;
	x.first = Math.min(x.first, ts);
	x.last = Math.max(x.last, ts);
	markBy.set(m.name, x);
}
check(markBy.size === Z.marks.length, `${markBy.size} mark names = report ${Z.marks.length}`);
for (const m of Z.marks) {
	const x = markBy.get(m.name);
	check(x && x.count === m.count && x.first === m.first_ns && x.last === m.last_ns,
	      `mark ${m.name}: ${x ? x.count : 0} instants from ${x && x.first} to ${x && x.last} ns = report ${m.count}, ${m.first_ns}..${m.last_ns}`);
}

// counters
const cBy = new Map();
for (const c of counters) {
	if (!cBy.has(c.name)) cBy.set(c.name, []);
	cBy.get(c.name).push([ns(c.ts), c.args.value]);
}
check(cBy.size === Z.counters.length, `${cBy.size} counters = report ${Z.counters.length}`);
for (const c of Z.counters) {
	const v = cBy.get(c.name) || [];
	const vals = v.map((x) => x[1]);
	const mean = vals.reduce((a, b) => a + b, 0) / (vals.length || 1);
	check(vals.length === c.values && Math.min(...vals) === c.min && Math.max(...vals) === c.max &&
	      vals[vals.length - 1] === c.last && v[v.length - 1][0] === c.last_ns &&
	      Math.abs(mean - c.mean) <= 1e-9 * Math.max(1, Math.abs(c.mean)),
	      `counter ${c.name}: ${vals.length} values, min ${Math.min(...vals)}, max ${Math.max(...vals)}, mean ${mean}, ` +
	      `last ${vals[vals.length - 1]} = report ${c.values}, ${c.min}, ${c.max}, ${c.mean}, ${c.last}`);
	check(v.every((x, i) => !i || x[0] >= v[i - 1][0]), `counter ${c.name}: in time order`);
}

// mismatched ends
const eBy = new Map();
for (const e of errors) {
	const k = `${e.args.kind}|${e.args.given}|${e.args.innermost}`;
	const x = eBy.get(k) || { count: 0, first: Infinity, tid: 0 };
	x.count++;
	if (ns(e.ts) < x.first) { x.first = ns(e.ts); x.tid = e.rtid; }
	eBy.set(k, x);
}
check(eBy.size === Z.errors.length, `${eBy.size} kinds of mismatched end = report ${Z.errors.length}`);
for (const r of Z.errors) {
	const x = eBy.get(`${r.kind}|${r.given}|${r.innermost}`);
	check(x && x.count === r.count && x.first === r.first_ns && x.tid === r.tid,
	      `error ${r.kind} ${r.given}/${r.innermost}: ${x ? x.count : 0} at ${x && x.first} ns on tid ${x && x.tid} = report ${r.count}, ${r.first_ns}, ${r.tid}`);
}

// ---- speedscope file ----
const frames = ss.shared.frames;
const zprof = ss.profiles.filter((p) => p.name.startsWith('zones: '));
const ssSpans = [];
let ssBad = 0;
for (const p of zprof) {
	const m = p.name.match(/^zones: (.*) \(tid (\d+)\)( overlap (\d+))?$/);
	if (!m || p.type !== 'evented' || p.unit !== 'nanoseconds') { ssBad++; continue; }
	const tid = Number(m[2]);
	if (m[1] !== (threadName.get(tid) || '[unknown thread]')) ssBad++;
	const stack = [];
	let last = p.startValue;
	for (const e of p.events) {
		if (e.at < last || e.at > p.endValue) ssBad++;
		last = e.at;
		if (e.type === 'O') stack.push(e);
		else {
			const o = stack.pop();
			if (!o || o.frame !== e.frame) { ssBad++; continue; }
			ssSpans.push({ tid, name: frames[e.frame].name, start: o.at, end: e.at });
		}
	}
	if (stack.length) ssBad++;
}
// a track with only marks or errors has no speedscope profile
const spanTracks = [...tracks.values()].filter((t) => t.b > 0).length;
check(zprof.length === spanTracks, `speedscope: ${zprof.length} zone profiles = ${spanTracks} Chrome zone tracks with spans`);
check(!ssBad, 'speedscope: zone profiles named "zones: THREAD (tid N)", in ns, O/C nested in time order');
const key = (s) => `${s.tid}|${s.name}|${s.start}|${s.end}`;
const a = spans.map(key).sort(), b = ssSpans.map(key).sort();
check(a.length === b.length && a.every((x, i) => x === b[i]),
      `speedscope: its ${b.length} spans are exactly the Chrome trace's ${a.length} (thread, name, start, end)`);
const ssFigs = perName(ssSpans);
compareWithReport('speedscope', ssFigs, false);

if (!browserToo) await finish(null);

// ---- through speedscope: its own importer ----
{
	const { browser, errors: errs, warnings, logs, exported } = await speedscopeImport(ssFile, 'zones.speedscope.json',
		workdir, `${workdir}/zones-speedscope.png`);
	check(logs.some((l) => l.includes('Importing as speedscope json file')), 'speedscope imported our file as a speedscope file');
	check(errs.length === 0, `no page errors${errs.length ? ': ' + errs.join(' | ') : ''}`);
	check(warnings.length === 0, `no importer warnings${warnings.length ? ': ' + warnings.slice(0, 3).join(' | ') : ''}`);
	if (exported) {
		const total = new Map();
		let nz = 0;
		for (const p of exported.profiles) {
			if (!p.name.startsWith('zones: ')) continue;
			nz++;
			const ours = zprof.find((q) => q.name === p.name);
			const fig = eventedFigures(p, exported.shared.frames);
			const want = ours ? eventedFigures(ours, frames) : null;
			check(want && fig.covered === want.covered && [...want.total].every(([n, v]) => fig.total.get(n) === v),
			      `speedscope ${p.name}: covers ${fig.covered} ns = ours ${want && want.covered}, same total per frame`);
			for (const [n, v] of fig.total) total.set(n, (total.get(n) || 0) + v);
		}
		check(nz === zprof.length, `speedscope: ${nz} zone profiles = ${zprof.length}`);
		for (const z of Z.zones.filter((r) => r.calls - r.dropped_calls > 0 && !r.dropped_calls))
			check(total.get(z.name) === z.total_ns, `speedscope: frame ${z.name} total ${total.get(z.name)} ns = report ${z.total_ns} ns`);
	}
	await browser.close();
}

// ---- through speedscope: its Trace Event importer, on our Chrome trace ----
{
	const { browser, errors: errs, warnings, logs, exported } = await speedscopeImport(chromeFile, path.basename(chromeFile),
		workdir, `${workdir}/zones-chrome-in-speedscope.png`);
	check(logs.some((l) => l.includes('Importing as Trace Event Format profile')), 'speedscope read our Chrome trace as Trace Event Format');
	check(errs.length === 0, `no page errors${errs.length ? ': ' + errs.join(' | ') : ''}`);
	const { argsOnB, other } = splitEndWarnings(warnings);
	const withArgs = evs.filter((e) => e.ph === 'B' && e.args).length;
	check(other.length === 0, `no importer warnings${other.length ? ': ' + other.slice(0, 3).join(' | ') : ''}`);
	check(argsOnB.length <= withArgs, `${argsOnB.length} notes of an E without its B's args, at most one per B with args (${withArgs})`);
	if (exported) {
		// ours, per zone track, keyed as speedscope keys slices: name and
		// the B's args; a key's total and the track's covered time are the
		// union of their spans
		const union = (list) => {
			let sum = 0, end = -1;
			for (const s of [...list].sort((a, b) => a.start - b.start)) {
				if (s.end <= end) continue;
				sum += s.end - Math.max(s.start, end);
				end = s.end;
			}
			return sum;
		};
		const want = new Map();
		for (const [tid, t] of tracks) {
			const mine = spans.filter((s) => s.track === tid);
			const byKey = new Map();
			for (const s of mine) {
				const k = s.args ? `${s.name} ${JSON.stringify(s.args)}` : s.name;
				if (!byKey.has(k)) byKey.set(k, []);
				byKey.get(k).push(s);
			}
			want.set(tid, { covered: union(mine), total: new Map([...byKey].map(([k, l]) => [k, union(l)])),
				events: t.b + t.e });
		}
		let nz = 0;
		for (const p of exported.profiles) {
			const tid = Number((p.name.match(/tid (\d+)\)$/) || [])[1]);
			if (!(tid >= stride)) continue;
			nz++;
			const w = want.get(tid);
			const fig = eventedFigures(p, exported.shared.frames);
			// speedscope works in float microseconds: within a nanosecond per event
			const near = (us, n) => Math.abs(us * 1000 - n) <= w.events;
			check(w && near(fig.covered, w.covered), `speedscope ${p.name}: ${fig.covered.toFixed(3)} us covered = ours ${w && w.covered / 1000} us`);
			const differ = w ? [...new Set([...w.total.keys(), ...fig.total.keys()])]
				// a kind whose spans all last 0 ns may be absent from speedscope's export
				.filter((k) => !near(fig.total.get(k) || 0, w.total.get(k) || 0))
				.map((k) => `${k}: ${fig.total.get(k)} us, ours ${w.total.get(k)} ns`) : [];
			check(w && !differ.length,
			      `speedscope ${p.name}: the ${w ? w.total.size : 0} slice kinds (name, args) cover what they cover in ours` +
			      (differ.length ? `; differ: ${differ.slice(0, 4).join('; ')}` : ''));
		}
		check(nz === spanTracks, `speedscope: ${nz} zone track profiles = ${spanTracks} tracks with spans`);
	}
	await finish(browser);
}
