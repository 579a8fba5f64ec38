// Checks a `scorch export --format=speedscope` file: its structure against
// speedscope's file format schema (the one the npm package ships), then the
// real speedscope app imports it (headless chromium) and exports what it
// understood; the frame and weight totals of that must equal the truth.
//
//   node speedscope-check.mjs FILE.json REPORT.json WORKDIR [SITE=BYTES[:LIVE_BYTES]]...
//
// Evented profiles (zones) must hold required members, valid frame indexes
// and O/C events in time order that nest (each C closes the frame on top),
// and speedscope must find in them the time our events cover;
// zones-check.mjs compares them with the zone report.
//
// REPORT.json is `scorch report --json --limit=0` of the same profile: CPU
// profiles (one per sampled thread) must carry each thread's ns and each
// function's self ns (off-CPU time in wall-clock profiles: a frame
// "[off-CPU]" on top of the stack it waited in); the heap profiles the allocated and leaked bytes, and
// the allocation site SITE exactly BYTES allocated (and LIVE_BYTES at exit),
// from tests/progs/EXPECTED.md.
import fs from 'node:fs';
import path from 'node:path';
import { check, finish } from './lib.mjs';
import { speedscopeImport, eventedFigures } from './speedscope-import.mjs';

const [file, reportFile, workdir, ...sites] = process.argv.slice(2);
if (!file || !reportFile || !workdir) {
	console.error('usage: speedscope-check.mjs FILE.json REPORT.json WORKDIR [SITE=BYTES[:LIVE]]...');
	process.exit(2);
}
const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')).profiles[0];
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));

// ---- the file itself, against the schema ----
const schema = JSON.parse(fs.readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname),
	'node_modules/speedscope/dist/release/file-format-schema.json'), 'utf8'));
const units = schema.definitions['FileFormat.ValueUnit'].enum;
const needed = schema.definitions['FileFormat.SampledProfile'].required;
const neededEvented = schema.definitions['FileFormat.EventedProfile'].required;
check(doc.$schema === schema.definitions['FileFormat.File'].properties.$schema.const, `$schema is ${doc.$schema}`);
const frames = doc.shared && doc.shared.frames;
check(Array.isArray(frames) && frames.length > 0 && frames.every((f) => typeof f.name === 'string' && f.name &&
	(f.file === undefined || typeof f.file === 'string') && (f.line === undefined || Number.isInteger(f.line))),
	`${frames.length} shared frames, each with a name (and file, line)`);
// An evented profile's events: frame indexes, time order within
// [startValue, endValue], every C closing the frame on top, none left open.
function eventsOk(p) {
	const stack = [];
	let last = p.startValue;
	for (const e of p.events) {
		if (!['O', 'C'].includes(e.type) || !Number.isInteger(e.frame) || e.frame < 0 || e.frame >= frames.length ||
		    typeof e.at !== 'number' || e.at < last || e.at > p.endValue)
			return false;
		last = e.at;
		if (e.type === 'O') stack.push(e.frame);
		else if (stack.pop() !== e.frame) return false;
	}
	return stack.length === 0;
}
let structural = 0, nevented = 0;
for (const p of doc.profiles) {
	let ok;
	if (p.type === 'evented') {
		nevented++;
		ok = neededEvented.every((k) => k in p) && units.includes(p.unit) && Array.isArray(p.events) &&
			p.events.length > 0 && p.endValue >= p.startValue && eventsOk(p);
	} else {
		const sum = p.weights.reduce((a, b) => a + b, 0);
		ok = needed.every((k) => k in p) && p.type === 'sampled' && units.includes(p.unit) &&
			p.samples.length === p.weights.length && p.weights.every((w) => w > 0) &&
			p.samples.every((s) => s.length > 0 && s.every((i) => Number.isInteger(i) && i >= 0 && i < frames.length)) &&
			p.endValue - p.startValue === sum;
	}
	if (!ok) console.log(`bad profile: ${p.name}`);
	structural += ok;
}
check(structural === doc.profiles.length, `${doc.profiles.length - nevented} sampled profiles: required members, units, frame indexes, ` +
	`endValue = sum of weights; ${nevented} evented: required members, frame indexes, O/C nested in time order`);

// ---- through speedscope ----
const { browser, errors, warnings, logs, exported } = await speedscopeImport(file, path.basename(file), workdir,
	path.join(workdir, 'speedscope.png'));
check(logs.some((l) => l.includes('Importing as speedscope json file')), 'speedscope imported it as a speedscope file');
check(errors.length === 0, `no page errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
check(warnings.length === 0, `no importer warnings${warnings.length ? ': ' + warnings.slice(0, 3).join(' | ') : ''}`);
if (!exported) await finish(browser);
check(exported.profiles.length === doc.profiles.length, `speedscope has ${exported.profiles.length} profiles = ${doc.profiles.length}`);
const sf = exported.shared.frames;
const got = new Map(exported.profiles.map((p) => [p.name, { p, fig: eventedFigures(p, sf) }]));
// a sampled profile covers its whole span; an evented one the time its events cover
for (const p of doc.profiles) {
	const covered = p.type === 'evented' ? eventedFigures(p, frames).covered : p.endValue;
	check(got.has(p.name) && got.get(p.name).p.endValue === p.endValue - p.startValue && got.get(p.name).p.unit === p.unit &&
	      got.get(p.name).fig.covered === covered,
	      `profile "${p.name}": speedscope total ${got.has(p.name) ? got.get(p.name).p.endValue : '-'} ${p.unit}, ` +
	      `covered ${got.has(p.name) ? got.get(p.name).fig.covered : '-'} = ${covered}`);
}
const find = (prefix) => [...got.values()].filter((x) => x.p.name.startsWith(prefix));

if (report.cpu) {
	const c = report.cpu;
	const cpu = find(c.sampling.wall ? 'wall: ' : 'cpu: ');
	check(cpu.length === c.threads.length, `${cpu.length} CPU profiles = ${c.threads.length} sampled threads`);
	for (const t of c.threads) {
		const x = got.get(`${c.sampling.wall ? 'wall' : 'cpu'}: ${t.name} (tid ${t.tid})`);
		check(x && x.p.endValue === t.ns, `thread ${t.name}: ${x ? x.p.endValue : '-'} ns = report ${t.ns}`);
	}
	const self = new Map();
	for (const x of cpu)
		for (const [n, v] of x.fig.self) self.set(n, (self.get(n) || 0) + v);
	// off-CPU samples (wall-clock profiles) end in a frame "[off-CPU]" of their own
	const want = new Map();
	for (const f of c.functions) want.set(f.function, (want.get(f.function) || 0) + f.self_ns - f.self_offcpu_ns);
	if (c.sampling.wall) want.set('[off-CPU]', c.totals.offcpu_ns);
	let compared = 0;
	for (const [n, ns] of want) {
		if (!ns) continue;
		compared++;
		check(self.get(n) === ns, `self of ${n}: ${self.get(n)} ns = report ${ns}`);
	}
	check(compared > 0, `${compared} functions compared`);
}
if (report.program.heap_recorded) {
	const alloc = got.get('heap: bytes allocated');
	check(alloc && alloc.p.endValue === report.totals.bytes && alloc.p.unit === 'bytes',
	      `heap: bytes allocated ${alloc ? alloc.p.endValue : '-'} = report ${report.totals.bytes}`);
	const live = got.get('heap: bytes live at exit');
	if (report.totals.leaked_bytes)
		check(live && live.p.endValue === report.totals.leaked_bytes,
		      `heap: bytes live at exit ${live ? live.p.endValue : '-'} = report ${report.totals.leaked_bytes}`);
	for (const spec of sites) {
		const [name, vals] = spec.split('=');
		const [bytes, liveBytes] = vals.split(':').map(Number);
		check(alloc && alloc.fig.self.get(name) === bytes, `${name}: ${alloc && alloc.fig.self.get(name)} bytes allocated = expected ${bytes}`);
		if (liveBytes !== undefined)
			check((live ? live.fig.self.get(name) || 0 : 0) === liveBytes, `${name}: ${live ? live.fig.self.get(name) || 0 : 0} bytes live at exit = expected ${liveBytes}`);
	}
}
await finish(browser);
