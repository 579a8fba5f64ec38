// Browser test of zones in scorch's flame charts (scorch flame --chart) in
// headless Chromium, driven from tests/e2e/t035-flame-zones.sh:
//   node flame-zones.mjs basic  FILE.svg REPORT.json OUTDIR
//        zones-basic drawn whole (--minwidth=0): per zone name as many frames as the
//        report's calls, widths proportional to the durations, self times and nesting
//        as the report has them, click to zoom, search, marks and the counter
//   node flame-zones.mjs fib    FILE.svg REPORT.json OUTDIR
//        calls-fib pruned (the default): frames drawn plus the spans the lane headers
//        list as left out equal the report's calls, per name; zoom and search
//   node flame-zones.mjs fiball FILE.svg REPORT.json OUTDIR
//        calls-fib drawn whole: 21,891 fib frames, found by a search
//   node flame-zones.mjs markup FILE.svg OUTDIR
//        zone, mark and counter names with markup: shown as text, nothing runs
// REPORT.json is `scorch report --zones --json --limit=0` of the same profile.
// Every mode also checks that the page loads without console errors, dialogs
// or network requests, and saves screenshots in OUTDIR.
import { openPage, check, finish } from './lib.mjs';
import fs from 'node:fs';
import path from 'node:path';

const [mode, file, third, fourth] = process.argv.slice(2);
const outdir = mode === 'markup' ? third : fourth;
if (!mode || !file || !outdir) {
	console.error('usage: node flame-zones.mjs basic|fib|fiball FILE.svg REPORT.json OUTDIR | markup FILE.svg OUTDIR');
	process.exit(2);
}
const report = mode === 'markup' ? null : JSON.parse(fs.readFileSync(third, 'utf8')).profiles[0].zones;
const stat = (n) => report.zones.find((z) => z.name === n);

const { browser, page, errors, network } = await openPage(file, { width: 1280, height: 900 });
const shot = async (name) => {
	await page.screenshot({ path: path.join(outdir, `${name}.png`) });
	console.log(`     screenshot ${path.join(outdir, name + '.png')}`);
};

// Every frame as the page shows it now, with its lane (index and kind).
const frames = () => page.evaluate(() => {
	const lanes = Array.from(document.querySelectorAll('#frames g.lane'));
	return Array.from(document.querySelectorAll('g.f')).map((g) => {
		const r = g.querySelector('rect');
		const t = g.querySelector('text');
		const lane = g.closest('g.lane');
		const tip = g.querySelector('title').textContent;
		return {
			name: tip.split('\n')[0], tip,
			zone: g.classList.contains('z') && !g.classList.contains('m'),
			merged: g.classList.contains('m'),
			lane: lanes.indexOf(lane), kind: lane.getAttribute('data-kind'),
			x: +r.getAttribute('x'), w: +r.getAttribute('width'), y: +r.getAttribute('y'),
			fill: r.getAttribute('fill'),
			hidden: getComputedStyle(g).display === 'none',
			hl: g.classList.contains('hl'),
			label: t ? t.textContent : '',
		};
	});
});
const marks = () => page.evaluate(() => Array.from(document.querySelectorAll('g.mk')).map((g) => ({
	tip: g.querySelector('title').textContent, count: +g.getAttribute('data-count'),
	hidden: getComputedStyle(g).display === 'none', tr: g.getAttribute('transform'),
})));
const svgAttr = (a) => page.evaluate((n) => +document.documentElement.getAttribute(n), a);
const text = (id) => page.evaluate((i) => document.getElementById(i).textContent, id);
// Zone lane header tooltips: "N name" lines after "spans left out or merged as shorter than ...:"
const prunedByName = () => page.evaluate(() => {
	const out = {};
	for (const t of document.querySelectorAll('g.lh > title')) {
		if (t.parentNode.nextElementSibling.getAttribute('data-kind') !== 'zones') continue;
		const lines = t.textContent.split('\n');
		const at = lines.findIndex((l) => l.startsWith('spans left out or merged as shorter than '));
		if (at < 0) continue;
		for (const l of lines.slice(at + 1)) {
			const m = /^([0-9,]+) (.*)$/.exec(l);
			if (m) out[m[2]] = (out[m[2]] || 0) + +m[1].replace(/,/g, '');
		}
	}
	return out;
});

// Moves the real mouse onto a frame chosen by pick (among the visible ones)
// and clicks it unless hover is set.
async function pointAt(pick, hover = false) {
	const fs = (await frames()).map((f, i) => ({ ...f, i })).filter((f) => !f.hidden && pick(f));
	if (!fs.length) return null;
	const best = fs.sort((a, b) => b.w - a.w)[0];
	const pos = await page.evaluate((i) => {
		const r = document.querySelectorAll('g.f')[i].querySelector('rect');
		r.scrollIntoView({ block: 'center' });
		const b = r.getBoundingClientRect();
		return { x: b.left + Math.min(b.width / 2, 40), y: b.top + b.height / 2 };
	}, best.i);
	if (hover) await page.mouse.move(pos.x, pos.y);
	else await page.mouse.click(pos.x, pos.y);
	return best;
}

async function clickId(id) {
	const b = await page.evaluate((i) => {
		const r = document.getElementById(i).getBoundingClientRect();
		return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
	}, id);
	await page.mouse.click(b.x, b.y);
}

async function search(re) {
	await page.keyboard.press('Control+f');
	await page.keyboard.press('Control+a');
	await page.keyboard.type(re);
	await page.keyboard.press('Enter');
}

const near = (a, b, tol) => Math.abs(a - b) <= tol;
const count = (fs, pred) => fs.filter(pred).length;

const XPAD = await svgAttr('data-xpad');
const FW = await svgAttr('data-fw');
const T0 = await svgAttr('data-t0'), T1 = await svgAttr('data-t1');
const NSPX = (T1 - T0) / FW;   // ns per px
check(FW > 0 && T1 > T0, `the chart says its frame area (${FW} px) and time axis (${T0} .. ${T1} ns)`);
await shot(`${mode}-loaded`);

if (mode === 'basic') {
	let fs = await frames();
	const zf = fs.filter((f) => f.zone);
	check(zf.length === report.totals.spans, `every zone span is a frame (${zf.length} of ${report.totals.spans})`);
	check(count(fs, (f) => f.merged) === 0, 'nothing merged at --minwidth=0');
	for (const z of report.zones) {
		const mine = zf.filter((f) => f.name === z.name);
		check(mine.length === z.calls, `${z.name}: ${mine.length} frames, the report's ${z.calls} calls`);
		const ws = mine.map((f) => f.w * NSPX);
		const tol = (ns) => Math.max(20, ns * 1e-5);
		check(near(Math.min(...ws), z.min_ns, tol(z.min_ns)) && near(Math.max(...ws), z.max_ns, tol(z.max_ns)),
		      `${z.name}: narrowest and widest frames are ${z.min_ns} and ${z.max_ns} ns wide ` +
		      `(${Math.min(...ws).toFixed(0)}, ${Math.max(...ws).toFixed(0)})`);
		const sum = ws.reduce((a, b) => a + b, 0);
		check(near(sum, z.mean_ns * z.calls, z.calls + tol(sum)), `${z.name}: widths sum to the calls' durations (${sum.toFixed(0)} ns)`);
	}
	// geometry: each frame below its parent, inside it; self = its width less
	// the frames directly below it, which sum per name to the report's self
	const byLane = {};
	for (const f of zf) (byLane[f.lane] = byLane[f.lane] || []).push(f);
	let nested = 0, outside = [];
	const self = {};
	for (const lf of Object.values(byLane)) {
		const top = Math.min(...lf.map((f) => f.y));
		for (const f of lf) {
			f.depth = Math.round((f.y - top) / 16);
			// the frames one row below within its time: its children (what
			// sticks out of it is not its time)
			const inside = lf.filter((k) => k.y === f.y + 16)
				.reduce((a, k) => a + Math.max(0, Math.min(k.x + k.w, f.x + f.w) - Math.max(k.x, f.x)), 0);
			self[f.name] = (self[f.name] || 0) + (f.w - inside) * NSPX;
			if (f.depth === 0) continue;
			const par = lf.filter((p) => p.y === f.y - 16 && p.x <= f.x + 1e-6 && f.x + f.w <= p.x + p.w + 1e-6);
			if (par.length === 1) nested++;
			else outside.push(f.name);
		}
	}
	// "b" is ended after "a", which enclosed it (the program's mismatched end): it sticks out
	check(outside.length === 1 && outside[0] === 'b', `every nested zone lies inside one frame of the row above, but b (${outside.join(',')})`);
	for (const z of report.zones)
		check(near(self[z.name], z.self_ns, Math.max(30, z.self_ns * 1e-5)), `${z.name}: self time from the frames ${self[z.name].toFixed(0)} ns, the report's ${z.self_ns}`);
	const leaves = zf.filter((f) => f.name === 'leaf');
	check(leaves.every((f) => f.depth === 1 && zf.some((o) => o.name === 'outer' && o.depth === 0 && o.x <= f.x && f.x + f.w <= o.x + o.w + 1e-6)),
	      'each leaf is one row below, inside an outer');
	check(zf.filter((f) => f.name === 'outer').every((o) => leaves.filter((f) => f.x >= o.x && f.x + f.w <= o.x + o.w + 1e-6).length === 2),
	      'each outer has two leaves in it');
	const recs = zf.filter((f) => f.name === 'rec').sort((a, b) => a.depth - b.depth);
	check(recs.map((f) => f.depth).join() === '0,1,2,3,4,5', `rec: six frames on rows 0..5 (${recs.map((f) => f.depth).join()})`);
	check(recs.every((f, i) => !i || (f.x >= recs[i - 1].x && f.x + f.w <= recs[i - 1].x + recs[i - 1].w + 1e-6)), 'each rec inside the one before');
	const ah = zf.find((f) => f.name === 'alloc_hundred');
	check(ah.tip.includes('\nallocations: 100, 6,400 bytes (6.25 KiB)\n'), 'alloc_hundred tells its 100 allocations and 6,400 bytes');
	check(leaves.every((f) => /\nself: .* \(100\.00%\)\n/.test(f.tip)), 'a leaf is all self time');
	const ws = fs.filter((f) => f.name === 'work');
	check(ws.length === 3 && new Set(ws.map((f) => f.lane)).size === 1 && ws[0].tip.includes('\nthread: worker-1 ('),
	      'the three work zones are on worker-1\'s lane');

	// marks: 7 ticks; the counter
	let mk = await marks();
	check(mk.length === 7 && mk.every((m) => m.tip.startsWith('tick\nmark at ')), `7 tick marks (${mk.length})`);
	const ctr = await page.evaluate(() => Array.from(document.querySelectorAll('g.ctr > title')).map((t) => t.textContent));
	check(ctr.length === 1 && ctr[0].startsWith('queue\ncounter: 10 values from ') && ctr[0].includes('\nmin 0, max 9, last 9\n'),
	      `the queue counter: 10 values, min 0, max 9 (${ctr[0] && ctr[0].split('\n').join('; ')})`);

	// hover
	await pointAt((f) => f.name === 'alloc_hundred', true);
	const d = await text('details');
	check(d.startsWith('alloc_hundred; ') && d.includes('allocations: 100'), `hovering a zone shows its figures ("${d}")`);
	const mpos = await page.evaluate(() => {
		const b = document.querySelector('g.mk rect').getBoundingClientRect();
		return { x: b.left + b.width / 2, y: b.top + b.height / 2 };
	});
	await page.mouse.move(mpos.x, mpos.y);
	check((await text('details')).startsWith('tick; mark at '), `hovering a mark shows it ("${await text('details')}")`);

	// zoom on the widest leaf: it fills the width, its outer stays, the rest goes
	const leaf = await pointAt((f) => f.zone && f.name === 'leaf');
	fs = await frames();
	const zl = fs.filter((f) => f.zone && f.name === 'leaf' && !f.hidden && near(f.w, FW, 0.01));
	check(zl.length === 1 && near(zl[0].x, XPAD, 0.01), `the clicked leaf fills the width (${leaf.w.toFixed(2)} px before)`);
	const zo = fs.filter((f) => f.name === 'outer' && !f.hidden);
	check(zo.length === 1 && near(zo[0].w, FW, 0.01), 'its outer stays, clipped to the view');
	check(fs.filter((f) => !f.hidden).length === 2, `only the leaf and its outer are shown (${fs.filter((f) => !f.hidden).length})`);
	mk = await marks();
	check(mk.every((m) => m.hidden), 'the marks, later than the leaf, are hidden');
	const ctf = await page.evaluate(() => document.querySelector('g.cz').getAttribute('transform') || '');
	check(/^translate\(-?[0-9.]+,0\) scale\([0-9.e+]+,1\)$/.test(ctf), `the counter line is zoomed with it (${ctf})`);
	await shot('basic-zoomed');
	await clickId('unzoom');
	fs = await frames();
	check(fs.every((f) => !f.hidden) && (await marks()).every((m) => !m.hidden), 'Reset Zoom shows every frame and mark again');

	// search: exactly the zones of that name
	await search('^leaf$');
	fs = await frames();
	let hl = fs.filter((f) => f.hl);
	check(hl.length === 10 && hl.every((f) => f.name === 'leaf' && f.zone), `searching ^leaf$ highlights the 10 leaf zones (${hl.length})`);
	check(/\(10 frames\)$/.test(await text('matched')), `Matched counts them ("${await text('matched')}")`);
	await shot('basic-search');
	await search('^(rec|phase)$');
	hl = (await frames()).filter((f) => f.hl);
	check(hl.length === 10 && count(hl, (f) => f.name === 'rec') === 6, `^(rec|phase)$ highlights 6 rec and 4 phase (${hl.length})`);
	await page.keyboard.press('Escape');
	check((await frames()).every((f) => !f.hl), 'Escape clears the search');
} else if (mode === 'fib') {
	const fs = await frames();
	check(fs.length <= 20001, `the default cap holds (${fs.length} frames)`);
	const pruned = await prunedByName();
	const zf = fs.filter((f) => f.zone);
	for (const z of report.zones) {
		const drawn = count(zf, (f) => f.name === z.name), left = pruned[z.name] || 0;
		check(drawn + left === z.calls, `${z.name}: ${drawn} frames drawn + ${left} left out or merged = ${z.calls} calls`);
	}
	check((pruned.fib || 0) > 0, `most fib calls are too short to draw at this scale (${pruned.fib})`);
	const merged = fs.filter((f) => f.merged && f.kind === 'zones');
	check(merged.length > 0 && merged.every((f) => /^\[[0-9]+ short spans( of [a-z_]+)?, merged\]$/.test(f.name)),
	      `short neighbours are merged (${merged.length} frames)`);
	const mfib = merged.filter((f) => f.name.endsWith(' of fib, merged]')).reduce((a, f) => a + +/^\[([0-9]+)/.exec(f.name)[1], 0);
	check(mfib <= pruned.fib, `the merged fib frames stand for ${mfib} of the ${pruned.fib} left out`);
	// fib(20): the widest fib zone, as long as the report's fib total
	const f20 = zf.filter((f) => f.name === 'fib').sort((a, b) => b.w - a.w)[0];
	check(near(f20.w * NSPX, stat('fib').total_ns, Math.max(50, 1e-5 * stat('fib').total_ns)), `fib(20) is as wide as fib's total (${(f20.w * NSPX).toFixed(0)} ns)`);
	const fa = fs.filter((f) => f.zone && f.name === 'thread_main');
	check(fa.length === 2 && fa[0].lane !== fa[1].lane, 'thread_main on two lanes (fib-a, fib-b)');

	await search('^fib$');
	let now = await frames();
	let hl = now.filter((f) => f.hl);
	const named = now.filter((f) => f.name === 'fib');
	check(hl.length === named.length && hl.every((f) => f.name === 'fib'), `searching ^fib$ highlights exactly the ${named.length} frames named fib`);
	check(count(hl, (f) => f.zone) === count(zf, (f) => f.name === 'fib'), 'among them every fib zone drawn');
	await page.keyboard.press('Escape');

	await pointAt((f) => f.zone && f.name === 'fib');
	now = await frames();
	const z = now.filter((f) => f.zone && f.name === 'fib' && !f.hidden && near(f.w, FW, 0.01));
	check(z.length >= 1 && near(z[0].x, XPAD, 0.01), 'clicking fib(20) zooms it to the full width');
	const mainz = now.filter((f) => f.zone && f.name === 'main' && !f.hidden);
	check(mainz.length === 1 && near(mainz[0].w, FW, 0.01), 'main, around it, stays');
	check(now.filter((f) => f.zone && f.name === 'slow').every((f) => f.hidden), 'slow, after it, is hidden');
	const vis = now.filter((f) => f.zone && f.name === 'fib' && !f.hidden);
	check(vis.length === count(zf, (f) => f.name === 'fib'), `all ${vis.length} fib frames drawn lie within fib(20)`);
	await shot('fib-zoomed');
	await search('short spans of fib');
	hl = (await frames()).filter((f) => f.hl);
	check(hl.length > 0 && hl.every((f) => f.merged), `the merged fib frames are found by their name (${hl.length})`);
	await shot('fib-search');
} else if (mode === 'fiball') {
	const fs = await frames();
	const zf = fs.filter((f) => f.zone);
	check(zf.length === report.totals.spans, `every span drawn (${zf.length})`);
	for (const z of report.zones)
		check(count(zf, (f) => f.name === z.name) === z.calls, `${z.name}: ${z.calls} frames`);
	await search('^fib$');
	const hl = (await frames()).filter((f) => f.hl);
	check(hl.length === 21891 && hl.every((f) => f.zone && f.name === 'fib'), `searching ^fib$ highlights the 21,891 fib zones (${hl.length})`);
	check(/\(21891 frames\)$/.test(await text('matched')), `Matched says so ("${await text('matched')}")`);
	await page.keyboard.press('Escape');
	await pointAt((f) => f.zone && f.name === 'fib');
	const now = await frames();
	const vis = now.filter((f) => f.zone && f.name === 'fib' && !f.hidden);
	check(vis.length === 21891, `zoomed to fib(20), every fib call is within it (${vis.length})`);
	await shot('fiball-zoomed');
	// the deepest: fib(1) and fib(0) calls 20 rows below fib(20) on the main lane
	const depth = Math.max(...vis.map((f) => f.y)) - Math.min(...vis.map((f) => f.y));
	check(depth === 19 * 16, `fib nests 20 deep (${depth / 16 + 1} rows)`);
} else if (mode === 'markup') {
	const img = '<img src=x onerror=alert(1)>', amp = 'a&b"c\'d</title>';
	const fs = await frames();
	check(fs.some((f) => f.zone && f.name === img), 'a zone named <img ...> shows its name as text');
	check(fs.some((f) => f.zone && f.name === amp), 'a zone named a&b"c\'d</title> too');
	const mk = await marks();
	check(mk.length === 1 && mk[0].tip.startsWith('<script>alert(2)</script>\nmark at '), 'the mark named <script> too');
	const ctr = await page.evaluate(() => Array.from(document.querySelectorAll('g.ctr > title')).map((t) => t.textContent));
	check(ctr.length === 1 && ctr[0].startsWith('</text><b>q\ncounter: 2 values'), 'the counter </text><b>q too');
	const clab = await page.evaluate(() => document.querySelector('.clab').textContent);
	check(clab.startsWith('</text><b>q ('), `and its label ("${clab}")`);
	await pointAt((f) => f.name === img, true);
	check((await text('details')).startsWith(img + '; '), 'hovering shows the name as text');
	await pointAt((f) => f.name === amp);
	const z = (await frames()).filter((f) => f.name === amp && !f.hidden)[0];
	check(z && near(z.w, FW, 0.01) && z.label === amp, `zoomed, its label is the literal name ("${z && z.label}")`);
	await clickId('unzoom');
	await search('<img');
	const hl = (await frames()).filter((f) => f.hl);
	check(hl.length === 1 && hl[0].name === img, 'searching <img finds that zone only');
	await shot('markup-search');
	const dom = await page.evaluate(() => ({
		made: document.querySelectorAll('img, iframe, object, embed, a, b, [onerror], [onload], [href]').length,
		scripts: document.querySelectorAll('script').length,
	}));
	check(dom.made === 0 && dom.scripts === 1, 'no element was made from a name, one script (scorch\'s)');
} else {
	console.error(`unknown mode ${mode}`);
	process.exit(2);
}

check(errors.length === 0, `no console errors or dialogs${errors.length ? ': ' + errors.join(' | ') : ''}`);
check(network.length === 0, `no network requests${network.length ? ': ' + network.join(' ') : ''}`);
await finish(browser);
