// Browser tests of the Zones section of `scorch html` pages in headless
// Chromium, against the JSON of `scorch report --zones` for the same profile
// and the test programs' exactly known counts. Every state checked is saved
// as a screenshot in WORK.
//   node html-zones.mjs basic  WORK PAGE REPORT.json  zones-basic: table, timeline, zoom, marks, counter, threads
//   node html-zones.mjs jmp    WORK PAGE REPORT.json  zones-jmp: unwound spans flagged
//   node html-zones.mjs markup WORK PAGE REPORT.json  zones-markup: hostile names stay text
//   node html-zones.mjs fib    WORK PAGE REPORT.json  calls-fib (--calls): 22,251 spans, counts and times
//   node html-zones.mjs drops  WORK PAGE REPORT.json  calls-fib --calls-min=1ms: dropped calls in the table only
import fs from 'node:fs';
import { openPage, check, finish } from './lib.mjs';

const [mode, work, file, reportFile] = process.argv.slice(2);
if (!mode || !work || !file || !reportFile) {
	console.error('usage: node html-zones.mjs MODE WORK PAGE REPORT.json');
	process.exit(2);
}
const report = JSON.parse(fs.readFileSync(reportFile, 'utf8')).profiles[0].zones;
const zoneOf = (n) => report.zones.find((z) => z.name === n);

const t0 = Date.now();
const { browser, page, errors, network } = await openPage(file);
const ready = await page.waitForSelector('html[data-ready="1"]', { timeout: 30000 }).then(() => true, () => false);
const loadMs = Date.now() - t0;

const R = (fn, arg) => page.evaluate(fn, arg);
const Z = (what, arg) => page.evaluate(([w, a]) => window.scorchReport.zones[w](a), [what, arg]);
const shot = async (name) => {
	await page.screenshot({ path: `${work}/${name}.png`, fullPage: true });
	console.log(`     screenshot ${work}/${name}.png`);
};
// Per name, the spans the timeline draws one by one and those it merges
// into clusters of spans narrower than a pixel.
async function counts() {
	const drawn = {}, merged = {};
	for (const d of await Z('drawn')) drawn[d.name] = (drawn[d.name] || 0) + 1;
	for (const c of await Z('clusters')) for (const [n, k] of Object.entries(c.names)) merged[n] = (merged[n] || 0) + k;
	return { drawn, merged };
}
// A point of the timeline canvas (canvas px) in page coordinates, scrolled into view.
async function pointAt(x, y) {
	await R((yy) => {
		const r = document.getElementById('zone-canvas').getBoundingClientRect();
		if (r.top + yy < 80 || r.top + yy > window.innerHeight - 30) window.scrollBy(0, r.top + yy - window.innerHeight / 2);
	}, y);
	const b = await page.locator('#zone-canvas').boundingBox();
	return { x: b.x + x, y: b.y + y };
}
// Mouse events carry whole CSS pixels: a fractional point may land in the
// neighbouring item's pixel (a cluster 1 px wide at x 1220.37 clicked at
// 1220.87 was hit at 1220, nearer another cluster ending at 1219.89), so
// the point is a whole pixel inside the item (if it is a pixel wide or more).
async function midOf(d) {
	const p = await pointAt(d.x + Math.min(d.w / 2, 30), d.y + 8);
	const left = p.x - d.x - Math.min(d.w / 2, 30);   // the canvas' left edge
	let x = Math.round(p.x);
	if (x - left < d.x || x - left >= d.x + d.w) x = Math.ceil(left + d.x);
	if (x - left < d.x + d.w) p.x = x;
	return p;
}
async function clickAt(d) {
	const p = await midOf(d);
	await page.mouse.click(p.x, p.y);
}
async function hoverAt(d) {
	const p = await midOf(d);
	await page.mouse.move(p.x, p.y);
	return R(() => {
		const t = document.getElementById('tooltip');
		return t.hidden ? null : { name: t.querySelector('.name').textContent, text: t.textContent };
	});
}
async function selectThread(sel, name) {
	const v = await R(([s, n]) => {
		for (const o of document.getElementById(s).options) if (o.textContent.startsWith(n + ' (')) return o.value;
		return null;
	}, [sel, name]);
	if (v === null) return false;
	await page.selectOption(`#${sel}`, v);
	return true;
}
const tableRows = () => R(() => [...document.querySelectorAll('#ztable tbody tr')].map((tr) =>
	[...tr.children].map((td) => ({ text: td.textContent, title: td.title }))));
const headers = () => R(() => [...document.querySelectorAll('#ztable thead th')].map((th) => th.textContent));
const digits = (s) => Number(String(s).replace(/[^0-9]/g, ''));
async function clickHeader(label) {
	await page.locator('#ztable thead th', { hasText: new RegExp(`^${label}$`) }).first().click();
}
const near = (a, b, eps) => Math.abs(a - b) <= eps;
// "Reset zoom" (disabled, and so not clicked, when the whole run is shown)
async function resetZoom() {
	if (!(await R(() => document.getElementById('zone-reset').disabled))) await page.click('#zone-reset');
}

// The table's rows (cell titles hold the exact figures) = the report's rows.
async function checkTable(rows, want, what) {
	const hd = await headers();
	const col = (l) => hd.indexOf(l);
	check(rows.length === want.length, `${what}: ${rows.length} rows = the report's ${want.length}`);
	const fields = [['Calls', 'calls'], ['Total', 'total_ns'], ['Self', 'self_ns'], ['Mean', 'mean_ns'], ['Min', 'min_ns'],
		['Max', 'max_ns'], ['p50', 'p50_ns'], ['p95', 'p95_ns'], ['p99', 'p99_ns'], ['Allocations', 'allocs'], ['Bytes', 'bytes']];
	for (const z of want) {
		const r = rows.find((x) => x[0].text === z.name);
		if (!check(r, `${what}: a row for ${z.name}`)) continue;
		const bad = fields.filter(([l, k]) => digits(r[col(l)].title) !== z[k]).map(([l, k]) => `${l} ${r[col(l)].title} != ${z[k]}`);
		check(!bad.length, `${what}: ${z.name}: calls ${z.calls}, total ${z.total_ns}, self ${z.self_ns}, mean, min, max, p50, p95, p99, ` +
			`allocations ${z.allocs}, bytes ${z.bytes} as in the report${bad.length ? ' -- ' + bad.join('; ') : ''}`);
		const loc = z.file ? z.file + (z.line ? ':' + z.line : '') : '';
		check(r[col('Location')].text === loc, `${what}: ${z.name} at ${loc || '(unknown)'} (${r[col('Location')].text})`);
	}
}

// For every name: drawn one by one + merged into clusters = its calls.
async function checkCounts(want, what) {
	const { drawn, merged } = await counts();
	for (const [n, calls] of Object.entries(want)) {
		const d = drawn[n] || 0, m = merged[n] || 0;
		check(d + m === calls, `${what}: ${n}: ${d} drawn + ${m} in clusters narrower than a pixel = ${calls} calls`);
	}
	const extra = Object.keys({ ...drawn, ...merged }).filter((n) => !(n in want));
	check(!extra.length, `${what}: no other name drawn (${extra.join(', ') || 'none'})`);
}

// Every span of `name`, found by zooming into each cluster that holds some
// (clicking it), recursively, until they are drawn one by one; "Back" after
// each. Spans are keyed by thread, start and depth.
async function explore(name, seen = new Map(), level = 0) {
	for (const d of await Z('drawn')) if (d.name === name) seen.set(`${d.thread}:${d.start}:${d.depth}`, d);
	if (level >= 14) return seen;
	const n = (await Z('clusters')).filter((c) => c.names[name]).length;
	for (let k = 0; k < n; k++) {
		const c = (await Z('clusters')).filter((x) => x.names[name])[k];
		await clickAt(c);
		await explore(name, seen, level + 1);
		await page.click('#zone-back');
	}
	return seen;
}

// Zooms into the clusters holding `name` until each of its spans is drawn.
async function zoomUntilDrawn(name, calls) {
	for (let k = 0; k < 12; k++) {
		const { drawn } = await counts();
		if ((drawn[name] || 0) === calls) return true;
		const c = (await Z('clusters')).find((x) => x.names[name]);
		if (!c) return false;
		await clickAt(c);
	}
	return ((await counts()).drawn[name] || 0) === calls;
}

async function testBasic() {
	const sec = await R(() => ({ hidden: document.getElementById('zones-section').hidden, nav: document.getElementById('nav-zones').hidden }));
	check(!sec.hidden && !sec.nav, 'the Zones section and its link are shown');
	const W = (await Z('view')).width;

	// the table: every figure equals the report's
	await checkTable(await tableRows(), report.zones, 'table');
	let rows = await tableRows();
	check(rows[0][0].text === report.zones[0].name, `sorted by total like the report: ${report.zones[0].name} first (${rows[0][0].text})`);
	await clickHeader('Calls');
	rows = await tableRows();
	check(rows[0][0].text === 'leaf' && rows[0][2].text === '10', `sorted by calls: leaf (10) first (${rows[0][0].text}, ${rows[0][2].text})`);
	await clickHeader('Calls');
	rows = await tableRows();
	check(rows[0][0].text === 'a' && rows[0][2].text === '1', `sorted by calls ascending: a (1) first, ties by name (${rows[0][0].text})`);
	await clickHeader('Self');
	rows = await tableRows();
	const bySelf = report.zones.slice().sort((x, y) => y.self_ns - x.self_ns || (x.name < y.name ? -1 : 1)).map((z) => z.name);
	check(JSON.stringify(rows.map((r) => r[0].text)) === JSON.stringify(bySelf), `sorted by self: ${bySelf.join(', ')}`);
	await clickHeader('Total');
	await page.locator('#ztable').scrollIntoViewIfNeeded();
	await shot('basic-table');

	// the timeline at full width: exact counts per name, exact times
	const calls = Object.fromEntries(report.zones.map((z) => [z.name, z.calls]));
	await checkCounts(calls, 'full view');
	const v = await Z('view');
	check(v.lanes.length === 2 && v.lanes.map((l) => l.tid).join() === report.threads.map((t) => t.tid).join(),
		`two lanes, one per thread with zones (${v.lanes.map((l) => l.tid).join(', ')})`);
	const all = await Z('drawn');
	check(all.every((d) => d.w >= 1), 'every span drawn alone is at least a pixel wide');
	for (const name of ['leaf', 'outer', 'phase', 'work']) {
		const ds = all.filter((d) => d.name === name), z = zoneOf(name);
		if (ds.length !== z.calls) continue;
		const durs = ds.map((d) => d.end - d.start);
		const sum = durs.reduce((a, b) => a + b, 0), self = ds.reduce((a, d) => a + d.self, 0);
		check(sum === z.total_ns && Math.min(...durs) === z.min_ns && Math.max(...durs) === z.max_ns,
			`${name}: the drawn spans' exact begin/end give total ${sum} = ${z.total_ns}, min and max as the report`);
		check(self === z.self_ns, `${name}: their self times add up to the report's self ${z.self_ns} (${self})`);
	}
	const recs = all.filter((d) => d.name === 'rec').sort((a, b) => a.depth - b.depth);
	check(recs.length === 6 && recs.map((d) => d.depth - recs[0].depth).join() === '0,1,2,3,4,5',
		`rec: six nested spans on six rows (depths ${recs.map((d) => d.depth).join(',')})`);
	check(recs.length === 6 && recs.every((d, k) => k === 0 || (d.start >= recs[k - 1].start && d.end <= recs[k - 1].end && d.y > recs[k - 1].y)),
		'rec: each inside the one above it, one row lower');
	const outer = all.filter((d) => d.name === 'outer'), leaves = all.filter((d) => d.name === 'leaf');
	check(leaves.every((l) => outer.some((o) => o.start <= l.start && l.end <= o.end && l.depth === o.depth + 1)),
		'every leaf is drawn inside an outer, one row lower');
	await page.locator('#zone-wrap').scrollIntoViewIfNeeded();
	await shot('basic-timeline');

	// hover
	const tip = await hoverAt(outer[0]);
	check(tip && tip.name === 'outer', `hover: the zone's name (${tip && tip.name})`);
	const dur = outer[0].end - outer[0].start;
	check(tip && tip.text.includes(`${dur.toLocaleString('en-US')} ns`) && tip.text.includes('self '),
		`hover: its exact duration (${dur} ns) and self (${tip && tip.text})`);
	check(tip && tip.text.includes(`from ${outer[0].start.toLocaleString('en-US')} ns to ${outer[0].end.toLocaleString('en-US')} ns`), 'hover: its exact begin and end');
	await page.locator('#zone-wrap').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${work}/basic-hover.png` });

	// marks: the 7 ticks, named
	const marks = await Z('marks');
	const ticks = marks.flatMap((m) => m.names).filter((n) => n === 'tick').length;
	const want = report.marks.find((m) => m.name === 'tick').count;
	check(ticks === want, `marks: ${ticks} tick marks drawn = the report's ${want}`);
	check(marks.every((m) => m.times.every((t) => t >= report.marks[0].first_ns && t <= report.marks[0].last_ns)),
		'marks: at their recorded times (between the first and the last)');
	check(marks.some((m) => m.label.startsWith('tick')), `marks: labelled with their name (${marks.map((m) => m.label).join(', ')})`);
	const mt = await hoverAt({ x: marks[0].x - 2, w: 4, y: marks[0].y });
	check(mt && mt.name.startsWith('tick'), `hover on a mark names it (${mt && mt.name})`);

	// zooming: clicking clusters until every span of the narrow zones is drawn alone
	for (const name of Object.keys(calls)) {
		await resetZoom();
		const { drawn } = await counts();
		if ((drawn[name] || 0) === calls[name]) continue;
		const seen = [...(await explore(name)).values()];
		check(seen.length === calls[name], `zoom: clicking the clusters that hold ${name} draws each of its ${calls[name]} span(s) (${seen.length})`);
		checkSelf(name, seen);
		await resetZoom();
		await zoomUntilDrawn(name, 1);
		await shot(`basic-zoom-${name}`);
	}
	// clicking a span zooms to exactly it
	await resetZoom();
	await zoomUntilDrawn('alloc_hundred', 1);
	let ah = (await Z('drawn')).find((d) => d.name === 'alloc_hundred');
	await clickAt(ah);
	ah = (await Z('drawn')).find((d) => d.name === 'alloc_hundred');
	const vz = await Z('view');
	check(ah && vz.t0 === ah.start && vz.t1 === ah.end, `click alloc_hundred: the view is exactly its span (${vz.t0}-${vz.t1})`);
	check(ah && near(ah.x, 0, 0.01) && near(ah.w, W, 0.01), `click alloc_hundred: it fills the width (x ${ah && ah.x}, w ${ah && ah.w} of ${W})`);
	const at = await hoverAt(ah);
	const z = zoneOf('alloc_hundred');
	check(at && at.text.includes('100 allocations') && at.text.includes('6.25 KiB'), `hover: 100 allocations, 6.25 KiB inside (${at && at.text})`);
	check(at && at.text.includes(`(${z.total_ns.toLocaleString('en-US')} ns)`), `hover: the duration the report has (${z.total_ns} ns)`);
	check(ah && ah.allocs === z.allocs && ah.bytes === z.bytes, `alloc_hundred span: ${z.allocs} allocations, ${z.bytes} bytes`);
	await page.locator('#zone-wrap').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${work}/basic-zoom-span.png` });
	const backs = vz.back;
	await page.click('#zone-back');
	check((await Z('view')).back === backs - 1, 'Back returns to the view before');
	await resetZoom();
	const vr = await Z('view');
	check(vr.t0 === 0 && vr.t1 === vr.full && vr.back === 0, 'Reset zoom shows the whole run');

	// dragging across the timeline zooms to that time range
	const lane = vr.lanes[0];
	const a = await pointAt(W * 0.1, lane.y + 30), b = await pointAt(W * 0.3, lane.y + 30);
	await page.mouse.move(a.x, a.y);
	await page.mouse.down();
	await page.mouse.move((a.x + b.x) / 2, a.y, { steps: 4 });
	await page.mouse.move(b.x, a.y, { steps: 4 });
	await page.mouse.up();
	const vd = await Z('view');
	check(near(vd.t0, vr.full * 0.1, vr.full * 0.002) && near(vd.t1, vr.full * 0.3, vr.full * 0.002),
		`drag from 10% to 30% of the width: view ${vd.t0.toFixed(0)}-${vd.t1.toFixed(0)} of ${vr.full} ns`);
	await resetZoom();

	// the counter: its plot and its figures are the recorded values
	const cs = await Z('counters');
	const q = cs.find((c) => c.name === 'queue'), rq = report.counters.find((c) => c.name === 'queue');
	check(q && q.min === rq.min && q.max === rq.max && q.last === rq.last && q.values === rq.values,
		`counter queue: min ${rq.min}, max ${rq.max}, last ${rq.last}, ${rq.values} values as the report`);
	check(q && q.series.min === 0 && q.series.max === 9 && q.series.last === 9 && q.series.points === 10,
		`counter queue: the plotted series is 0..9, last 9, 10 points (${q && JSON.stringify(q.series)})`);
	check(q && q.drawn && q.drawn.lo === 0 && q.drawn.hi === 9 && q.drawn.plotted === 10, 'counter queue: the plot spans 0 to 9 with all 10 values');
	const stats = await R(() => [...document.querySelectorAll('.counter')].map((c) => ({
		name: c.querySelector('.cname').textContent,
		stats: Object.fromEntries([...c.querySelectorAll('.stat[data-k]')].map((s) => [s.dataset.k, s.textContent])),
	})));
	const qs = stats.find((s) => s.name === 'queue');
	check(qs && qs.stats.min === 'min 0' && qs.stats.max === 'max 9' && qs.stats.last === 'last 9',
		`counter queue shows min 0, max 9, last 9 (${qs && JSON.stringify(qs.stats)})`);
	// the line is drawn: the plot's colour at the last value's height, right of the last point
	const px = await R(() => {
		const cv = document.querySelector('.cplot'), r = window.devicePixelRatio || 1, c = cv.getContext('2d');
		const k = window.scorchReport.zones.counters()[0], y = 64 - 6 - (64 - 12) * (k.last - k.drawn.lo) / (k.drawn.hi - k.drawn.lo);
		return [...c.getImageData(Math.round((cv.clientWidth - 3) * r), Math.round(y * r), 1, 1).data];
	});
	check(px[3] > 0 && px[1] > px[0], `counter queue: the line holds its last value to the end (rgba ${px.join(',')})`);
	await page.locator('#counters').scrollIntoViewIfNeeded();
	await page.screenshot({ path: `${work}/basic-counter.png` });

	// the thread selector: the timeline and the table follow it
	const worker = report.threads.find((t) => t.name === 'worker-1'), main = report.threads.find((t) => t.name !== 'worker-1');
	check(await selectThread('thread', 'worker-1'), 'thread worker-1 selectable in the flamegraph\'s selector');
	let vt = await Z('view');
	check(vt.lanes.length === 1 && vt.lanes[0].tid === worker.tid, `worker-1: one lane, its own (${vt.lanes.map((l) => l.tid).join(', ')})`);
	await checkCounts({ work: 3 }, 'worker-1');
	rows = await tableRows();
	check(rows.length === 1 && rows[0][0].text === 'work' && rows[0][2].text === String(worker.spans),
		`worker-1: the table has work only, ${worker.spans} calls (${rows.map((r) => r[0].text + ' ' + r[2].text).join('; ')})`);
	check(digits(rows[0][3].title) === zoneOf('work').total_ns, 'worker-1: work\'s total as the report\'s');
	check((await R(() => document.getElementById('zone-thread').value)) === (await R(() => document.getElementById('thread').value)),
		'the Zones section\'s selector follows');
	await page.locator('#zones-section').scrollIntoViewIfNeeded();
	await shot('basic-thread-worker');
	check(await selectThread('zone-thread', main.name), `thread ${main.name} selectable in the Zones section's selector`);
	vt = await Z('view');
	check(vt.lanes.length === 1 && vt.lanes[0].tid === main.tid, `${main.name}: one lane, its own`);
	const mainCalls = { ...calls };
	delete mainCalls.work;
	await checkCounts(mainCalls, main.name);
	rows = await tableRows();
	check(rows.length === report.zones.length - 1 && !rows.some((r) => r[0].text === 'work'), `${main.name}: every zone but work in the table`);
	check((await R(() => document.getElementById('thread').value)) === (await R(() => document.getElementById('zone-thread').value)),
		'the flamegraph\'s selector follows');
	await page.selectOption('#zone-thread', '-1');
	vt = await Z('view');
	check(vt.lanes.length === 2, 'all threads: both lanes again');
	await checkCounts(calls, 'all threads again');

	// a row of the table highlights its zone on the timeline
	await page.locator('#ztable tbody tr', { hasText: /^leaf/ }).first().click();
	check((await Z('highlighted')) === 'leaf', 'clicking the leaf row highlights leaf');
	const dims = await Z('drawn');
	check(dims.filter((d) => d.name === 'leaf').every((d) => !d.dimmed) && dims.filter((d) => d.name !== 'leaf').every((d) => d.dimmed),
		'leaf spans stay bright, the others are dimmed');
	await shot('basic-highlight');
	await page.locator('#ztable tbody tr', { hasText: /^leaf/ }).first().click();
	check((await Z('highlighted')) === null, 'clicking it again clears the highlight');

	// the summary and the nesting errors
	const sum = await R(() => [...document.querySelectorAll('#summary-list dt')].find((e) => e.textContent === 'Zones').nextElementSibling.textContent);
	check(sum.startsWith(`${report.totals.spans} spans of ${report.zones.length} zones`), `summary: ${sum}`);
	const errs = await R(() => [...document.querySelectorAll('#zone-errors li')].map((e) => e.textContent));
	check(errs.some((e) => e.startsWith('scorch_zone_end("a") while "b" was the innermost open zone; 1 time')),
		'the mismatched end of a while b is listed');
	check(errs.some((e) => e.startsWith('scorch_zone_end("never") with no zone open: ignored; 1 time')), 'the end of never without a begin is listed');
}

// the self times of every span of name add up to the report's self
function checkSelf(name, ds) {
	const z = zoneOf(name);
	if (ds.length !== z.calls) return;
	const self = ds.reduce((a, d) => a + d.self, 0);
	check(self === z.self_ns, `${name}: the self times of its spans add up to the report's ${z.self_ns} (${self})`);
}

async function testJmp() {
	const calls = Object.fromEntries(report.zones.map((z) => [z.name, z.calls]));
	await checkCounts(calls, 'zones-jmp');
	for (const z of report.zones) {
		await resetZoom();
		const ds = [...(await explore(z.name)).values()];
		check(ds.length === z.calls, `${z.name}: each of its ${z.calls} spans drawn after zooming in (${ds.length})`);
		const unw = ds.filter((d) => d.flags & 1).length;
		check(unw === z.unwound, `${z.name}: ${unw} spans flagged unwound = the report's ${z.unwound}`);
		checkSelf(z.name, ds);
		if (!z.unwound) continue;
		await resetZoom();
		for (let k = 0; k < 12 && !(await Z('drawn')).some((d) => d.name === z.name && d.flags & 1); k++) {
			const c = (await Z('clusters')).find((x) => x.names[z.name]);
			if (!c) break;
			await clickAt(c);
		}
		const flagged = (await Z('drawn')).find((d) => d.name === z.name && d.flags & 1);
		const tip = flagged && await hoverAt(flagged);
		check(tip && tip.text.includes('unwound: ended by longjmp or an exception'), `hover on an unwound ${z.name} says so`);
	}
	const rows = await tableRows();
	const hd = await headers();
	const dive = rows.find((r) => r[0].text === 'dive');
	check(dive && dive[hd.indexOf('Notes')].text === `${zoneOf('dive').unwound} unwound`, `the table notes dive's unwound spans (${dive && dive[hd.indexOf('Notes')].text})`);
	await shot('jmp');
}

async function testMarkup() {
	const dir = process.env.MARKUP_DIR || '';
	const dom = () => R(() => ({
		imgs: document.querySelectorAll('img').length,
		scripts: document.querySelectorAll('script').length,
		// the data, the hot code's data when the profile has samples, the script
		ours: document.getElementById('scorch-annotate') ? 3 : 2,
		bold: document.querySelectorAll('b, i, u').length,
		onattrs: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name))).length,
	}));
	let d = await dom();
	check(d.imgs === 0 && d.bold === 0, `no <img>, <b>, <i> or <u> element was injected (${d.imgs}, ${d.bold})`);
	check(d.scripts === d.ours, `only the page's own script elements exist (${d.scripts} of ${d.ours})`);
	check(d.onattrs === 0, 'no element has an on* attribute');
	const names = report.zones.map((z) => z.name);
	check(names.length === 2 && names.every((n) => /[<>]/.test(n)), `the profile's zone names are markup (${names.join(' ; ')})`);
	const rows = await tableRows();
	for (const z of report.zones) {
		const r = rows.find((x) => x[0].text === z.name);
		check(r && digits(r[2].text) === z.calls, `table: ${z.name} literally, ${z.calls} calls`);
		check(r && r[1].text === `${z.file}:${z.line}` && r[1].text.startsWith(dir + '/'), `table: its file in the markup directory literally (${r && r[1].text})`);
	}
	await checkCounts(Object.fromEntries(report.zones.map((z) => [z.name, z.calls])), 'timeline');
	const inner = names.find((n) => n.startsWith('<img'));
	const seen = [...(await explore(inner)).values()];
	check(seen.length === zoneOf(inner).calls, `timeline: each of the ${zoneOf(inner).calls} ${inner} spans drawn after zooming in (${seen.length})`);
	check(seen.every((d) => d.allocs === 1 && d.bytes === 100), 'timeline: each made 1 allocation of 100 B');
	await zoomUntilDrawn(inner, 1);
	// a span drawn a pixel or two wide can share its pixels with a cluster
	// next to it (its durations vary from run to run): click it, which
	// zooms to the span itself, and hover it at full width
	let span = (await Z('drawn')).find((x) => x.name === inner);
	if (span && span.w < 40) {
		await clickAt(span);
		span = (await Z('drawn')).find((x) => x.name === inner) || span;
	}
	const tip = await hoverAt(span);
	check(tip && tip.name === inner, `hover: the name as text (${tip && tip.name})`);
	check(tip && tip.text.includes(`${dir}/zones-markup.c:`), 'hover: the file path with markup as text');
	check(tip && tip.text.includes('1 allocation, 100 B'), `hover: 1 allocation of 100 B (${tip && tip.text})`);
	await resetZoom();
	const marks = await Z('marks');
	const mk = report.marks[0];
	check(marks.flatMap((m) => m.names).filter((n) => n === mk.name).length === mk.count, `marks: ${mk.count} of ${mk.name} drawn`);
	check(marks.length && marks.every((m) => m.label === mk.name + (m.count > 1 ? ` \u00d7${m.count}` : '')),
		`marks: labelled with the name literally, times the marks sharing a pixel (${marks.map((m) => m.label).join(', ')})`);
	const cn = await R(() => [...document.querySelectorAll('.counter .cname')].map((e) => e.textContent));
	const rc = report.counters[0];
	check(cn.length === 1 && cn[0] === rc.name, `counter: its name literally (${JSON.stringify(cn)})`);
	const cs = (await Z('counters'))[0];
	check(cs && cs.min === -2.25 && cs.max === 3 && cs.last === 3 && cs.series.min === rc.min && cs.series.max === rc.max && cs.series.last === rc.last,
		`counter: min -2.25, max 3, last 3 as recorded (${cs && JSON.stringify(cs.series)})`);
	const th = report.threads[0].name;
	const opts = await R(() => [...document.getElementById('zone-thread').options].map((o) => o.textContent));
	check(opts.some((o) => o.startsWith(th + ' (')), `thread selector: ${th} literally`);
	const errs = await R(() => [...document.querySelectorAll('#zone-errors li')].map((e) => e.textContent));
	check(errs.some((e) => e.startsWith(`scorch_zone_end("${report.errors[0].given}") with no zone open`)), `errors: ${report.errors[0].given} literally`);
	const title = await R(() => document.title);
	check(!/[<>]/.test(title) || title.includes('zones-markup'), `title: ${title}`);
	await page.locator('#zones-section').scrollIntoViewIfNeeded();
	await shot('markup-zones');
	await selectThread('zone-thread', th);
	await page.locator('#ztable tbody tr').first().click();
	d = await dom();
	check(d.imgs === 0 && d.bold === 0 && d.scripts === d.ours && d.onattrs === 0, 'still nothing injected after hovering, zooming, selecting and highlighting');
}

async function testFib() {
	const t = await R(() => window.scorchReport.timing), zt = await R(() => window.scorchReport.zones.timing);
	const size = fs.statSync(file).size;
	console.log(`     page ${(size / 1024).toFixed(0)} KiB, ${report.totals.spans.toLocaleString('en-US')} spans`);
	console.log(`     ready ${t.readyAt.toFixed(0)} ms after navigation (JSON.parse ${t.parseMs.toFixed(0)} ms, whole script ${t.scriptMs.toFixed(0)} ms; ` +
		`zones: prepare ${zt.prepMs.toFixed(1)} ms, first timeline draw ${zt.firstDrawMs.toFixed(1)} ms, with counters and table ${zt.drawAndTableMs.toFixed(1)} ms); ` +
		`${loadMs} ms from launch to ready via CDP`);
	const calls = Object.fromEntries(report.zones.map((z) => [z.name, z.calls]));
	check(calls.fib === 21891, `the report has fib's 21,891 calls (${calls.fib})`);
	await checkCounts(calls, 'full view');
	const drawn = (await Z('drawn')).length, cl = (await Z('clusters')).length;
	console.log(`     full view: ${drawn} spans drawn, ${cl} clusters hold the other ${(report.totals.spans - drawn).toLocaleString('en-US')}`);
	check(drawn + cl < 2000, `narrow spans are pruned: ${drawn} spans and ${cl} clusters drawn for ${report.totals.spans} spans`);
	await checkTable(await tableRows(), report.zones, 'table');
	await page.locator('#zone-wrap').scrollIntoViewIfNeeded();
	await shot('fib-full');
	// zooming into fib: the biggest cluster, a few times, then the fib(20) span
	const times = [];
	for (let k = 0; k < 4; k++) {
		const c = (await Z('clusters')).filter((x) => x.names.fib).sort((a, b) => b.count - a.count)[0];
		if (!c) break;
		await clickAt(c);
		times.push(await Z('lastDrawMs'));
	}
	const med = times.slice().sort((a, b) => a - b)[times.length >> 1];
	console.log(`     zoom redraws ${times.map((x) => x.toFixed(1)).join(', ')} ms`);
	check(times.length >= 2 && med < 250, `a zoom redraws in well under a second (median ${med && med.toFixed(1)} ms)`);
	await shot('fib-zoom');
	await resetZoom();
	const top = (await Z('drawn')).filter((d) => d.name === 'fib').sort((a, b) => a.depth - b.depth)[0];
	await clickAt(top);
	const v = await Z('view');
	check(top && v.t0 === top.start && v.t1 === top.end, 'click on fib(20): the view is its span');
	const inView = await counts();
	const n = (inView.drawn.fib || 0) + (inView.merged.fib || 0);
	check(n === 21891, `zoomed to fib(20): its 21,891 calls are all there, drawn or in clusters (${n})`);
	console.log(`     fib(20) view: ${inView.drawn.fib || 0} fib spans drawn alone, ${inView.merged.fib || 0} in clusters`);
	await shot('fib-fib20');
	await resetZoom();
	check(await selectThread('zone-thread', 'fib-a'), 'thread fib-a selectable');
	await checkCounts({ thread_main: 1, tfib: 177 }, 'fib-a');
	const t1 = Date.now();
	await page.selectOption('#zone-thread', '-1');
	console.log(`     thread switch back to all threads: ${Date.now() - t1} ms via CDP`);
	check(t.readyAt < 5000, `loads and draws in under 5 s (${t.readyAt.toFixed(0)} ms)`);
}

// --calls-min: the table counts every call, the timeline the spans kept.
async function testDrops() {
	await checkTable(await tableRows(), report.zones, 'table');
	check(report.zones.some((z) => z.dropped_calls > 0), `the report has dropped calls (${report.totals.dropped_calls})`);
	const spans = Object.fromEntries(report.zones.filter((z) => z.calls > z.dropped_calls).map((z) => [z.name, z.calls - z.dropped_calls]));
	await checkCounts(spans, 'timeline: the spans kept');
	const rows = await tableRows(), hd = await headers();
	const fib = rows.find((r) => r[0].text === 'fib'), zf = zoneOf('fib');
	check(fib && fib[hd.indexOf('Notes')].text === `${zf.dropped_calls.toLocaleString('en-US')} below --calls-min`,
		`fib's row notes its ${zf.dropped_calls} calls below --calls-min (${fib && fib[hd.indexOf('Notes')].text})`);
	check(await selectThread('zone-thread', 'calls-fib'), 'the main thread selectable');
	const sub = await R(() => document.getElementById('ztable-sub').textContent);
	check(/below --calls-min have no thread/.test(sub), `one thread: the table says dropped calls count under all threads only (${sub})`);
	const one = await tableRows();
	const f1 = one.find((r) => r[0].text === 'fib');
	check(f1 && f1[2].text === String(spans.fib), `one thread: fib's ${spans.fib} kept span(s) (${f1 && f1[2].text})`);
	await page.locator('#zones-section').scrollIntoViewIfNeeded();
	await shot('drops');
}

function basics() {
	check(errors.length === 0, `no page or console errors (${errors.join(' | ') || 'none'})`);
	check(network.length === 0, `no network request (${network.join(' ') || 'none'})`);
}
if (!check(ready, 'the page ran its script to the end')) {
	basics();
	await finish(browser);
}
const modes = { basic: testBasic, jmp: testJmp, markup: testMarkup, fib: testFib, drops: testDrops };
if (!modes[mode]) {
	console.error(`unknown mode ${mode}`);
	process.exit(2);
}
check(await R(() => !!window.scorchReport.zones), 'the page has zones');
await modes[mode]();
basics();
await finish(browser);
